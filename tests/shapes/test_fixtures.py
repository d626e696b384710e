"""The shapes against fixtures in the style of the W3C SHACL suite: each valid file conforms; each invalid file
trips exactly the shape it names, on exactly the focus node it names, and nothing else is a violation.
Fixtures are validated in the context of an initialized store, as submissions will be, by both validators:
the shapes compiled to SPARQL on Oxigraph, and pySHACL; the two must report the very same results."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.term import Node

from graph.parsing import stage
from graph.report import ValidationReport
from graph.shacl_sparql import SH
from graph.store import Store
from graph.validation import Validator, default_shapes

HERE = Path(__file__).resolve().parent
BLT = Namespace("https://w3id.org/bilateral/test#")
TEST = URIRef("urn:bilateral:test")
VALID = sorted((HERE / "valid").glob("*.ttl"))
INVALID = sorted((HERE / "invalid").glob("*.ttl"))


def test_the_suite_has_its_cases() -> None:
    assert len(VALID) == 3
    assert len(INVALID) == 46
    shapes_tripped = {str(Graph().parse(p).value(TEST, BLT.shape)) for p in INVALID}
    assert shapes_tripped == violation_shapes(), "every Violation shape has an invalid fixture"


def violation_shapes() -> set[str]:
    shapes = default_shapes()
    declared = set(shapes.subjects(SH.severity, SH.Violation))
    node_level = {
        s for s in shapes.subjects(SH.message, None) if isinstance(s, URIRef) and (s, SH.severity, None) not in shapes
    }
    return {str(s) for s in declared | node_level}


ENGINES = ["sparql", "pyshacl"]


@pytest.fixture(scope="module")
def validators() -> dict[str, Validator]:
    compiled = Validator()
    assert compiled.engine is not None, "the shipped shapes compile to SPARQL"
    return {"sparql": compiled, "pyshacl": Validator(engine="pyshacl")}


def fixture_data(path: Path) -> tuple[Graph, Node | None, Node | None]:
    data = Graph().parse(path)
    focus, shape = data.value(TEST, BLT.focusNode), data.value(TEST, BLT.shape)
    data.remove((TEST, None, None))
    return data, focus, shape


def check(validator: Validator, data: Graph, store: Store) -> ValidationReport:
    staged = stage(data.serialize(format="nt", encoding="utf-8"), ox.RdfFormat.N_TRIPLES, graph="urn:x:fixture")
    before = len(staged)
    report = validator.validate_staged(staged, store)
    assert len(staged) == before, "the auxiliary graphs are gone after validation"
    return report


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_valid_fixture_conforms(path: Path, engine: str, seeded: Store, validators: dict[str, Validator]) -> None:
    report = check(validators[engine], fixture_data(path)[0], seeded)
    assert report.conforms, report.text()


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_fixture_trips_exactly_its_shape(
    path: Path, engine: str, seeded: Store, validators: dict[str, Validator]
) -> None:
    data, focus, shape = fixture_data(path)
    report = check(validators[engine], data, seeded)
    found = {(r.focus_node, r.shape) for r in report.violations}
    short_shape = "blsh:" + str(shape).rsplit("#", 1)[1]
    assert found == {(f"<{focus}>", short_shape)}, report.text()


@pytest.mark.parametrize("path", VALID + INVALID, ids=[p.stem for p in VALID + INVALID])
def test_both_validators_report_the_same(path: Path, seeded: Store, validators: dict[str, Validator]) -> None:
    data = fixture_data(path)[0]
    results = {engine: sorted(check(validators[engine], data, seeded).results, key=repr) for engine in ENGINES}
    assert results["sparql"] == results["pyshacl"]
