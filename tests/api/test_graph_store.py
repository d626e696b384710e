# ruff: noqa: F811
"""The Graph Store Protocol in-process (Flask's test client over an initialized embedded store): reads with
their types, HEAD included, the list of graphs and the whole dataset, writes of one graph in any RDF syntax
or in multipart parts, and the refusals of bodies it cannot take. The W3C suite runs against a live server."""

from __future__ import annotations

import io
import json

import pyoxigraph as ox
import pytest
from flask.testing import FlaskClient

from graph.embedded import EmbeddedStore

# The HTTP tests' helpers, and their `client` fixture named again as the tests' argument.
from tests.api.test_http import WRITE, client, problem  # noqa: F401


def test_graph_store_get_head_and_content_type(client: FlaskClient) -> None:
    params = {"graph": "https://w3id.org/bilateral/graph/reference"}
    get = client.get("/store", query_string=params, headers={"Accept": "application/n-triples"})
    head = client.head("/store", query_string=params, headers={"Accept": "application/n-triples"})
    assert get.status_code == head.status_code == 200
    assert get.mimetype == head.mimetype == "application/n-triples" and head.data == b""
    assert problem(client.get("/store", query_string={"graph": "urn:x:none"}))["status"] == 404
    assert "https://w3id.org/bilateral/graph/ontology" in json.loads(client.get("/store").data)["graphs"]


@pytest.mark.parametrize("accept", ["application/trig", "application/n-quads"])
def test_the_graph_store_itself_is_the_list_of_graphs_or_the_whole_dataset(client: FlaskClient, accept: str) -> None:
    listed = {
        header: json.loads(client.get("/store", headers={"Accept": header}).data)["graphs"]
        for header in ("", "*/*", "application/json")
    }
    assert len({tuple(graphs) for graphs in listed.values()}) == 1
    dumped = client.get("/store", headers={"Accept": accept})
    assert dumped.status_code == 200 and dumped.mimetype == accept and "Accept" in dumped.vary
    quads = list(ox.parse(dumped.data, format=ox.RdfFormat.from_media_type(accept)))
    dumped.close()
    assert {q.graph_name.value for q in quads} == set(listed["*/*"])
    assert problem(client.get("/store", headers={"Accept": "text/turtle"}))["status"] == 406  # one graph only


def test_graph_store_refuses_unknown_body_types(client: FlaskClient) -> None:
    response = client.put(
        "/store", query_string={"graph": "urn:x:g"}, data=b"x", headers={**WRITE, "Content-Type": "image/png"}
    )
    assert problem(response)["status"] == 415


def test_a_graph_store_write_takes_one_graph_not_a_dataset(client: FlaskClient, store: EmbeddedStore) -> None:
    trig = b'<urn:x:g> { <urn:x:a> <urn:x:p> "1" } { <urn:x:b> <urn:x:p> "2" }'  # its own graph, and the default
    put = client.put(
        "/store", query_string={"graph": "urn:x:g"}, data=trig, headers={**WRITE, "Content-Type": "application/trig"}
    )
    assert put.status_code == 201 and store.count("urn:x:g") == 2
    before = store.named_graphs()
    for method, where, body, media_type in (
        ("put", {"graph": "urn:x:g"}, b'<urn:x:other> { <urn:x:a> <urn:x:p> "3" }', "application/trig"),
        ("post", {"graph": "urn:x:g"}, b'<urn:x:a> <urn:x:p> "3" <urn:x:other> .', "application/n-quads"),
        ("post", {}, b'<urn:x:other> { <urn:x:a> <urn:x:p> "3" }', "application/trig"),
    ):
        response = getattr(client, method)(
            "/store", query_string=where, data=body, headers={**WRITE, "Content-Type": media_type}
        )
        refused = problem(response)
        assert refused["status"] == 400 and "names graphs of its own (<urn:x:other>)" in refused["detail"]
    assert store.named_graphs() == before and store.count("urn:x:g") == 2


def test_a_malformed_body_names_the_line(client: FlaskClient) -> None:
    response = client.put(
        "/store",
        query_string={"graph": "urn:x:g"},
        data=b"<urn:a> <urn:b> .\n",
        headers={**WRITE, "Content-Type": "text/turtle"},
    )
    assert problem(response)["status"] == 400 and "line 1" in problem(response)["detail"]


def test_multipart_parts_must_say_what_they_are(client: FlaskClient) -> None:
    data = {"part": "<urn:a> <urn:b> <urn:c> ."}
    response = client.post(
        "/store", query_string={"graph": "urn:x:multi"}, data=data, headers=WRITE, content_type="multipart/form-data"
    )
    assert problem(response)["status"] == 415 and "part" in problem(response)["detail"]


def test_a_graph_store_write_keeps_blank_nodes_apart_across_parts(client: FlaskClient, store: EmbeddedStore) -> None:
    # Each part is its own document: the same label in two parts is two nodes, as is each [ ].
    label = "_:b <http://www.w3.org/2000/01/rdf-schema#label> 'x' ."
    parts = {
        "one": (io.BytesIO(label.encode()), "one.ttl"),
        "two": (io.BytesIO(label.encode()), "two.ttl"),
        "three": (io.BytesIO(b"[] <http://www.w3.org/2000/01/rdf-schema#label> 'y' ."), "three.ttl"),
    }
    response = client.put(
        "/store", query_string={"graph": "urn:x:blank"}, data=parts, headers=WRITE, content_type="multipart/form-data"
    )
    assert response.status_code == 201, response.data
    assert response.mimetype == "application/json" and response.json == {"graph": "urn:x:blank"}
    assert response.headers["Location"] == "urn:x:blank"
    nodes = store.select("SELECT (COUNT(DISTINCT ?b) AS ?n) WHERE { GRAPH <urn:x:blank> { ?b ?p ?o } }")
    assert int(str(nodes.rows[0][0])) == 3 and store.count("urn:x:blank") == 3
    store.drop_graph("urn:x:blank")
