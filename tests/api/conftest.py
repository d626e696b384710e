"""Stores and servers for the HTTP tests: an initialized in-memory store per module for the in-process app,
and a real `bilateral serve` process on a free loopback port, backed by its own store folder (held by its
one worker process) or by a separate `oxigraph serve` given as --endpoint."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import pytest
import requests

from graph.embedded import EmbeddedStore
from graph.loading import init_store
from tests.conftest import OxigraphServer, free_port

TOKEN = "w3c-runner-secret"
CURATOR_TOKEN = "curator-secret-1"


@pytest.fixture(scope="module")
def store() -> EmbeddedStore:
    """The ontology, shapes, countries and seed facts in memory, shared by one module's in-process tests."""
    store = EmbeddedStore()
    init_store(store)
    return store


def limit_open_files(count: int) -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (count, count))


class BilateralServer:
    """`bilateral serve` as a child process; `url` once /health answers."""

    def __init__(self, store_dir: Path, *extra: str, env: dict[str, str] | None = None, open_files: int | None = None):
        """`open_files`: the server's limit of open files, soft and hard."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = {
            **os.environ,
            "BILATERAL_TOKENS": f"runner:{TOKEN},curator:{CURATOR_TOKEN}",
            "BILATERAL_CURATORS": "curator",
            "BILATERAL_ALLOW_DATASETS": "http://kasei.us/",
            **(env or {}),
        }
        command = [
            str(Path(sys.executable).parent / "bilateral"),
            "serve",
            "--store",
            str(store_dir),
            "--port",
            str(self.port),
            "--workers",
            "2",
            *extra,
        ]
        self.log = (store_dir.parent / f"serve-{self.port}.log").open("w")
        limit = None if open_files is None else partial(limit_open_files, open_files)
        self.process = subprocess.Popen(
            command,
            env=environment,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=limit,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"bilateral serve exited {self.process.returncode}; see {self.log.name}")
            try:
                if requests.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("bilateral serve did not answer /health within 60 s")

    def kill(self) -> None:
        """SIGKILL the server, its workers and its engine at once, as a power cut would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.log.close()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


@contextmanager
def serving(kind: str, folder: Path, *, initialize_remote: bool = False) -> Iterator[BilateralServer]:
    """`bilateral serve` on its own store folder (kind "embedded"), or in front of a separate
    `oxigraph serve` (kind "remote"), initialized with `bilateral init` when asked."""
    engine = None
    extra: tuple[str, ...] = ()
    if kind == "remote":
        engine = OxigraphServer("--union-default-graph")
        extra = ("--endpoint", engine.url)
        if initialize_remote:
            subprocess.run(
                [str(Path(sys.executable).parent / "bilateral"), "init", "--endpoint", engine.url],
                check=True,
                capture_output=True,
            )
    server = BilateralServer(folder / "store", *extra)
    try:
        yield server
    finally:
        server.stop()
        if engine is not None:
            engine.stop()


@pytest.fixture(scope="session", params=["embedded", "remote"])
def live_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BilateralServer]:
    """A server the W3C suites may clear at will."""
    with serving(request.param, tmp_path_factory.mktemp(f"w3c-{request.param}")) as server:
        yield server


@pytest.fixture(scope="session", params=["embedded", "remote"])
def seeded_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BilateralServer]:
    """A server holding the initialized graph (ontology, countries, seed facts), never cleared."""
    with serving(request.param, tmp_path_factory.mktemp(f"seeded-{request.param}"), initialize_remote=True) as server:
        yield server
