"""Real clients against a live `bilateral serve` (its own store, and a remote `oxigraph serve` behind it)."""

from __future__ import annotations

import gzip
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from rdflib import Graph, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore, SPARQLUpdateStore
from SPARQLWrapper import JSON, XML, SPARQLWrapper

from graph.errors import InputError, QuerySyntaxError, StoreError, ValidationFailed
from graph.remote import RemoteStore
from tests.api.conftest import TOKEN, BilateralServer

SUMMITS = "SELECT ?s WHERE { ?s a bl:Summit } ORDER BY ?s"
PREFIX = "PREFIX bl: <https://w3id.org/bilateral/ontology#>\n"


def test_the_server_says_where_it_serves_and_that_writes_take_a_token(seeded_server: BilateralServer) -> None:
    said = Path(seeded_server.log.name).read_text().splitlines()
    serving = [line for line in said if line.startswith("bilateral: serving ")]
    assert len(serving) == 1, said
    assert f" at {seeded_server.url}/ (SPARQL at /sparql); writes take a bearer token (2 configured)" in serving[0]


@pytest.mark.parametrize("fmt", [JSON, XML])
def test_sparqlwrapper(seeded_server: BilateralServer, fmt: str) -> None:
    wrapper = SPARQLWrapper(f"{seeded_server.url}/sparql")
    wrapper.setQuery(PREFIX + SUMMITS)
    wrapper.setReturnFormat(fmt)
    result = wrapper.queryAndConvert()
    if fmt == JSON:
        found = [b["s"]["value"] for b in result["results"]["bindings"]]  # type: ignore[index]
    else:
        found = [n.firstChild.data for n in result.getElementsByTagName("uri")]  # type: ignore[union-attr]
    assert "https://w3id.org/bilateral/id/event/lee-ishiba-summit-2025-08" in found


def test_rdflib_sparqlstore_prepends_prefixes_and_reads_xml(seeded_server: BilateralServer) -> None:
    graph = Graph(SPARQLStore(f"{seeded_server.url}/sparql"))
    graph.bind("bl", "https://w3id.org/bilateral/ontology#")
    rows = list(graph.query(SUMMITS))
    assert URIRef("https://w3id.org/bilateral/id/event/lee-ishiba-summit-2025-08") in {r[0] for r in rows}


def test_rdflib_sparqlupdatestore_writes_with_a_token(seeded_server: BilateralServer) -> None:
    endpoint = f"{seeded_server.url}/sparql"
    store = SPARQLUpdateStore(endpoint, endpoint, headers={"Authorization": f"Bearer {TOKEN}"})
    graph = Graph(store, identifier=URIRef("urn:x:client-test"))
    graph.add((URIRef("urn:x:s"), URIRef("urn:x:p"), Literal("written by rdflib")))
    check = Graph(SPARQLStore(endpoint))
    assert list(check.query('ASK { GRAPH <urn:x:client-test> { <urn:x:s> <urn:x:p> "written by rdflib" } }'))[0]
    refused = SPARQLUpdateStore(endpoint, endpoint)
    with pytest.raises(Exception, match="401"):
        Graph(refused, identifier=URIRef("urn:x:client-test")).add((URIRef("urn:x:s"), URIRef("urn:x:p"), Literal(2)))


