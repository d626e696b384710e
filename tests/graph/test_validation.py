"""Validation on both engines: the shapes compiled to SPARQL agree with pySHACL, on the curated data and on a
synthetic graph with planted violations, and a refused load leaves the store exactly as it was."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph

from graph import loading, parsing
from graph.bulk import PENDING_GRAPH
from graph.context import known_iris_query
from graph.embedded import EmbeddedStore
from graph.errors import ValidationFailed
from graph.loading import init_store, load_files, stage_files
from graph.report import TALLIED_FROM, ValidationReport, ValidationResult
from graph.shacl_sparql import SH
from graph.store import Solutions, Store
from graph.validation import Validator, default_shapes
from tests.api.test_submissions import meeting
from tests.bench.synthetic import write

EVENT = "https://w3id.org/bilateral/id/event/synthetic-{}"
BL = "https://w3id.org/bilateral/ontology#"
DATE = "^^<http://www.w3.org/2001/XMLSchema#date>"
PLANTED = {
    # A day that does not exist, on a date-typed property.
    (EVENT.format(3), "latest"): ('"2011-02-30"', "blsh:EventLatestShape"),
    # A meeting dated before either leader's first term (which starts 2000-01-01): out of office.
    (EVENT.format(4), "earliest"): ('"1990-05-01"', "blsh:MeetingOutOfOfficeShape"),
    (EVENT.format(4), "latest"): ('"1990-05-01"', "blsh:MeetingOutOfOfficeShape"),
}
EXPECTED = {(f"<{event}>", shape) for (event, _p), (_v, shape) in PLANTED.items()}


def planted_file(folder: Path, size: int, planted: dict[tuple[str, str], tuple[str, str]] = PLANTED) -> Path:
    """A synthetic graph with the planted values in place of the generated ones."""
    clean = folder / "clean.nt"
    write(size, clean, countries=12)
    replaced = 0
    lines = []
    for line in clean.read_text(encoding="utf-8").splitlines():
        for (event, prop), (value, _shape) in planted.items():
            head = f"<{event}> <{BL}{prop}> "
            if line.startswith(head):
                line, replaced = f"{head}{value}{DATE} .", replaced + 1
        lines.append(line)
    assert replaced == len(planted)
    broken = folder / "broken.nt"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return broken


@pytest.fixture()
def initialized(store: Store) -> Store:
    init_store(store)
    return store


def test_the_curated_store_conforms_and_both_validators_agree(initialized: Store) -> None:
    compiled = Validator().validate_store(initialized)
    reference = Validator(engine="pyshacl").validate_store(initialized)
    assert compiled.conforms, compiled.text()
    assert sorted(compiled.results, key=repr) == sorted(reference.results, key=repr)
    assert [r.shape for r in compiled.warnings] == ["blsh:HoldingStartKnownShape"]


def test_planted_violations_are_found_and_the_load_is_refused(initialized: Store, tmp_path: Path) -> None:
    broken = planted_file(tmp_path, 2000)
    report = Validator().validate_staged(stage_files([broken]), initialized)
    assert {(r.focus_node, r.shape) for r in report.violations} == EXPECTED
    before = initialized.count()
    with pytest.raises(ValidationFailed) as refused:
        load_files(initialized, [broken])
    assert {(r.focus_node, r.shape) for r in refused.value.report.violations} == EXPECTED
    assert initialized.count() == before


def test_data_restating_the_store_is_judged_as_if_the_store_did_not_hold_it(initialized: Store, tmp_path: Path) -> None:
    # The context the store gives holds the same triples as the staged data; kept once (the staged copy).
    broken = planted_file(tmp_path, 2000)
    alone = Validator().validate_staged(stage_files([broken], graph="http://example.org/again"), initialized)
    load_files(initialized, [broken], graph="http://example.org/first", validate=False)
    restated = Validator().validate_staged(stage_files([broken], graph="http://example.org/again"), initialized)
    assert {(r.focus_node, r.shape) for r in restated.violations} == EXPECTED
    assert sorted(restated.results, key=repr) == sorted(alone.results, key=repr)


def test_a_fact_added_to_a_held_office_holding_is_judged_at_its_holders_meetings(
    initialized: Store, tmp_path: Path
) -> None:
    # Lee, President since 2025-06-04, met Ishiba on 2025-08-23: an end date before it leaves him out of
    # office at that meeting, three hops from the holding the file adds to.
    holding = "<https://w3id.org/bilateral/id/holding/lee-jae-myung-kor-president-2025>"
    ended = tmp_path / "ended.nt"
    ended.write_text(f'{holding} <{BL}endDate> "2025-08-01"{DATE} .\n', encoding="utf-8")
    before = initialized.count()
    with pytest.raises(ValidationFailed) as refused:
        load_files(initialized, [ended])
    assert "blsh:MeetingOutOfOfficeShape" in {r.shape for r in refused.value.report.violations}
    assert initialized.count() == before
    ended.write_text(f'{holding} <{BL}endDate> "2027-01-01"{DATE} .\n', encoding="utf-8")
    assert load_files(initialized, [ended]).quads == 1


def test_both_validators_agree_on_a_synthetic_graph(initialized: Store, tmp_path: Path) -> None:
    # Well-typed plants only: rdflib's SPARQL engine raises on the ill-typed date inside an aggregate.
    planted = {key: value for key, value in PLANTED.items() if key[0] == EVENT.format(4)}
    broken = planted_file(tmp_path, 2000, planted)
    compiled = Validator().validate_staged(stage_files([broken]), initialized)
    reference = Validator(engine="pyshacl").validate_staged(stage_files([broken]), initialized)
    assert {(r.focus_node, r.shape) for r in compiled.violations} == {
        (f"<{EVENT.format(4)}>", "blsh:MeetingOutOfOfficeShape")
    }
    assert sorted(compiled.results, key=repr) == sorted(reference.results, key=repr)


def test_a_valid_synthetic_graph_loads_whole(initialized: Store, tmp_path: Path) -> None:
    data = tmp_path / "valid.nt"
    assert write(2000, data, countries=12) >= 2000
    lines = len(set(data.read_text(encoding="utf-8").splitlines()))  # topics recur: count distinct triples
    before = initialized.count()
    summary = load_files(initialized, [data])
    assert summary.validated and summary.report is not None and summary.report.conforms
    assert summary.quads == lines
    assert initialized.count() == before + lines


@pytest.mark.parametrize("planted", [PLANTED, {}], ids=["refused", "accepted"])
def test_a_large_file_is_written_in_slices_while_its_checks_run(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    planted: dict[tuple[str, str], tuple[str, str]],
) -> None:
    # Past WHOLE_BYTES, N-Triples go into the store slice by slice beside the checks; a refused file stops
    # the slices and what they wrote is dropped.
    monkeypatch.setattr(loading, "WHOLE_BYTES", 0)
    monkeypatch.setattr(loading, "SLICE_BYTES_BESIDE_CHECKS", 4096)
    slices: list[object] = []

    def read_into(*args: object, **options: bool) -> None:
        slices.append((options["sliced"], options["slice_bytes"]))
        parsing.read_into(*args, **options)

    monkeypatch.setattr(loading, "read_into", read_into)
    store = EmbeddedStore(tmp_path / "store")
    init_store(store)
    graphs, count = store.named_graphs(), store.count()
    data = planted_file(tmp_path, 2000, planted)
    if planted:
        with pytest.raises(ValidationFailed) as refused:
            load_files(store, [data])
        assert {(r.focus_node, r.shape) for r in refused.value.report.violations} == EXPECTED
        assert store.named_graphs() == graphs and store.count() == count
        assert "broken.nt is not loaded; dropping what was written" in caplog.text
    else:
        summary = load_files(store, [data])
        assert summary.quads == len(set(data.read_text(encoding="utf-8").splitlines()))
        assert store.count() == count + summary.quads and store.named_graphs() == sorted(graphs + summary.graphs)
    assert slices == [(True, 4096)] and not store.oxigraph.contains_named_graph(PENDING_GRAPH)


def test_the_store_iris_looked_up_in_new_data_can_leave_out_the_graph_being_loaded() -> None:
    store = EmbeddedStore()
    for graph, triple in (
        ("g1", "<http://e/a> <http://e/p> <http://e/b>"),
        ("g2", "<http://e/c> <http://e/p> <http://e/d>"),
    ):
        store.load(f"{triple} .".encode(), ox.RdfFormat.N_TRIPLES, f"http://e/{graph}")

    def iris(query: str) -> list[str]:
        return sorted(str(row[0]) for row in store.select(query))

    assert iris(known_iris_query()) == ["http://e/a", "http://e/c"]  # subjects (and holders of offices)
    assert iris(known_iris_query(["http://e/g1"])) == ["http://e/a"]


class CountingStore(EmbeddedStore):
    """An embedded store that counts the rows its SELECTs return to Python."""

    rows = 0

    def select(self, query: str) -> Solutions:
        solutions = super().select(query)
        self.rows += len(solutions.rows)
        return solutions


def test_small_data_reads_little_of_a_large_store(tmp_path: Path) -> None:
    # A submission of a few dozen triples is judged by the context of the nodes it mentions; reading every
    # IRI a large store holds (up to 50,000, 3.5 s on a million triples) to find them costs more.
    store = CountingStore()
    init_store(store)
    write(5000, tmp_path / "synthetic.nt", countries=12)
    store.load(tmp_path / "synthetic.nt", ox.RdfFormat.N_TRIPLES, "urn:x:s")
    staged = parsing.stage(meeting("small").encode(), ox.RdfFormat.TURTLE, graph="urn:x:new")
    store.rows = 0
    assert Validator().validate_staged(staged, store).conforms
    assert 0 < store.rows <= 2 * len(staged)
    staged = parsing.stage(meeting("small", day="2001-05-05").encode(), ox.RdfFormat.TURTLE, graph="urn:x:new")
    assert {r.shape for r in Validator().validate_staged(staged, store).violations} == {"blsh:MeetingOutOfOfficeShape"}


def test_shapes_the_compiler_does_not_cover_fall_back_to_pyshacl(initialized: Store, tmp_path: Path) -> None:
    shapes = Graph()
    for triple in default_shapes():
        shapes.add(triple)
    # sh:equals is SHACL Core but not compiled: the validator must still apply it, through pySHACL.
    shapes.add((SH.EqualsProbe, SH.targetClass, SH.Probe))
    shapes.parse(
        data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        sh:EqualsProbe a sh:NodeShape ; sh:property [ sh:path sh:left ; sh:equals sh:right ] .""",
        format="turtle",
    )
    validator = Validator(shapes)
    assert validator.engine is None
    data = tmp_path / "probe.ttl"
    data.write_text(
        """@prefix sh: <http://www.w3.org/ns/shacl#> .
        <urn:x:probe> a sh:Probe ; sh:left 1 ; sh:right 2 .""",
        encoding="utf-8",
    )
    report = validator.validate_staged(stage_files([data]), initialized)
    # One result per value found on one side only: 1 and 2.
    assert sorted((r.constraint, r.value) for r in report.violations) == [
        ("sh:EqualsConstraintComponent", '"1"^^xsd:integer'),
        ("sh:EqualsConstraintComponent", '"2"^^xsd:integer'),
    ]


