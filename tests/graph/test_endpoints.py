"""Remote servers: how a load reaches them, and how their refusals are told."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyoxigraph as ox
import pytest
import requests

from graph.endpoints import refusal, too_large
from graph.errors import QuerySyntaxError, StoreError
from graph.remote import RemoteStore
from tests.conftest import OxigraphServer

TRIPLES = b'<urn:x:a> <urn:x:p> _:b .\n_:b <urn:x:q> "1" .\n'


class RecordingSession(requests.Session):
    """A real HTTP session that notes the method and URL of each request it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, str]] = []

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        response = super().request(method, url, *args, **kwargs)
        self.sent.append((str(method), response.url))
        return response


@pytest.fixture
def remote(oxigraph_server: OxigraphServer) -> Iterator[tuple[RemoteStore, RecordingSession]]:
    session = RecordingSession()
    store = RemoteStore(oxigraph_server.url, session=session)
    store.update("CLEAR ALL")
    yield store, session
    store.update("CLEAR ALL")
    store.close()


def test_one_graph_is_loaded_through_the_graph_store_protocol(remote: tuple[RemoteStore, RecordingSession]) -> None:
    store, session = remote
    store.load(TRIPLES, ox.RdfFormat.N_TRIPLES, graph="urn:x:g")
    assert ("POST", f"{store.store_url}?graph=urn%3Ax%3Ag") in session.sent
    assert store.count("urn:x:g") == 2
    assert store.ask("ASK { GRAPH <urn:x:g> { <urn:x:a> <urn:x:p> ?b . ?b <urn:x:q> '1' } }")  # one blank node


def test_several_graphs_are_loaded_in_one_update(remote: tuple[RemoteStore, RecordingSession]) -> None:
    store, session = remote
    trig = b"<urn:x:g1> { <urn:x:a> <urn:x:p> <urn:x:b> } <urn:x:g2> { <urn:x:c> <urn:x:p> <urn:x:d> }"
    store.load(trig, ox.RdfFormat.TRIG)
    assert not [sent for sent in session.sent if sent[0] == "POST" and sent[1].startswith(store.store_url)]
    assert store.named_graphs() == ["urn:x:g1", "urn:x:g2"]


def test_a_refusal_for_size_is_told_as_such_and_not_as_a_syntax_error() -> None:
    oxigraph = "SPARQL body payloads are limited to 134217728 bytes, found 155198600 bytes"
    told = refusal("http://h/update", 400, oxigraph, size=155_198_600)
    assert isinstance(told, StoreError) and not isinstance(told, QuerySyntaxError)
    assert str(told).startswith("http://h/update refused 148.0 MB at once: it limits the size of a request")
    assert "refused 16.0 MB" in str(refusal("http://h/store", 413, '{"detail": "too large"}', size=16 * 2**20))
    assert isinstance(refusal("http://h/update", 400, "Parser error at line 1 column 3"), QuerySyntaxError)
    assert "closed the connection while 2.0 MB were being sent" in str(too_large("u", 2 * 2**20, cut_off=True))
