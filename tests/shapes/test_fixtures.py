"""The shapes against fixtures in the style of the W3C SHACL suite: each valid file conforms; each invalid file
trips exactly the shape it names, on exactly the focus node it names, and nothing else is a violation.
Fixtures are validated in the context of an initialized store, as submissions will be."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Namespace, URIRef

from graph.context import context_for
from graph.store import Store
from graph.validation import SH, Validator, default_shapes

HERE = Path(__file__).resolve().parent
BLT = Namespace("https://w3id.org/bilateral/test#")
TEST = URIRef("urn:bilateral:test")
VALID = sorted((HERE / "valid").glob("*.ttl"))
INVALID = sorted((HERE / "invalid").glob("*.ttl"))


def test_the_suite_has_its_cases() -> None:
    assert len(VALID) == 3
    assert len(INVALID) == 42
    shapes_tripped = {str(Graph().parse(p).value(TEST, BLT.shape)) for p in INVALID}
    assert shapes_tripped == violation_shapes(), "every Violation shape has an invalid fixture"


def violation_shapes() -> set[str]:
    shapes = default_shapes()
    declared = set(shapes.subjects(SH.severity, SH.Violation))
    node_level = {
        s for s in shapes.subjects(SH.message, None) if isinstance(s, URIRef) and (s, SH.severity, None) not in shapes
    }
    return {str(s) for s in declared | node_level}


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator()


@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_valid_fixture_conforms(path: Path, seeded: Store, validator: Validator) -> None:
    data = Graph().parse(path)
    report = validator.validate(data, context_for(seeded, data))
    assert report.conforms, report.text()


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_fixture_trips_exactly_its_shape(path: Path, seeded: Store, validator: Validator) -> None:
    data = Graph().parse(path)
    focus, shape = data.value(TEST, BLT.focusNode), data.value(TEST, BLT.shape)
    data.remove((TEST, None, None))
    report = validator.validate(data, context_for(seeded, data))
    found = {(r.focus_node, r.shape) for r in report.violations}
    short_shape = "blsh:" + str(shape).rsplit("#", 1)[1]
    assert found == {(f"<{focus}>", short_shape)}, report.text()