def chunks(data: bytes, size: int = 1 << 20) -> Iterator[bytes]:
    """A body `requests` sends with Transfer-Encoding: chunked (no Content-Length)."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_a_chunked_body_is_read_whole_or_refused_whole(seeded_server: BilateralServer) -> None:
    graph = "urn:x:chunked"
    writer = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/n-triples"}
    lines = b"".join(b"<urn:x:s%d> <urn:x:p> <urn:x:o> .\n" % n for n in range(2000))
    stored = requests.put(
        f"{seeded_server.url}/store", params={"graph": graph}, data=chunks(lines, 4096), headers=writer
    )
    assert stored.status_code in (201, 204), stored.text
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    assert (
        requests.get(f"{seeded_server.url}/sparql", params={"query": query, "format": "csv"}).text.split()[1] == "2000"
    )
    # Over the 16 MiB limit, whose end falls at a line end (32-byte lines): read only as far as the limit,
    # it would parse as a valid graph and replace the one above.
    line = b"<urn:x:b> <urn:x:p> <urn:x:o> .\n"
    assert len(line) == 32
    big = line * (16 * 1024 * 1024 // len(line) + 1000)
    refused = requests.put(f"{seeded_server.url}/store", params={"graph": graph}, data=chunks(big), headers=writer)
    assert refused.status_code == 413 and "BILATERAL_MAX_BODY_MB" in refused.json()["detail"]
    assert (
        requests.get(f"{seeded_server.url}/sparql", params={"query": query, "format": "csv"}).text.split()[1] == "2000"
    )


def test_a_gzipped_body_is_read_decompressed_and_other_codings_are_refused(seeded_server: BilateralServer) -> None:
    graph, store = "urn:x:gzipped", f"{seeded_server.url}/store"
    writer = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/n-triples", "Content-Encoding": "gzip"}
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"

    def count() -> str:
        return requests.get(f"{seeded_server.url}/sparql", params={"query": query, "format": "csv"}).text.split()[1]

    lines = b"".join(b"<urn:x:s%d> <urn:x:p> <urn:x:o> .\n" % n for n in range(3000))
    stored = requests.put(store, params={"graph": graph}, data=gzip.compress(lines), headers=writer)
    assert stored.status_code == 201, stored.text
    added = requests.post(  # chunked and gzipped, in two gzip members
        store,
        params={"graph": graph},
        data=chunks(gzip.compress(lines) + gzip.compress(b'<urn:x:t> <urn:x:p> "1" .\n'), 512),
        headers=writer,
    )
    assert added.status_code == 204, added.text
    assert count() == "3001"
    # Some 40 KB that inflate past the 16 MiB limit: refused, without inflating more than the limit.
    bomb = gzip.compress(b"<urn:x:b> <urn:x:p> <urn:x:o> .\n" * (17 * 2**20 // 32))
    assert len(bomb) < 100_000
    too_large = requests.put(store, params={"graph": graph}, data=bomb, headers=writer)
    assert too_large.status_code == 413 and "decompressed" in too_large.json()["detail"]
    cut = requests.put(store, params={"graph": graph}, data=gzip.compress(lines)[:-100], headers=writer)
    assert cut.status_code == 400 and "cannot be decompressed" in cut.json()["detail"]
    brotli = requests.put(store, params={"graph": graph}, data=lines, headers={**writer, "Content-Encoding": "br"})
    assert brotli.status_code == 415 and brotli.headers["Accept-Encoding"] == "gzip"
    assert "'br'" in brotli.json()["detail"] and brotli.headers["Content-Type"] == "application/problem+json"
    assert count() == "3001"
    asked = requests.post(
        f"{seeded_server.url}/sparql",
        data=gzip.compress(query.encode()),
        headers={"Content-Type": "application/sparql-query", "Content-Encoding": "gzip", "Accept": "text/csv"},
    )
    assert asked.status_code == 200 and asked.text.split()[1] == "3001"


@pytest.mark.parametrize(
    "path", ["/export/gexf", "/export/nquads", "/store?graph=https://w3id.org/bilateral/graph/countries", "/ontology"]
)
def test_downloads_are_gzipped_for_clients_that_accept_it(seeded_server: BilateralServer, path: str) -> None:
    plain = requests.get(seeded_server.url + path, headers={"Accept-Encoding": "identity"}, timeout=60)
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    packed = requests.get(seeded_server.url + path, headers={"Accept-Encoding": "gzip"}, timeout=60, stream=True)
    raw = packed.raw.read(decode_content=False)
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(raw) == plain.content and len(raw) < len(plain.content) / 4


def test_a_long_query_by_get_is_answered_and_a_longer_one_refused_with_the_fix(seeded_server: BilateralServer) -> None:
    def asked(values: int) -> requests.Response:
        query = "SELECT (COUNT(*) AS ?n) WHERE { VALUES ?x { " + " ".join(str(n) for n in range(values)) + " } }"
        return requests.get(f"{seeded_server.url}/sparql", params={"query": query, "format": "csv"})

    answered = asked(1200)  # a request line of about 6 KB: over gunicorn's default of 4 KB
    assert answered.status_code == 200 and answered.text.split()[1] == "1200"
    refused = asked(3000)  # about 16 KB
    assert refused.status_code == 414
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert refused.json()["status"] == 414 and "POST" in refused.json()["detail"]


def test_a_request_the_server_cannot_read_is_answered_with_a_problem(seeded_server: BilateralServer) -> None:
    too_large = requests.get(f"{seeded_server.url}/health", headers={"X-Large": "x" * 9000})
    assert too_large.status_code == 431 and too_large.headers["Content-Type"] == "application/problem+json"
    assert "shorter headers" in too_large.json()["detail"]
    parts = urlsplit(seeded_server.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=20) as raw:
        raw.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ") and b"Content-Type: application/problem+json" in head
    assert json.loads(body)["status"] == 400


def test_the_remote_store_reads_from_a_bilateral_server(seeded_server: BilateralServer) -> None:
    # bilateral serve honours format= over Accept, as Fuseki and Virtuoso do: the remote store must not send it.
    remote = RemoteStore(f"{seeded_server.url}/sparql")
    try:
        summits = remote.select(PREFIX + SUMMITS).rows
        assert URIRef("https://w3id.org/bilateral/id/event/lee-ishiba-summit-2025-08") in {row[0] for row in summits}
        assert remote.ask(PREFIX + "ASK { ?s a bl:Summit }")
        assert len(remote.construct(PREFIX + "CONSTRUCT WHERE { ?s a bl:Summit }")) >= 1
    finally:
        remote.close()


def test_the_remote_store_tells_a_bilateral_servers_refusals_in_its_words(seeded_server: BilateralServer) -> None:
    remote = RemoteStore(f"{seeded_server.url}/sparql", token=TOKEN)
    before = remote.count()
    try:
        with pytest.raises(InputError, match="writes triples outside any GRAPH") as refused:
            remote.update("INSERT DATA { <urn:x:a> <urn:x:p> 1 }")
        assert not isinstance(refused.value, QuerySyntaxError)
        with pytest.raises(QuerySyntaxError) as malformed:
            remote.update("INSERT DATA { GRAPH <urn:x:g> { <urn:x:a> <urn:x:p> 1 } } ; SELECT")
        assert malformed.value.line == 1 and "{" not in str(malformed.value)  # the message, not the document
        with pytest.raises(ValidationFailed) as violated:
            remote.update(
                "INSERT DATA { GRAPH <urn:x:g> { <urn:x:n> a <https://w3id.org/bilateral/ontology#Person> } }"
            )
        assert [r.shape for r in violated.value.report.violations] == ["blsh:PersonLabelShape"]
        assert remote.count() == before
    finally:
        remote.close()


PERSON = """@prefix bl: <https://w3id.org/bilateral/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/bilateral/id/person/cli-written> a bl:Person ; rdfs:label "Written from the shell"@en .
"""


def test_the_command_line_loads_through_a_bilateral_server_with_a_token(
    seeded_server: BilateralServer, tmp_path: Path
) -> None:
    # A load of one graph goes to the server's Graph Store (/store), with the token from the environment;
    # updates go to /sparql, which its service description names (not the sibling /update of Oxigraph and
    # Fuseki).
    facts, graph = tmp_path / "person.ttl", "http://example.org/graph/cli-written"
    facts.write_text(PERSON, encoding="utf-8")
    endpoint = f"{seeded_server.url}/sparql"

    def load(token: str | None) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "BILATERAL_ENDPOINT_TOKEN"}
        env.update({"BILATERAL_ENDPOINT_TOKEN": token} if token else {})
        command = [str(Path(sys.executable).parent / "bilateral"), "load", "--endpoint", endpoint, str(facts)]
        return subprocess.run([*command, "--graph", graph], capture_output=True, text=True, env=env, timeout=60)

    for token, reason in ((None, "(401): Unauthorized: Writes need"), ("not-the-token", "(403): Forbidden: ")):
        refused = load(token)
        assert refused.returncode == 2, refused.stderr
        assert f"{seeded_server.url}/store refused the request {reason}" in refused.stderr  # title and detail
        assert "$BILATERAL_ENDPOINT_TOKEN" in refused.stderr
    loaded = load(TOKEN)
    try:
        assert loaded.returncode == 0, loaded.stderr
        remote = RemoteStore(endpoint)
        assert remote.count(graph) == 2 and remote.update_url == endpoint
        remote.close()
    finally:
        requests.delete(
            f"{seeded_server.url}/store", params={"graph": graph}, headers={"Authorization": f"Bearer {TOKEN}"}
        )


def test_an_update_over_the_body_limit_is_named_as_such(seeded_server: BilateralServer) -> None:
    # The server answers 413 before reading the body and closes the connection; the client, still
    # sending, sees a broken pipe, which alone would read as a server that cannot be reached.
    remote = RemoteStore(f"{seeded_server.url}/sparql", token=TOKEN)
    big = "x" * (17 * 2**20)
    try:
        with pytest.raises(
            StoreError,
            match=r"(closed the connection while 17\.0 MB were being sent|refused 17\.0 MB at once): it limits",
        ):
            remote.update(f'INSERT DATA {{ GRAPH <urn:x:big> {{ <urn:x:a> <urn:x:b> "{big}" }} }}')
    finally:
        remote.close()


def test_a_server_in_front_of_a_bilateral_server_writes_with_the_endpoint_token(
    seeded_server: BilateralServer, tmp_path: Path
) -> None:
    # bilateral serve --endpoint in front of another bilateral server, which takes writes with a token only.
    behind = f"{seeded_server.url}/sparql"
    front = BilateralServer(tmp_path / "front", "--endpoint", behind, env={"BILATERAL_ENDPOINT_TOKEN": TOKEN})
    writer = {"Authorization": f"Bearer {TOKEN}"}
    fact = 'GRAPH <urn:x:front> { <urn:x:s> <urn:x:p> "through the front" }'
    try:
        for _ in range(2):  # the update URL is looked up once, then remembered
            response = requests.post(
                f"{front.url}/sparql",
                data=f"INSERT DATA {{ {fact} }}",
                headers={"Content-Type": "application/sparql-update", **writer},
                timeout=30,
            )
            assert response.status_code == 204, response.text
        remote = RemoteStore(behind)
        assert remote.ask(f"ASK {{ {fact} }}")
        remote.close()
    finally:
        front.stop()
        requests.delete(f"{seeded_server.url}/store", params={"graph": "urn:x:front"}, headers=writer, timeout=30)


def test_a_server_in_front_of_another_uses_the_update_and_graph_store_urls_given(tmp_path: Path) -> None:
    from tests.conftest import OxigraphServer

    engine = OxigraphServer("--union-default-graph")
    nowhere, elsewhere = f"{engine.url}/nowhere", f"{engine.url}/elsewhere"  # Oxigraph answers both 404
    given = ("--update-endpoint", nowhere, "--graph-store-endpoint", elsewhere)
    front = BilateralServer(tmp_path / "front", "--endpoint", f"{engine.url}/query", *given)
    writer = {"Authorization": f"Bearer {TOKEN}"}
    try:
        update = requests.post(
            f"{front.url}/sparql",
            data="INSERT DATA { GRAPH <urn:x:front> { <urn:x:s> <urn:x:p> 1 } }",
            headers={"Content-Type": "application/sparql-update", **writer},
            timeout=30,
        )
        dump = requests.get(f"{front.url}/store", headers={"Accept": "application/n-quads"}, timeout=30)
        assert update.status_code == 503 and f"{nowhere} is not a SPARQL endpoint (404)" in update.text, update.text
        assert dump.status_code == 502, dump.text
    finally:
        front.stop()
        engine.stop()
    logged = Path(front.log.name).read_text(encoding="utf-8")
    assert f"{elsewhere} answered 404" in logged, logged[-2000:]  # a 502's detail is logged, not sent


def test_the_update_url_is_looked_up_once_per_query_url(monkeypatch: pytest.MonkeyPatch) -> None:
    from graph import remote
    from tests.conftest import OxigraphServer

    monkeypatch.setattr(remote, "_UPDATE_URLS", {})
    asked: list[str] = []

    class Counting(requests.Session):
        def get(self, url: str | bytes, **options: object) -> requests.Response:  # type: ignore[override]
            asked.append(str(url))
            return super().get(url, **options)  # type: ignore[arg-type]

    server = OxigraphServer("--union-default-graph")
    try:
        found = {RemoteStore(server.url, session=Counting(), check=False).update_url for _ in range(3)}
        assert found == {f"{server.url}/update"} and asked == [f"{server.url}/query"]
    finally:
        server.stop()
