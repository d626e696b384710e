"""The row limit in-process: SELECT, CONSTRUCT and DESCRIBE answers cut in every format with a header that
says so, SELECT * columns in the order the query writes them, and the cut of a JSON body counted exactly."""

from __future__ import annotations

import json
import re

import pyoxigraph as ox
import pytest

from api.row_limit import cut
from graph.embedded import EmbeddedStore
from graph.formats import rdf_format
from tests.api.test_http import app_for


def test_select_results_are_cut_at_the_row_limit_and_say_so(store: EmbeddedStore) -> None:
    client = app_for(store, row_limit=5).test_client()
    query = "SELECT ?c WHERE { ?c a <https://w3id.org/bilateral/ontology#Country> } ORDER BY ?c"
    for fmt, rows in (
        ("json", lambda r: len(json.loads(r.data)["results"]["bindings"])),
        ("csv", lambda r: len(r.data.decode().strip().splitlines()) - 1),
        ("xml", lambda r: r.data.count(b"<result>")),
    ):
        response = client.get("/sparql", query_string={"query": query, "format": fmt})
        assert response.status_code == 200 and rows(response) == 5, fmt
        assert "5" in response.headers["X-Bilateral-Truncated"]
    whole = client.get("/sparql", query_string={"query": query + " LIMIT 3"})
    assert len(json.loads(whole.data)["results"]["bindings"]) == 3 and "X-Bilateral-Truncated" not in whole.headers
    # A trailing VALUES block (after the solution modifiers, in SPARQL's grammar) is no way around the limit.
    for tail in ("VALUES ?z { UNDEF }", "LIMIT 50 # a comment }\nVALUES (?z) { (UNDEF) }"):
        valued = client.get("/sparql", query_string={"query": f"{query} {tail}", "format": "json"})
        assert (
            len(json.loads(valued.data)["results"]["bindings"]) == 5 and "5" in valued.headers["X-Bilateral-Truncated"]
        )


def test_construct_and_describe_results_are_cut_at_the_row_limit_and_say_so(store: EmbeddedStore) -> None:
    client = app_for(store, row_limit=5).test_client()
    countries = "CONSTRUCT WHERE { ?c a <https://w3id.org/bilateral/ontology#Country> }"
    for query in (countries, "DESCRIBE ?c WHERE { ?c a <https://w3id.org/bilateral/ontology#Country> }"):
        for fmt in ("ntriples", "turtle", "jsonld", "rdfxml", "nquads", "trig"):
            response = client.get("/sparql", query_string={"query": query, "format": fmt})
            assert response.status_code == 200, (fmt, response.data)
            graph = ox.Store()
            graph.load(response.data, format=rdf_format(fmt))
            assert len(graph) == 5, (query, fmt)
            assert "triples cut to 5" in response.headers["X-Bilateral-Truncated"]
    whole = client.get("/sparql", query_string={"query": countries + " LIMIT 4", "format": "ntriples"})
    assert len(whole.data.splitlines()) == 4 and "X-Bilateral-Truncated" not in whole.headers
    unlimited = (
        app_for(store, row_limit=0)
        .test_client()
        .get("/sparql", query_string={"query": countries, "format": "ntriples"})
    )
    assert len(unlimited.data.splitlines()) > 50 and "X-Bilateral-Truncated" not in unlimited.headers


@pytest.mark.parametrize("row_limit", [5, 0], ids=["row-limited", "unlimited"])
def test_select_star_answers_its_columns_in_the_order_the_query_writes_them(
    store: EmbeddedStore, row_limit: int
) -> None:
    # Oxigraph sorts the variables of SELECT * by name (a, p, z); Jena, GraphDB and QLever answer z, p, a.
    client = app_for(store, row_limit=row_limit).test_client()
    query = "SELECT * WHERE { ?z ?p ?a } LIMIT 3"
    columns = {
        "json": lambda body: json.loads(body)["head"]["vars"],
        "csv": lambda body: body.decode().splitlines()[0].split(","),
        "tsv": lambda body: body.decode().splitlines()[0].split("\t"),
        "xml": lambda body: re.findall(r'<variable name="(\w+)"', body.decode()),
    }
    for fmt, read in columns.items():
        response = client.get("/sparql", query_string={"query": query, "format": fmt})
        assert response.status_code == 200 and read(response.data) in (["z", "p", "a"], ["?z", "?p", "?a"]), fmt
    projected = client.get("/sparql", query_string={"query": "SELECT ?p ?a ?z WHERE { ?z ?p ?a } LIMIT 1"})
    assert json.loads(projected.data)["head"]["vars"] == ["p", "a", "z"]


def test_the_row_limit_counts_even_the_smallest_rows() -> None:
    empty_rows = {"head": {"vars": []}, "results": {"bindings": [{}] * 6}}
    body = json.dumps(empty_rows, separators=(",", ":")).encode()
    cut_body, truncated = cut(body, 5, "application/sparql-results+json")
    assert truncated and len(json.loads(cut_body)["results"]["bindings"]) == 5
    assert cut(body, 6, "application/sparql-results+json") == (body, False)


@pytest.mark.parametrize("indent", [None, 2], ids=["compact", "pretty-printed"])
def test_the_row_count_is_exact_however_the_json_is_written(indent: int | None) -> None:
    row = {"s": {"type": "literal", "value": "a},{b} , {c"}}  # a value that looks like row boundaries
    for rows, limit in ((4, 4), (5, 4), (40, 40), (41, 40), (3, 40)):
        body = json.dumps({"head": {"vars": ["s"]}, "results": {"bindings": [row] * rows}}, indent=indent).encode()
        cut_body, truncated = cut(body, limit, "application/sparql-results+json")
        assert truncated is (rows > limit), (rows, limit)
        assert len(json.loads(cut_body)["results"]["bindings"]) == min(rows, limit)
