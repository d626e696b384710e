# ruff: noqa: F811
"""The ontology's and the shapes' graphs are written by `bilateral init` alone: no update, Graph Store
request or load writes into them or empties them, however it names them. Dropping the ontology's graph had
every query over subclasses answer nothing, and the next `bilateral serve` take the store for a new one.
(`DROP ALL` and `CLEAR NAMED` still empty the whole store, the model's graphs with the rest, as SPARQL says
and the W3C protocol tests run them: a store started over, which `bilateral serve` initializes again.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from graph.embedded import EmbeddedStore
from graph.errors import RefusedInput
from graph.loading import load_files

# The `client` and `store` fixtures of the submission tests, named again as the tests' arguments.
from tests.api.test_submissions import WRITER, client, sparql_update, store  # noqa: F401

ONTOLOGY = "https://w3id.org/bilateral/graph/ontology"
SHAPES = "https://w3id.org/bilateral/graph/shapes"
SUMMIT = "<https://w3id.org/bilateral/ontology#Summit>"
AS_WRITER = {"Authorization": f"Bearer {WRITER}"}


def state(store: EmbeddedStore) -> tuple[int, int, int]:
    return store.count(), store.count(ONTOLOGY), store.count(SHAPES)


@pytest.mark.parametrize(
    "update",
    [
        f"DROP GRAPH <{SHAPES}>",
        "PREFIX g: <https://w3id.org/bilateral/graph/>\nCLEAR GRAPH g:ontology",
        f"INSERT DATA {{ GRAPH <{ONTOLOGY}> {{ <urn:x:a> <urn:x:b> <urn:x:c> }} }}",
        f"DELETE DATA {{ GRAPH <{ONTOLOGY}> {{ {SUMMIT} a <http://www.w3.org/2002/07/owl#Class> }} }}",
        f"DELETE WHERE {{ GRAPH ?g {{ {SUMMIT} ?p ?o }} }}",
        "DELETE WHERE { GRAPH ?g { <https://w3id.org/bilateral/ontology> ?p ?o } }",
        "DELETE { GRAPH ?g { ?s <http://www.w3.org/ns/shacl#message> ?m } } "
        "WHERE { GRAPH ?g { ?s <http://www.w3.org/ns/shacl#message> ?m } }",
        "INSERT { GRAPH ?g { <urn:x:a> <urn:x:b> <urn:x:c> } } "
        'WHERE { BIND (IRI(CONCAT("https://w3id.org/bilateral/graph/", "ontology")) AS ?g) }',
        f"INSERT {{ GRAPH <{ONTOLOGY}> {{ <urn:x:a> <urn:x:b> <urn:x:c> }} }} WHERE {{}}",
        f"WITH <{ONTOLOGY}> INSERT {{ <urn:x:a> <urn:x:b> <urn:x:c> }} WHERE {{}}",
        f"WITH <{SHAPES}> DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }}",
        f"DELETE {{ GRAPH <{ONTOLOGY}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{ONTOLOGY}> {{ ?s ?p ?o }} }}",
        f"ADD <https://w3id.org/bilateral/graph/countries> TO <{ONTOLOGY}>",
        f"MOVE <{ONTOLOGY}> TO <urn:x:elsewhere>",
        f"COPY <urn:x:nothing> TO <{SHAPES}>",
    ],
)
def test_no_update_writes_into_or_empties_the_models_graphs(
    client: FlaskClient, store: EmbeddedStore, update: str
) -> None:
    before = state(store)
    refused = sparql_update(client, update)
    assert refused.status_code == 400, refused.data
    assert "which `bilateral init` writes from the release's files" in json.loads(refused.data)["detail"]
    assert state(store) == before


def test_updates_through_other_graphs_are_judged_as_before(client: FlaskClient, store: EmbeddedStore) -> None:
    # Removing every fact about a state from every graph names graphs by a variable, never the model's: it
    # is judged by the shapes (what it leaves dangling), not refused for the graphs it writes.
    kor = "<https://w3id.org/bilateral/id/country/KOR>"
    judged = sparql_update(
        client, f"DELETE {{ GRAPH ?g {{ ?s ?p ?o }} }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER (?s = {kor}) }}"
    )
    assert judged.status_code == 422, judged.data


@pytest.mark.parametrize(("method", "graph"), [("DELETE", ONTOLOGY), ("PUT", ONTOLOGY), ("POST", SHAPES)])
def test_no_graph_store_request_writes_the_models_graphs(
    client: FlaskClient, store: EmbeddedStore, method: str, graph: str
) -> None:
    before = state(store)
    body = b"<urn:x:a> <urn:x:b> <urn:x:c> ."
    refused = client.open(
        "/store",
        method=method,
        query_string={"graph": graph},
        data=body,
        headers={**AS_WRITER, "Content-Type": "application/n-triples"},
    )
    assert refused.status_code == 400, refused.data
    assert f"The graph <{graph}> holds bilateral's" in json.loads(refused.data)["detail"]
    assert state(store) == before


def test_no_load_writes_the_models_graphs(store: EmbeddedStore, tmp_path: Path) -> None:
    before = state(store)
    extension = tmp_path / "extension.ttl"
    extension.write_text("<https://w3id.org/bilateral/ontology#PhoneCall> a <http://www.w3.org/2002/07/owl#Class> .\n")
    with pytest.raises(RefusedInput, match="holds bilateral's ontology"):
        load_files(store, [extension], graph=ONTOLOGY)
    trig = tmp_path / "extension.trig"
    trig.write_text(f"<{SHAPES}> {{ <urn:x:a> <urn:x:b> <urn:x:c> }}\n")
    with pytest.raises(RefusedInput, match="holds bilateral's shapes"):
        load_files(store, [trig])
    assert state(store) == before
