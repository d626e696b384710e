"""The fast path of `/sparql` answers plain queries exactly as the Flask route does, and leaves every other
request to Flask untouched. A request with an `Origin` header always goes through Flask (for CORS), so the
same request sent with and without one is answered by each path in turn."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from api.fast_reads import FastReads
from api.row_limit import TRUNCATED
from graph.embedded import EmbeddedStore
from tests.api.test_http import SECRET, WRITE, app_for

SELECT = "SELECT ?s ?label WHERE { ?s a <https://w3id.org/bilateral/ontology#Summit> ; ?p ?label } ORDER BY ?s ?label"
CONSTRUCT = "CONSTRUCT { ?s a ?c } WHERE { ?s a ?c } ORDER BY ?s ?c LIMIT 20"
FORM = "application/x-www-form-urlencoded"


def fast_reads(app: Flask) -> FastReads:
    assert isinstance(app.wsgi_app, FastReads)
    return app.wsgi_app


def both_ways(app: Flask, method: str, **request: Any) -> tuple[Any, Any]:
    """The answer of the fast path and of Flask to the same request; asserts which path took each."""
    client, fast = app.test_client(), fast_reads(app)
    before = fast.answered
    ours = client.open("/sparql", method=method, **request)
    assert fast.answered == before + (1 if ours.status_code == 200 else 0)
    headers = {**request.pop("headers", {}), "Origin": "https://notebook.example"}
    theirs = client.open("/sparql", method=method, headers=headers, **request)
    assert fast.answered == before + (1 if ours.status_code == 200 else 0)
    assert theirs.headers["Access-Control-Allow-Origin"]
    return ours, theirs


def vary(response: Any) -> set[str]:
    return {name.strip() for name in response.headers.get("Vary", "").split(",") if name.strip()}


CASES = {
    "GET, JSON": ("GET", {"query_string": {"query": SELECT}}),
    "GET, format=csv": ("GET", {"query_string": {"query": SELECT, "format": "csv"}}),
    "form POST, XML": ("POST", {"data": {"query": SELECT}, "headers": {"Accept": "application/sparql-results+xml"}}),
    "direct POST, TSV": (
        "POST",
        {
            "data": SELECT,
            "content_type": "application/sparql-query",
            "headers": {"Accept": "text/tab-separated-values"},
        },
    ),
    "CONSTRUCT, Turtle": ("GET", {"query_string": {"query": CONSTRUCT}, "headers": {"Accept": "text/turtle"}}),
    "relative IRI": ("GET", {"query_string": {"query": "SELECT (<here> AS ?iri) {}"}}),
    "dataset": (
        "GET",
        {"query_string": {"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }", "default-graph-uri": "urn:nothing"}},
    ),
    "graph name not an IRI": ("GET", {"query_string": {"query": "ASK {}", "named-graph-uri": "http://x/a> {} } #"}}),
    "ASK as CSV": ("GET", {"query_string": {"query": "ASK {}"}, "headers": {"Accept": "text/csv"}}),
    "syntax error": ("GET", {"query_string": {"query": "SELECT ?s WHERE { ?s"}}),
    "SERVICE": ("GET", {"query_string": {"query": "SELECT * { SERVICE <http://example.org/q> { ?s ?p ?o } }"}}),
    "bad timeout": ("POST", {"data": {"query": SELECT, "timeout": "soon"}}),
}


@pytest.mark.parametrize("case", CASES)
def test_the_fast_path_answers_as_flask_does(store: EmbeddedStore, case: str) -> None:
    method, request = CASES[case]
    ours, theirs = both_ways(app_for(store), method, **request)
    assert (ours.status_code, ours.content_type, ours.data) == (theirs.status_code, theirs.content_type, theirs.data)
    assert vary(ours) == vary(theirs) - {"Origin"}


def test_the_fast_path_answers_the_expected_things(store: EmbeddedStore) -> None:
    client = app_for(store).test_client()
    iri = client.get("/sparql", query_string={"query": "SELECT (<here> AS ?iri) {}"}).json
    assert iri["results"]["bindings"][0]["iri"]["value"] == "http://localhost/here"
    outside = client.get("/sparql", query_string={"query": "ASK {}", "default-graph-uri": "urn:nothing"})
    assert outside.status_code == 400 and "urn:nothing" in outside.json["detail"]
    late = client.post("/sparql", data={"query": "ASK {}", "timeout": "soon"})
    assert late.status_code == 400 and late.json["instance"] == "/sparql"
    for unbounded in ("nan", "-inf", "0"):  # no limit at all, or none a query can meet
        refused = client.post("/sparql", data={"query": "ASK {}", "timeout": unbounded})
        assert refused.status_code == 400 and "positive number of seconds" in refused.json["detail"], unbounded
    assert client.post("/sparql", data={"query": "ASK {}", "timeout": "inf"}).status_code == 200  # the server's


def test_the_fast_path_cuts_rows_and_says_so(store: EmbeddedStore) -> None:
    ours, theirs = both_ways(app_for(store, row_limit=3), "GET", query_string={"query": SELECT})
    assert ours.data == theirs.data and len(ours.json["results"]["bindings"]) == 3
    assert ours.headers[TRUNCATED] == theirs.headers[TRUNCATED]


@pytest.mark.parametrize(
    ("method", "request_"),
    [
        ("GET", {}),  # the service description
        ("GET", {"query_string": [("query", "ASK {}"), ("query", "ASK {}")]}),
        ("GET", {"query_string": {"query": "ASK {}", "unknown": "1"}}),
        ("POST", {"data": {"format": "json"}, "query_string": {"query": "ASK {}"}}),
        ("POST", {"data": {"query": "ASK {}", "format": "json"}, "query_string": {"format": "xml"}}),
        ("POST", {"data": b"query=ASK%20%7B%7D", "content_type": f"{FORM}; charset=latin-1"}),
        ("POST", {"data": b"ASK {\xff}", "content_type": "application/sparql-query"}),
        ("PUT", {"data": {"query": "ASK {}"}}),
    ],
)
def test_other_requests_are_left_to_flask(store: EmbeddedStore, method: str, request_: dict[str, Any]) -> None:
    app = app_for(store)
    before = fast_reads(app).answered
    response = app.test_client().open("/sparql", method=method, **request_)
    assert fast_reads(app).answered == before
    assert response.status_code in (200, 400, 405, 415)


def test_a_body_read_and_left_to_flask_reaches_it_whole() -> None:
    store = EmbeddedStore()
    app = app_for(store)
    update = "INSERT DATA { GRAPH <urn:x:g> { <urn:x:a> <urn:x:b> 'c' } }"
    response = app.test_client().post("/sparql", data={"update": update}, headers=WRITE)
    assert response.status_code == 204, response.data
    assert fast_reads(app).answered == 0 and store.ask("ASK { <urn:x:a> <urn:x:b> 'c' }")
    assert SECRET not in response.get_data(as_text=True)
