"""Servers for the HTTP tests: a real `bilateral serve` process on a free loopback port, backed by its own
store folder (the managed Oxigraph child) or by a separate `oxigraph serve` given as --endpoint."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import OxigraphServer, free_port

TOKEN = "w3c-runner-secret"
CURATOR_TOKEN = "curator-secret-1"


class BilateralServer:
    """`bilateral serve` as a child process; `url` once /health answers."""

    def __init__(self, store_dir: Path, *extra: str, env: dict[str, str] | None = None):
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
        self.process = subprocess.Popen(command, env=environment, stdout=self.log, stderr=subprocess.STDOUT)
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

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


@pytest.fixture(scope="session", params=["embedded", "remote"])
def live_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BilateralServer]:
    """`bilateral serve` on its own store folder, or in front of a separate `oxigraph serve`."""
    folder = tmp_path_factory.mktemp(f"serve-{request.param}")
    engine = None
    extra: tuple[str, ...] = ()
    if request.param == "remote":
        engine = OxigraphServer("--union-default-graph")
        extra = ("--endpoint", engine.url)
    server = BilateralServer(folder / "store", *extra)
    yield server
    server.stop()
    if engine is not None:
        engine.stop()
