"""Shared fixtures: an `oxigraph serve` process on 127.0.0.1, the two Store implementations, an initialized
store, and an audit hook that fails any HTTP request to a host that is not this machine."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from graph.embedded import EmbeddedStore
from graph.loading import init_store
from graph.remote import RemoteStore
from graph.store import Store
from tests.processes import free_port, installed

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


def _refuse_network(event: str, args: tuple[object, ...]) -> None:
    if event == "urllib.Request":
        host = urlsplit(str(args[0])).hostname or ""
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise RuntimeError(f"test tried to reach the network: {args[0]}")


sys.addaudithook(_refuse_network)


def oxigraph_binary() -> str:
    found = installed("oxigraph")
    if found is None:
        pytest.fail("`oxigraph` (PyPI package oxigraph) is not installed; pip install '.[test]'")
    return found


class OxigraphServer:
    """A real `oxigraph serve` on a free loopback port, in memory."""

    def __init__(self, *extra: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [oxigraph_binary(), "serve", "--bind", f"127.0.0.1:{self.port}", *extra],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("oxigraph serve did not start within 20 s")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        if self.process.stderr:
            self.process.stderr.close()


@pytest.fixture(scope="session")
def oxigraph_server() -> Iterator[OxigraphServer]:
    server = OxigraphServer("--union-default-graph")
    yield server
    server.stop()


@pytest.fixture(params=["embedded", "remote"])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    """An empty store of each implementation."""
    if request.param == "embedded":
        yield EmbeddedStore()
        return
    server: OxigraphServer = request.getfixturevalue("oxigraph_server")
    remote = RemoteStore(server.url)
    remote.update("CLEAR ALL")
    yield remote
    remote.update("CLEAR ALL")
    remote.close()


@pytest.fixture(scope="session")
def seeded() -> Store:
    """An embedded in-memory store made by `init`: ontology, shapes, countries, reference and seed facts."""
    store = EmbeddedStore()
    init_store(store)
    return store
