"""SPARQL's LOAD of a document the allow-list lets the server reach: fetched by bilateral from a real HTTP
server on 127.0.0.1, checked against the shapes like a Graph Store write, and refused with nothing written
when it does not conform, cannot be fetched or read (SILENT passing over those two), or comes with other
operations."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from api.app import create_app
from api.settings import Settings
from graph.embedded import EmbeddedStore
from graph.loading import init_store

WRITER = "writer-secret-1"
PERSON = "<https://w3id.org/bilateral/id/person/loaded> a <https://w3id.org/bilateral/ontology#Person>"


class _Quiet(SimpleHTTPRequestHandler):
    """The folder's files, and two redirects: one within the folder, one to an address outside it."""

    def do_GET(self) -> None:  # noqa: N802 - the handler's name
        moved = {"/moved.ttl": "/person.ttl", "/elsewhere.ttl": "http://169.254.169.254/latest/meta-data"}
        if self.path in moved:
            self.send_response(302)
            self.send_header("Location", moved[self.path])
            self.end_headers()
            return
        super().do_GET()

    def log_message(self, *args: object) -> None:  # no request lines among the test output
        pass


@pytest.fixture()
def documents(tmp_path: Path) -> Iterator[str]:
    """A folder of documents served over HTTP: its URL."""
    (tmp_path / "person.ttl").write_text(f'{PERSON} ; <http://www.w3.org/2000/01/rdf-schema#label> "Loaded"@en .\n')
    (tmp_path / "nameless.ttl").write_text(f"{PERSON} .\n")
    (tmp_path / "broken.ttl").write_text("<urn:x:a> <urn:x:p> .\n")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture()
def store() -> EmbeddedStore:
    store = EmbeddedStore()
    init_store(store)
    return store


def client_for(store: EmbeddedStore, allowed: str) -> FlaskClient:
    settings = Settings(tokens={WRITER: "writer"}, allow_datasets=(allowed,), max_body_bytes=100_000)
    return create_app(settings, lambda *_: store).test_client()


def sent(client: FlaskClient, update: str):  # type: ignore[no-untyped-def]
    return client.post("/sparql", data={"update": update}, headers={"Authorization": f"Bearer {WRITER}"})


def detail(response) -> str:  # type: ignore[no-untyped-def]
    return str(json.loads(response.data)["detail"])


def test_a_conforming_document_is_loaded_into_its_graph(store: EmbeddedStore, documents: str) -> None:
    loaded = sent(client_for(store, documents), f"# one source\nLOAD <{documents}person.ttl> INTO GRAPH <urn:x:loaded>")
    assert loaded.status_code == 204, loaded.data
    assert store.count("urn:x:loaded") == 2


def test_a_document_is_refused_with_nothing_written_when_it_fails(store: EmbeddedStore, documents: str) -> None:
    client, before = client_for(store, documents), (store.count(), store.named_graphs())
    violating = sent(client, f"LOAD <{documents}nameless.ttl> INTO GRAPH <urn:x:loaded>")
    assert violating.status_code == 422 and "PersonLabelShape" in violating.text
    silent = sent(client, f"LOAD SILENT <{documents}nameless.ttl> INTO GRAPH <urn:x:loaded>")
    assert silent.status_code == 422  # SILENT passes over what cannot be fetched or read, not over violations
    missing = sent(client, f"LOAD <{documents}missing.ttl> INTO GRAPH <urn:x:loaded>")
    assert missing.status_code == 502 and "answered 404" in detail(missing)
    broken = sent(client, f"LOAD <{documents}broken.ttl> INTO GRAPH <urn:x:loaded>")
    assert broken.status_code == 400 and "line 1" in detail(broken)
    for passed_over in ("missing.ttl", "broken.ttl"):
        assert sent(client, f"LOAD SILENT <{documents}{passed_over}> INTO GRAPH <urn:x:loaded>").status_code == 204
    default = sent(client, f"LOAD <{documents}person.ttl>")
    assert default.status_code == 400 and "INTO GRAPH" in detail(default)
    among = sent(client, f"LOAD <{documents}person.ttl> INTO GRAPH <urn:x:loaded> ; CLEAR GRAPH <urn:x:other>")
    assert among.status_code == 400 and "as a request of its own" in detail(among)
    assert (store.count(), store.named_graphs()) == before


def test_a_redirect_is_followed_only_within_the_allow_list(store: EmbeddedStore, documents: str) -> None:
    client = client_for(store, documents)
    assert sent(client, f"LOAD <{documents}moved.ttl> INTO GRAPH <urn:x:moved>").status_code == 204
    assert store.count("urn:x:moved") == 2
    away = sent(client, f"LOAD <{documents}elsewhere.ttl> INTO GRAPH <urn:x:away>")
    assert away.status_code == 502 and "redirects to <http://169.254.169.254/latest/meta-data>" in detail(away)
    assert not store.has_graph("urn:x:away")


def test_a_document_outside_the_allow_list_is_not_fetched(store: EmbeddedStore, documents: str) -> None:
    refused = sent(client_for(store, "http://elsewhere.example/"), f"LOAD <{documents}person.ttl> INTO GRAPH <urn:x:g>")
    assert refused.status_code == 400 and "LOAD fetches data from the network" in detail(refused)
    assert not store.has_graph("urn:x:g")