def test_the_shipped_shapes_and_ontology_read_by_oxigraph_are_what_rdflib_reads() -> None:
    from rdflib.compare import isomorphic

    from graph.resources import ontology_dir, shapes_dir, turtle_files
    from graph.validation import _load_folder

    for folder in (shapes_dir(), ontology_dir()):
        ours = _load_folder(folder)
        reference = Graph()
        for path in turtle_files(folder):
            reference.parse(path, format="turtle")
        assert len(ours) == len(reference) > 400 and isomorphic(ours, reference), folder.name


def test_the_class_hierarchy_read_by_oxigraph_is_the_one_taken_from_the_ontology_graph() -> None:
    from rdflib.compare import isomorphic

    from graph.engine_validation import hierarchy_of
    from graph.validation import default_hierarchy, default_ontology

    ours = Graph().parse(data=default_hierarchy(), format="nt")
    reference = Graph().parse(data=hierarchy_of(default_ontology()), format="nt")
    assert len(ours) > 100 and isomorphic(ours, reference)


def test_validating_with_inference_leaves_the_shared_shapes_as_shipped(seeded: Store) -> None:
    from graph.validation import default_ontology, default_shapes

    shapes, ontology = set(default_shapes()), set(default_ontology())
    report = Validator(inference="rdfs").validate_store(seeded)
    assert report.conforms
    assert set(default_shapes()) == shapes and set(default_ontology()) == ontology


