"""The HTTP interface in-process (Flask's test client over an initialized embedded store): negotiation,
auth, refusals, problem+json errors, the pages. The W3C suites and real clients run against live servers."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from flask import Flask
from flask.testing import FlaskClient

from api.app import create_app
from api.pages import EXAMPLES, SOURCE_COUNT, SOURCES_SHOWN
from api.settings import Settings, settings_from_env
from graph.embedded import EmbeddedStore
from graph.loading import init_store

SECRET = "test-secret-123"
WRITE = {"Authorization": f"Bearer {SECRET}"}
ASK = "ASK { ?s ?p ?o }"
SELECT = "SELECT ?s WHERE { ?s a <https://w3id.org/bilateral/ontology#Summit> } ORDER BY ?s"


def app_for(store: EmbeddedStore, **settings: object) -> Flask:
    config = Settings(**{"tokens": {SECRET: "alice"}, **settings})  # type: ignore[arg-type]
    app = create_app(config, lambda *_: store)
    app.testing = False
    return app


@pytest.fixture()
def client(store: EmbeddedStore) -> Iterator[FlaskClient]:
    yield app_for(store).test_client()


def problem(response) -> dict:  # type: ignore[no-untyped-def]
    assert response.mimetype == "application/problem+json", response.data
    body = json.loads(response.data)
    assert body["status"] == response.status_code and body["detail"]
    return body


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/sparql-results+json"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv;q=0.5, text/tab-separated-values", "text/tab-separated-values"),
        ("text/html, application/xhtml+xml, */*;q=0.8", "application/sparql-results+json"),
        ("application/json", "application/sparql-results+json"),
    ],
)
def test_select_results_follow_accept(client: FlaskClient, accept: str | None, expected: str) -> None:
    response = client.get("/sparql", query_string={"query": SELECT}, headers={"Accept": accept} if accept else {})
    assert response.status_code == 200 and response.mimetype == expected
    assert b"lee-ishiba-summit-2025-08" in response.data
    assert "Accept" in response.headers["Vary"]


@pytest.mark.parametrize("fmt", ["turtle", "ntriples", "nquads", "trig", "jsonld", "rdfxml"])
def test_construct_in_every_rdf_format(client: FlaskClient, fmt: str) -> None:
    query = "CONSTRUCT { ?s a ?t } WHERE { ?s a ?t ; a <https://w3id.org/bilateral/ontology#Summit> }"
    response = client.post("/sparql", data={"query": query, "format": fmt})
    assert response.status_code == 200 and b"lee-ishiba-summit" in response.data


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("application/json", "application/ld+json"),  # JSON for a graph: JSON-LD
        ("application/xml", "application/rdf+xml"),
        ("text/plain", "application/n-triples"),
        (None, "text/turtle"),
    ],
)
def test_construct_results_follow_generic_types_too(client: FlaskClient, accept: str | None, expected: str) -> None:
    query = "CONSTRUCT WHERE { ?s a <https://w3id.org/bilateral/ontology#Summit> }"
    response = client.get("/sparql", query_string={"query": query}, headers={"Accept": accept} if accept else {})
    assert response.status_code == 200 and response.mimetype == expected


def test_unacceptable_type_is_406_listing_what_is_available(client: FlaskClient) -> None:
    response = client.get("/sparql", query_string={"query": ASK}, headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "application/sparql-results+json" in problem(response)["available"]


def test_service_description_for_a_get_without_query(client: FlaskClient) -> None:
    response = client.get("/sparql")
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    assert b"sd:Service" in response.data and b"UnionDefaultGraph" in response.data


def test_head_answers_as_get_would_without_a_body(client: FlaskClient) -> None:
    asked = {"query": "ASK {}"}
    got, head = client.get("/sparql", query_string=asked), client.head("/sparql", query_string=asked)
    assert head.status_code == got.status_code == 200
    assert head.content_type == got.content_type == "application/sparql-results+json"
    assert head.data == b"" and got.json == {"head": {}, "boolean": True}
    assert client.head("/sparql").content_type == client.get("/sparql").content_type


@pytest.mark.parametrize(
    ("query", "position"),
    [
        ("SELECT * WHERE { ?s ?p }", "1:25"),  # at the end of the text, where the row limit's LIMIT goes
        ("SELECT *\nWHERE { ?s ?p ?o . FILTER(?o > ) }", "2:35"),
        ("ASK { ?s ?p }", "1:14"),
    ],
)
def test_syntax_error_is_400_with_the_position_in_the_query_sent(
    client: FlaskClient, query: str, position: str
) -> None:
    body = problem(client.get("/sparql", query_string={"query": query}))
    assert body["status"] == 400 and f"error at {position}:" in body["detail"], body["detail"]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_undeclared_prefix_is_named_with_the_declaration_to_add(client: FlaskClient, method: str) -> None:
    query = "SELECT ?m WHERE {\n  ?m a bl:Meeting }"
    sent = (
        client.get("/sparql", query_string={"query": query})
        if method == "GET"
        else client.post("/sparql", data={"query": query})
    )
    body = problem(sent)
    fix = "error at 2:8: the prefix bl: is not declared; add PREFIX bl: <https://w3id.org/bilateral/ontology#>"
    assert body["status"] == 400 and fix in body["detail"], body["detail"]


@pytest.mark.parametrize(
    ("path", "parameters"),
    [
        ("/sparql", {"query": "ASK {}", "default-graph-uri": "http://x/a> {} } #"}),
        ("/sparql", {"query": "ASK {}", "named-graph-uri": "relative/graph"}),
        ("/store", {"graph": "http://x/a> { ?s ?p ?o }"}),
        ("/export/nquads", {"graph": "http://x/a b"}),
    ],
)
def test_a_graph_name_that_is_not_an_iri_is_refused(client: FlaskClient, path: str, parameters: dict[str, str]) -> None:
    body = problem(client.get(path, query_string=parameters))
    assert body["status"] == 400 and "is not a graph name: write an absolute IRI" in body["detail"], body


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://dbpedia.org/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }",
    ],
)
def test_service_is_refused(client: FlaskClient, query: str) -> None:
    body = problem(client.get("/sparql", query_string={"query": query}))
    assert body["status"] == 400 and "SERVICE" in body["detail"]


def test_an_allow_listed_service_that_fails_is_a_bad_gateway(store: EmbeddedStore) -> None:
    from tests.conftest import free_port

    elsewhere = f"http://127.0.0.1:{free_port()}/"
    allowed = app_for(store, allow_datasets=(elsewhere,)).test_client()
    query = f"SELECT * WHERE {{ SERVICE <{elsewhere}sparql> {{ ?s ?p ?o }} }}"
    assert problem(allowed.get("/sparql", query_string={"query": query}))["status"] == 502


def test_load_is_refused_even_with_a_token(client: FlaskClient) -> None:
    response = client.post("/sparql", data={"update": "LOAD <http://example.org/x.ttl>"}, headers=WRITE)
    assert problem(response)["status"] == 400


def test_a_dataset_outside_the_store_is_refused_unless_allow_listed(store: EmbeddedStore) -> None:
    query = {"query": ASK, "default-graph-uri": "http://elsewhere.example/g"}
    assert problem(app_for(store).test_client().get("/sparql", query_string=query))["status"] == 400
    allowed = app_for(store, allow_datasets=("http://elsewhere.example/",)).test_client()
    assert allowed.get("/sparql", query_string=query).status_code == 200


def test_a_query_from_a_graph_outside_the_store_is_refused_and_one_inside_narrows_it(client: FlaskClient) -> None:
    outside = "SELECT * FROM <http://elsewhere.example/g> WHERE { ?s ?p ?o } LIMIT 1"
    refused = problem(client.get("/sparql", query_string={"query": outside}))
    assert refused["status"] == 400 and "FROM names <http://elsewhere.example/g>" in refused["detail"]
    count = "SELECT (COUNT(*) AS ?n) {from} WHERE { ?s ?p ?o }"
    union = client.get("/sparql", query_string={"query": count.replace("{from}", ""), "format": "csv"})
    ontology = "FROM <https://w3id.org/bilateral/graph/ontology>"
    narrowed = client.get("/sparql", query_string={"query": count.replace("{from}", ontology), "format": "csv"})
    assert 0 < int(narrowed.text.split()[1]) < int(union.text.split()[1])


def test_graph_names_resolve_against_any_base_as_the_engine_resolves_them(client: FlaskClient) -> None:
    # RFC 3986, as Oxigraph reads them: urljoin left `<#g>` against `urn:x:a` as "#g", a query refused as
    # naming no graph at all.
    count = "SELECT (COUNT(*) AS ?n) FROM <{name}> WHERE {{ ?s ?p ?o }}"
    relative = "BASE <https://w3id.org/bilateral/graph/> " + count.format(name="ontology")
    inside = client.get("/sparql", query_string={"query": relative, "format": "csv"})
    assert inside.status_code == 200 and int(inside.text.split()[1]) > 0
    outside = problem(client.get("/sparql", query_string={"query": "BASE <urn:x:a> " + count.format(name="#g")}))
    assert outside["status"] == 400 and "FROM names <urn:x:a#g>" in outside["detail"], outside


def test_protocol_dataset_narrows_the_default_graph(client: FlaskClient) -> None:
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/bilateral/ontology#Summit> }"
    only_reference = {
        "query": query,
        "default-graph-uri": "https://w3id.org/bilateral/graph/reference",
        "format": "csv",
    }
    response = client.get("/sparql", query_string=only_reference)
    assert response.data.decode().split() == ["n", "0"]


def test_updates_need_a_token(store: EmbeddedStore) -> None:
    update = {"update": "INSERT DATA { GRAPH <urn:x:g> { <urn:x:s> <urn:x:p> 1 } }"}
    client = app_for(store).test_client()
    missing = client.post("/sparql", data=update)
    assert problem(missing)["status"] == 401 and "Bearer" in missing.headers["WWW-Authenticate"]
    assert problem(client.post("/sparql", data=update, headers={"Authorization": "Bearer wrong-one"}))["status"] == 403
    read_only = app_for(store, tokens={}).test_client().post("/sparql", data=update, headers=WRITE)
    assert "read-only" in problem(read_only)["detail"]
    for done in (
        client.post("/sparql", data=update, headers=WRITE),
        client.delete("/store", query_string={"graph": "urn:x:g"}, headers=WRITE),
    ):
        assert done.status_code == 204 and "Content-Type" not in done.headers and not done.data


def test_get_update_and_wrong_method(client: FlaskClient) -> None:
    assert problem(client.get("/sparql", query_string={"update": "CLEAR ALL"}))["status"] == 405
    assert problem(client.put("/sparql", data="x"))["status"] == 405


def test_bodies_over_the_cap_are_413(store: EmbeddedStore) -> None:
    client = app_for(store, max_body_bytes=1000).test_client()
    response = client.post("/sparql", data="ASK {}" + " " * 2000, content_type="application/sparql-query")
    assert problem(response)["status"] == 413


def test_a_bug_is_a_500_without_internals(store: EmbeddedStore) -> None:
    def broken(*_: object) -> EmbeddedStore:
        raise RuntimeError("secret internal detail")

    app = create_app(Settings(), broken)
    response = app.test_client().get("/sparql", query_string={"query": ASK})
    body = problem(response)
    assert body["status"] == 500 and "secret" not in response.get_data(as_text=True)


def test_a_full_disk_is_a_507_that_says_so(store: EmbeddedStore) -> None:
    def full(*_: object) -> EmbeddedStore:
        raise OSError("IO error: No space left on device: While appending to file: /data/000025.log")

    app = create_app(Settings(tokens={"t": "writer"}), full)
    response = app.test_client().put(
        "/store?graph=urn:x:g",
        data=b"<urn:x:a> <urn:x:b> <urn:x:c> .",
        headers={"Authorization": "Bearer t"},
        content_type="application/n-triples",
    )
    body = problem(response)
    assert body["status"] == 507 and "disk is full" in body["detail"] and "/data" not in body["detail"]


def test_format_takes_file_extensions_too(client: FlaskClient) -> None:
    assert client.get("/ontology", query_string={"format": "ttl"}).mimetype == "text/turtle"
    construct = "CONSTRUCT WHERE { ?s a <https://w3id.org/bilateral/ontology#Summit> }"
    assert client.get("/sparql", query_string={"query": construct, "format": "nt"}).mimetype == "application/n-triples"
    assert client.get("/sparql", query_string={"query": ASK, "format": "srx"}).mimetype.endswith("results+xml")
    assert problem(client.get("/ontology", query_string={"format": "csv"}))["status"] == 406


def test_pages_health_openapi_and_cors(client: FlaskClient) -> None:
    home = client.get("/")
    assert home.status_code == 200 and b'<form action="/sparql" method="get">' in home.data
    assert b"Summit" in home.data and b"seed-001" in home.data
    assert client.get("/ontology", headers={"Accept": "application/rdf+xml"}).mimetype == "application/rdf+xml"
    assert b"blsh:MeetingShape" in client.get("/shapes").data or b"MeetingShape" in client.get("/shapes").data
    assert json.loads(client.get("/health").data)["status"] == "ok"
    spec = json.loads(client.get("/openapi.json").data)
    assert spec["openapi"].startswith("3.1") and "/store" in spec["paths"]
    cors = client.get("/sparql", query_string={"query": ASK}, headers={"Origin": "https://yasgui.example"})
    assert cors.headers["Access-Control-Allow-Origin"] in ("*", "https://yasgui.example")


def test_the_home_page_lists_some_sources_and_counts_again_after_a_write() -> None:
    store = EmbeddedStore()
    init_store(store)
    curated = int(str(store.select(SOURCE_COUNT).rows[0][0]))
    news = "".join(
        f"<https://w3id.org/bilateral/id/source/n{n:02}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
        f"<https://w3id.org/bilateral/ontology#NewsArticle> .\n<https://w3id.org/bilateral/id/source/n{n:02}> "
        f'<http://purl.org/dc/terms/title> "News {n}" .\n'
        for n in range(60)
    )
    store.load(news.encode(), ox.RdfFormat.N_TRIPLES, "urn:x:news")
    client = app_for(store).test_client()
    page = client.get("/").get_data(as_text=True)
    assert f"<h2>Sources ({curated + 60})</h2>" in page
    assert page.count("<li><code>https://w3id.org/bilateral/id/source/") == SOURCES_SHOWN
    link = re.search(rf'and {curated + 60 - SOURCES_SHOWN} more: <a href="(/sparql\?[^"]+)">list them all</a>', page)
    assert link is not None
    listed = client.get(html.unescape(link.group(1)))
    assert listed.status_code == 200 and len(listed.get_data(as_text=True).strip().splitlines()) == 1 + curated + 60
    store.load(news.replace("/n", "/m").encode(), ox.RdfFormat.N_TRIPLES, "urn:x:more")  # not through the server
    assert client.get("/").get_data(as_text=True) == page  # counted once, kept for a while
    replaced = news.replace("/n", "/k")
    written = client.put(
        "/store?graph=urn:x:more", data=replaced, headers={**WRITE, "Content-Type": "application/n-triples"}
    )
    assert written.status_code == 204, written.data
    assert f"<h2>Sources ({curated + 120})</h2>" in client.get("/").get_data(as_text=True)  # counted again


def test_a_parameter_a_route_does_not_read_is_refused_and_the_ones_it_reads_are_documented(
    client: FlaskClient,
) -> None:
    spec = json.loads(client.get("/openapi.json").data)["paths"]

    def read_by(path: str, method: str = "get") -> set[str]:
        refused = client.open(path, method=method, query_string={"countries": "KOR"})  # a misspelt filter
        detail = problem(refused)["detail"]
        assert refused.status_code == 400 and detail.startswith("Unknown parameter countries"), detail
        return set(detail.split(" reads ")[1].rstrip(".").split(", "))

    def documented(path: str, method: str = "get") -> set[str]:
        return {p["name"] for p in spec[path][method]["parameters"]}

    assert read_by("/export/gexf") | read_by("/export/nquads") == documented("/export/{format}")
    for path in ("/network/centrality", "/network/path"):
        assert read_by(path) == documented(path)
    assert read_by("/network/dyad/KOR/JPN/timeline") == documented("/network/dyad/{a}/{b}/timeline")
    for method in ("get", "post"):
        assert read_by("/submissions", method) == documented("/submissions", method)
    for method in ("get", "put", "post", "delete"):
        assert read_by("/store", method) == documented("/store", method)
    typo = client.put("/store", query_string={"grpah": "urn:x:g"}, data=b"", headers=WRITE)
    assert problem(typo)["status"] == 400 and "grpah" in problem(typo)["detail"]  # not a new, server-named graph
    nameless = client.put("/store", data=b"", headers={**WRITE, "Content-Type": "text/turtle"})
    assert problem(nameless)["status"] == 400 and "?graph=IRI or ?default" in problem(nameless)["detail"]
    assert problem(client.get("/submissions", query_string={"page": "0"}))["status"] == 400
    far = problem(client.get("/submissions", query_string={"page": str(10**18)}))
    assert far["status"] == 400 and "past the last page" in far["detail"]  # not an error of a query it never sent
    exported = client.get("/export/gexf", query_string={"country": "KOR", "_": "1700000000"})  # a cache-buster
    exported.close()
    assert exported.status_code == 200
    assert problem(client.get("/network/centrality", query_string={"format": "xml"}))["status"] == 400


def test_every_example_query_on_the_page_runs(client: FlaskClient) -> None:
    for name, query in EXAMPLES.items():
        response = client.get("/sparql", query_string={"query": query})
        assert response.status_code == 200, name
        assert json.loads(response.data)["results"]["bindings"], name


def test_settings_from_the_environment() -> None:
    settings = settings_from_env(
        {"BILATERAL_TOKENS": "alice:0123456789,bob:abcdefghij", "BILATERAL_CURATORS": "bob", "BILATERAL_TIMEOUT_S": "5"}
    )
    assert settings.tokens == {"0123456789": "alice", "abcdefghij": "bob"} and settings.curators == {"bob"}
    assert settings.timeout_s == 5 and not settings.read_only and settings.request_time_s == 20
    assert settings_from_env({"BILATERAL_REQUEST_TIME_S": "2.5"}).request_time_s == 2.5
    with pytest.raises(ValueError, match="BILATERAL_TOKENS"):
        settings_from_env({"BILATERAL_TOKENS": "alice"})
    for name, value in (
        ("BILATERAL_TIMEOUT_S", "nan"),
        ("BILATERAL_TIMEOUT_S", "0"),
        ("BILATERAL_MAX_BODY_MB", "-1"),
        ("BILATERAL_REQUEST_TIME_S", "0"),
        ("BILATERAL_REQUEST_TIME_S", "abc"),
        ("BILATERAL_MAX_BODY_MB", "16MB"),
        ("BILATERAL_MAX_BODY_MB", "inf"),
    ):
        with pytest.raises(ValueError, match=f"{name} is a positive number, not '{value}'"):
            settings_from_env({name: value})  # NaN would be a time limit no query ever reaches
    for rows in ("-3", "many", "1.5"):
        with pytest.raises(ValueError, match=f"BILATERAL_ROW_LIMIT is a number of rows \\(0 for none\\), not '{rows}'"):
            settings_from_env({"BILATERAL_ROW_LIMIT": rows})


def test_openapi_describes_every_route_but_sparql(store: EmbeddedStore) -> None:
    app = app_for(store)
    spec = json.loads(app.test_client().get("/openapi.json").data)
    routes = {rule.rule.replace("<", "{").replace(">", "}").replace("path:", "") for rule in app.url_map.iter_rules()}
    routes = {r.replace("{name}", "{format}") for r in routes} - {"/sparql", "/static/{filename}", "/store/{rest}"}
    assert routes == set(spec["paths"])
