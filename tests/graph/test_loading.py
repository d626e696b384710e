"""Loading files: formats, validation before commit, and bad input that leaves the store exactly as it was."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph.bulk import PENDING_GRAPH
from graph.embedded import EmbeddedStore
from graph.errors import (
    ParseError,
    RefusedInput,
    StoreError,
    StoreMisconfigured,
    StoreUnavailable,
    UnsupportedFormat,
    ValidationFailed,
)
from graph.file_content import BOM
from graph.loading import default_graph_for, load_files, stage_files
from graph.parsing import SCRATCH_GRAPH, stage
from graph.remote import RemoteStore
from graph.store import Store
from graph.validation import Validator

PERSON = """@prefix bl: <https://w3id.org/bilateral/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/bilateral/id/person/ada> a bl:Person ; rdfs:label "Ada"@en .
"""
ADA = "https://w3id.org/bilateral/id/person/ada"
A_PERSON = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/bilateral/ontology#Person>"
"""Every node a file names under id/ has its class (blsh:TypedNodeShape)."""
FORMATS = {
    "ttl": PERSON,
    "nt": '<https://w3id.org/bilateral/id/person/ada> <http://www.w3.org/2000/01/rdf-schema#label> "Ada"@en .\n'
    f"<{ADA}> {A_PERSON} .\n",
    "nq": '<https://w3id.org/bilateral/id/person/ada> <http://www.w3.org/2000/01/rdf-schema#label> "Ada"@en <http://example.org/g> .\n'
    f"<{ADA}> {A_PERSON} <http://example.org/g> .\n",
    "trig": "<http://example.org/g> { " + PERSON.split("\n", 2)[2] + " }".replace("@prefix", ""),
    "jsonld": '{"@context": {"rdfs": "http://www.w3.org/2000/01/rdf-schema#"}, '
    '"@id": "https://w3id.org/bilateral/id/person/ada", "@type": "https://w3id.org/bilateral/ontology#Person", '
    '"rdfs:label": "Ada"}',
    "rdf": '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    'xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#"><rdf:Description '
    'rdf:about="https://w3id.org/bilateral/id/person/ada"><rdf:type rdf:resource="https://w3id.org/bilateral/ontology#Person"/>'
    "<rdfs:label>Ada</rdfs:label></rdf:Description></rdf:RDF>",
}


RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
CAROL = "https://w3id.org/bilateral/id/person/carol"


def snapshot(store: Store) -> bytes:
    return store.serialize_bytes("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }", "ntriples")


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


@pytest.mark.parametrize("extension", sorted(FORMATS))
def test_every_format_loads(store: Store, tmp_path: Path, extension: str) -> None:
    text = FORMATS[extension]
    if extension == "trig":
        text = (
            "@prefix bl: <https://w3id.org/bilateral/ontology#> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
            + (
                '<http://example.org/g> { <https://w3id.org/bilateral/id/person/ada> a bl:Person ; rdfs:label "Ada"@en . }'
            )
        )
    summary = load_files(store, [write(tmp_path, f"ada.{extension}", text)])
    assert summary.quads >= 1 and summary.validated
    assert store.ask('ASK { <https://w3id.org/bilateral/id/person/ada> ?p "Ada"@en }') or store.ask(
        'ASK { <https://w3id.org/bilateral/id/person/ada> ?p "Ada" }'
    )


@pytest.mark.parametrize("extension", ["ttl", "nt", "nq"])
def test_a_gzipped_file_loads_as_its_content_does(store: Store, tmp_path: Path, extension: str) -> None:
    path = write(tmp_path, f"ada.{extension}.gz", gzip.compress(FORMATS[extension].encode("utf-8")))
    summary = load_files(store, [path])
    graph = "http://example.org/g" if extension == "nq" else "https://w3id.org/bilateral/graph/source/ada"
    assert summary.validated and summary.graphs == [graph]
    assert store.ask(f'ASK {{ GRAPH <{graph}> {{ <https://w3id.org/bilateral/id/person/ada> ?p "Ada"@en }} }}')
    if extension != "nq":  # the Store's own bulk load of a gzipped file (quads keep their graphs)
        store.load(path, ox.RdfFormat.from_extension(extension) or ox.RdfFormat.TURTLE, "http://example.org/again")
        assert store.count("http://example.org/again") >= 1


def people(count: int) -> list[str]:
    """N-Triples lines of `count` persons with a label: two lines each."""
    person = "<https://w3id.org/bilateral/id/person/p{}>"
    return [
        line
        for n in range(count)
        for line in (f'{person.format(n)} <{RDFS_LABEL}> "P {n}"@en .', f"{person.format(n)} {A_PERSON} .")
    ]


def test_a_gzipped_file_on_disk_is_loaded_while_validated(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    lines = people(250)
    path = write(tmp_path, "people.nt.gz", gzip.compress(("\n".join(lines) + "\n").encode()))
    summary = load_files(store, [path])
    assert summary.quads == store.count("https://w3id.org/bilateral/graph/source/people") == 500
    assert load_files(store, [path], graph="http://example.org/g", validate=False).quads == 500


@pytest.mark.parametrize("validate", [True, False])
def test_a_reserved_graph_name_is_refused_and_nothing_is_stored(tmp_path: Path, validate: bool) -> None:
    store = EmbeddedStore(tmp_path / "store")
    load_files(store, [write(tmp_path, "ada.ttl", PERSON)])
    before = snapshot(store)
    triples = write(tmp_path, "bob.nt", FORMATS["nt"].replace("ada", "bob"))
    with pytest.raises(RefusedInput, match="<urn:bilateral:pending-loads> is reserved"):
        load_files(store, [triples], graph="urn:bilateral:pending-loads", validate=validate)
    quads = write(tmp_path, "bob.nq", FORMATS["nq"].replace("http://example.org/g", "urn:bilateral:x"))
    with pytest.raises(RefusedInput, match="<urn:bilateral:x> is reserved"):
        load_files(store, [quads], validate=validate)
    assert snapshot(store) == before


def test_triples_go_to_the_named_graph_given_or_derived(store: Store, tmp_path: Path) -> None:
    load_files(store, [write(tmp_path, "ada.ttl", PERSON)])
    load_files(store, [write(tmp_path, "ada2.ttl", PERSON)], graph="http://example.org/chosen")
    assert store.named_graphs() == ["http://example.org/chosen", "https://w3id.org/bilateral/graph/source/ada"]


BAD_INPUTS = {
    "malformed.ttl": ("<http://a> <http://p> .\n", ParseError, r"malformed\.ttl, line 1"),
    "half-written.nt": (
        '<http://a> <http://p> "1" .\n<http://a> <http://p> "tru',
        ParseError,
        r"half-written\.nt, line 2",
    ),
    "relative.ttl": (
        f'<ada> <{RDFS_LABEL}> "Ada" .\n',
        ParseError,
        r"relative\.ttl, line 1, column 1: .* @base in Turtle",
    ),
    "unknown.yaml": ("a: b\n", UnsupportedFormat, r"\.yaml names no RDF format"),
    "remote-context.jsonld": ('{"@context": "https://schema.org/", "name": "x"}', RefusedInput, "remote @context"),
    "violating.ttl": (
        PERSON.replace("ada", "carol").replace("rdfs:label", "bl:note"),
        ValidationFailed,
        "does not conform",
    ),
    "violating.nt.gz": (
        gzip.compress(f"<{CAROL}> <{RDF_TYPE}> <https://w3id.org/bilateral/ontology#Person> .\n".encode()),
        ValidationFailed,
        "does not conform",
    ),
    "truncated.nt.gz": (gzip.compress(FORMATS["nt"].encode() * 50)[:-12], ParseError, "ends before its compressed"),
    "not-compressed.ttl.gz": (PERSON, ParseError, r"not-compressed\.ttl\.gz: the file is named \.gz but"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_is_refused_and_nothing_is_stored(store: Store, tmp_path: Path, name: str) -> None:
    load_files(store, [write(tmp_path, "ada.ttl", PERSON)])
    before = snapshot(store)
    text, error, message = BAD_INPUTS[name]
    good = write(tmp_path, "good.ttl", PERSON.replace("ada", "bob"))
    with pytest.raises(error, match=message):
        load_files(store, [good, write(tmp_path, name, text)])
    assert snapshot(store) == before
    assert store.count() == 2


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_one_bad_file_is_refused_and_nothing_is_stored(tmp_path: Path, name: str) -> None:
    # Alone, a file of triples is bulk-loaded into its empty graph while it is validated (on disk, as
    # `bilateral load` does): refused, that graph is dropped again.
    store = EmbeddedStore(tmp_path / "store")
    load_files(store, [write(tmp_path, "ada.ttl", PERSON)])
    before, graphs = snapshot(store), store.named_graphs()
    text, error, message = BAD_INPUTS[name]
    with pytest.raises(error, match=message):
        load_files(store, [write(tmp_path, name, text)])
    assert snapshot(store) == before and store.named_graphs() == graphs
    assert not store.oxigraph.contains_named_graph(PENDING_GRAPH)


def test_a_file_loaded_while_validated_is_all_there(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    lines = people(250)
    summary = load_files(store, [write(tmp_path, "people.nt", "\n".join(lines) + "\n")])
    assert summary.validated and summary.graphs == ["https://w3id.org/bilateral/graph/source/people"]
    assert summary.quads == store.count(summary.graphs[0]) == 500
    assert store.named_graphs() == summary.graphs  # no journal marker left


@pytest.mark.parametrize("extension", ["ttl", "nt"])  # parsed whole, and in slices of lines
@pytest.mark.parametrize("validate", [True, False])
def test_a_byte_order_mark_at_the_start_is_skipped(tmp_path: Path, extension: str, validate: bool) -> None:
    store = EmbeddedStore(tmp_path / "store")
    path = tmp_path / f"ada.{extension}"
    path.write_bytes(BOM + FORMATS[extension].encode("utf-8"))
    summary = load_files(store, [path], validate=validate)
    assert summary.quads == store.count(summary.graphs[0]) >= 1
    assert store.ask('ASK { <https://w3id.org/bilateral/id/person/ada> ?p "Ada"@en }')
    staged = stage(BOM + FORMATS["nt"].encode("utf-8"), ox.RdfFormat.N_TRIPLES, graph="http://example.org/g")
    assert len(staged) == 2  # a request body too


@pytest.mark.parametrize("engine", ["auto", "pyshacl"])
def test_validation_does_not_read_the_graph_being_loaded(tmp_path: Path, engine: str) -> None:
    # Data that types Ada a Person without a label needs the store to know her label. Held only by the
    # graph the data is being loaded into, the label is not context: the data is refused.
    store = EmbeddedStore()
    typed_only = write(tmp_path, "typed.ttl", PERSON.replace('rdfs:label "Ada"@en', "a bl:Person"))
    staged = stage_files([typed_only], graph="http://example.org/new")
    store.load(PERSON.encode(), ox.RdfFormat.TURTLE, "http://example.org/new")
    report = Validator(engine=engine).validate_staged(staged, store, ignoring=("http://example.org/new",))
    assert [r.shape for r in report.violations] == ["blsh:PersonLabelShape"]
    assert Validator(engine=engine).validate_staged(staged, store).conforms  # read, it is seen
    store.load(PERSON.encode(), ox.RdfFormat.TURTLE, "http://example.org/other")
    assert Validator(engine=engine).validate_staged(staged, store, ignoring=("http://example.org/new",)).conforms


def test_a_violation_report_names_focus_node_and_shape(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed) as caught:
        load_files(store, [write(tmp_path, "nameless.ttl", PERSON.replace('rdfs:label "Ada"@en', "a bl:Person"))])
    [violation] = caught.value.report.violations
    assert violation.focus_node == "<https://w3id.org/bilateral/id/person/ada>"
    assert violation.shape == "blsh:PersonLabelShape"
    assert store.count() == 0


def test_no_validate_skips_the_shapes(store: Store, tmp_path: Path) -> None:
    summary = load_files(
        store, [write(tmp_path, "n.ttl", PERSON.replace('rdfs:label "Ada"@en', "a bl:Person"))], validate=False
    )
    assert not summary.validated and store.count() == 1


def test_urls_are_refused(store: Store) -> None:
    with pytest.raises(RefusedInput, match="reads local files only"):
        load_files(store, [Path("https://example.org/data.ttl")])


def test_an_unreachable_endpoint_is_a_clear_error() -> None:
    from tests.conftest import free_port

    with pytest.raises(StoreUnavailable, match="cannot be reached"):
        RemoteStore(f"http://127.0.0.1:{free_port()}")


def test_a_server_without_the_union_default_graph_is_refused() -> None:
    from tests.conftest import OxigraphServer

    server = OxigraphServer()
    try:
        plain = RemoteStore(server.url, check=False)
        plain.update("INSERT DATA { GRAPH <http://example.org/g> { <http://a> <http://p> 1 } }")
        # Oxigraph's service description offers no updates at /query: they went to the sibling /update.
        assert plain.update_url == f"{server.url}/update"
        assert RemoteStore(f"{server.url}/query", update_url="http://elsewhere/u", check=False).update_url == (
            "http://elsewhere/u"
        )
        with pytest.raises(StoreMisconfigured, match="--union-default-graph"):
            RemoteStore(server.url)
        elsewhere = RemoteStore(server.url, store_url=f"{server.url}/elsewhere", check=False)
        with pytest.raises(StoreError, match=f"{server.url}/elsewhere answered 404"):
            elsewhere.dump_dataset(ox.RdfFormat.N_QUADS, io.BytesIO())
    finally:
        server.stop()


def test_an_empty_server_without_the_union_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    from tests.conftest import OxigraphServer

    server, union = OxigraphServer(), OxigraphServer("--union-default-graph")
    facts = tmp_path / "facts.nt"
    facts.write_bytes(b'<http://example.org/a> <http://example.org/p> "1" .\n')
    every_quad = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    try:
        checking = RemoteStore(server.url)  # empty: it cannot tell yet
        with pytest.raises(StoreMisconfigured, match="--union-default-graph"):
            load_files(checking, [facts], validate=False)
        plain = RemoteStore(server.url, check=False)
        assert int(plain.select(every_quad).rows[0][0]) == 0 and plain.named_graphs() == []  # probe dropped
        # Written by another client meanwhile: the next query can tell, and is refused.
        plain.update("INSERT DATA { GRAPH <http://example.org/g> { <http://a> <http://p> 1 } }")
        with pytest.raises(StoreMisconfigured):
            checking.select("SELECT * WHERE { ?s ?p ?o }")
        # A server that reads the union takes the load, and is known to from then on.
        fine = RemoteStore(union.url)
        load_files(fine, [facts], validate=False)
        assert fine.union_checked and fine.named_graphs() == [default_graph_for(facts)]
    finally:
        server.stop()
        union.stop()


def test_triples_taken_out_of_a_staged_graph_leave_the_other_graphs_as_they_were() -> None:
    nt = ox.RdfFormat.N_TRIPLES
    staged = stage(b'<urn:a> <urn:p> "1" .\n<urn:a> <urn:p> "2" .\n', nt, graph="urn:g1")
    stage(b'<urn:a> <urn:p> "1" .\n', nt, graph="urn:g2", into=staged)
    staged.take_out("urn:g1", b'<urn:a> <urn:p> "1" .\n<urn:b> <urn:p> "3" .\n')
    assert sorted(str(q) for q in staged.dataset) == [
        '<urn:a> <urn:p> "1" <urn:g2>',
        '<urn:a> <urn:p> "2" <urn:g1>',
    ]
    stage(b'<urn:c> <urn:p> "4" .\n', nt, graph=SCRATCH_GRAPH, into=staged)
    with pytest.raises(RefusedInput, match="reserved for staging"):
        staged.take_out("urn:g1", b'<urn:a> <urn:p> "2" .\n')
    assert len(staged) == 3