def test_a_long_report_ends_with_its_results_counted_by_shape() -> None:
    def result(shape: str, severity: str, node: int) -> ValidationResult:
        return ValidationResult(
            f"<urn:x:{node}>", None, None, "a message", severity, shape, "sh:MinCountConstraintComponent"
        )

    few = ValidationReport([result("blsh:A", "Violation", n) for n in range(TALLIED_FROM)]).text()
    assert "by shape" not in few and few.count("focus node:") == TALLIED_FROM
    many = [result("blsh:A", "Violation", n) for n in range(12)] + [result("blsh:B", "Warning", n) for n in range(3)]
    text = ValidationReport(many).text()
    assert text.count("focus node:") == 15  # every result is still listed
    assert text.endswith(
        "\n\nIn all, 12 violation(s), 3 warning(s), by shape:\n       12  Violation  blsh:A\n        3  Warning    blsh:B"
    )


def test_sparql_targets_compile_and_those_the_compiler_cannot_read_fall_back_to_pyshacl() -> None:
    # blsh:KnownClassShape's target is a SHACL-AF SPARQL target: compiled into the engine's queries.
    assert Validator().engine is not None
    target = """@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
        ex:S a sh:NodeShape ; sh:target [ a sh:SPARQLTarget ; {extra} sh:select "SELECT ?this WHERE {{ ?this ?p ?o }}" ] ;
            sh:property [ sh:path ex:p ; sh:minCount 1 ] ."""
    compiled = Validator(shapes=Graph().parse(data=target.format(extra=""), format="turtle"))
    assert compiled.engine is not None
    with_prefixes = "sh:prefixes ex:prefixes ;"
    assert Validator(shapes=Graph().parse(data=target.format(extra=with_prefixes), format="turtle")).engine is None
    other_kind = target.format(extra="").replace("a sh:SPARQLTarget", "a sh:SPARQLTargetType")
    assert Validator(shapes=Graph().parse(data=other_kind, format="turtle")).engine is None
    data = Graph().parse(data="<http://example.org/a> <http://example.org/q> 1 .", format="turtle")
    assert compiled.engine.validate_store(EmbeddedStore.around(_dataset_of(data))).violations
    assert Validator(shapes=compiled.shapes, engine="pyshacl").validate(data).violations


