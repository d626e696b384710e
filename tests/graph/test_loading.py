"""Loading files: formats, validation before commit, and bad input that leaves the store exactly as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.errors import (
    ParseError,
    RefusedInput,
    StoreMisconfigured,
    StoreUnavailable,
    UnsupportedFormat,
    ValidationFailed,
)
from graph.loading import load_files
from graph.remote import RemoteStore
from graph.store import Store

PERSON = """@prefix bl: <https://w3id.org/bilateral/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/bilateral/id/person/ada> a bl:Person ; rdfs:label "Ada"@en .
"""
FORMATS = {
    "ttl": PERSON,
    "nt": '<https://w3id.org/bilateral/id/person/ada> <http://www.w3.org/2000/01/rdf-schema#label> "Ada"@en .\n',
    "nq": '<https://w3id.org/bilateral/id/person/ada> <http://www.w3.org/2000/01/rdf-schema#label> "Ada"@en <http://example.org/g> .\n',
    "trig": "<http://example.org/g> { " + PERSON.split("\n", 2)[2] + " }".replace("@prefix", ""),
    "jsonld": '{"@context": {"rdfs": "http://www.w3.org/2000/01/rdf-schema#"}, '
    '"@id": "https://w3id.org/bilateral/id/person/ada", "rdfs:label": "Ada"}',
    "rdf": '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    'xmlns:rdfs="http://www.w3.org/2000/01/rdf-schema#"><rdf:Description '
    'rdf:about="https://w3id.org/bilateral/id/person/ada"><rdfs:label>Ada</rdfs:label></rdf:Description></rdf:RDF>',
}


def snapshot(store: Store) -> bytes:
    return store.serialize_bytes("CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }", "ntriples")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
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
    "unknown.yaml": ("a: b\n", UnsupportedFormat, r"\.yaml names no RDF format"),
    "remote-context.jsonld": ('{"@context": "https://schema.org/", "name": "x"}', RefusedInput, "remote @context"),
    "violating.ttl": (
        PERSON.replace("ada", "carol").replace("rdfs:label", "bl:note"),
        ValidationFailed,
        "does not conform",
    ),
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
        with pytest.raises(StoreMisconfigured, match="--union-default-graph"):
            RemoteStore(server.url)
    finally:
        server.stop()