def _dataset_of(data: Graph) -> ox.Store:
    dataset = ox.Store()
    dataset.load(
        data.serialize(format="nt", encoding="utf-8"), ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode("urn:x:g")
    )
    return dataset


def test_a_misspelt_term_is_told_the_closest_term_of_its_kind() -> None:
    from graph.term_suggestions import closest, ontology_terms
    from graph.validation import default_hierarchy

    terms = ontology_terms(default_hierarchy())
    assert {"Summit", "Meeting", "Person"} <= set(terms["class"]) and "participant" in terms["property"]
    assert closest("Sumit", terms["class"]) == "Summit"
    assert closest("summit", terms["class"]) == "Summit"  # case alone
    assert closest("particpant", terms["property"]) == "participant"
    assert closest("PhoneCall", terms["class"]) is None  # nothing close: no guess


def test_a_node_without_a_class_is_told_the_closest_name_the_data_or_the_store_holds(initialized: Store) -> None:
    topic = "https://w3id.org/bilateral/id/topic/"
    data = (
        f'<{topic}maritime-safety> a <{BL}Topic> ; <http://www.w3.org/2000/01/rdf-schema#label> "Maritime safety"@en .\n'
        f'<{topic}maritme-safety> <http://www.w3.org/2000/01/rdf-schema#comment> "Raised by Seoul."@en .\n'
        f'<{topic}regional-peece> <http://www.w3.org/2000/01/rdf-schema#comment> "Raised by Tokyo."@en .\n'
        f'<{topic}something-else-entirely> <http://www.w3.org/2000/01/rdf-schema#comment> "New."@en .\n'
    )
    staged = parsing.stage(data.encode(), ox.RdfFormat.TURTLE, graph="http://example.org/g")
    report = Validator().validate_staged(staged, initialized)
    told = {r.focus_node: r.message for r in report.violations if r.shape == "blsh:TypedNodeShape"}
    assert told[f"<{topic}maritme-safety>"].endswith(f"Did you mean <{topic}maritime-safety>?")  # in the data
    assert told[f"<{topic}regional-peece>"].endswith(f"Did you mean <{topic}regional-peace>?")  # in the store
    assert "Did you mean" not in told[f"<{topic}something-else-entirely>"]
