"""`bilateral serve`: the engine as a managed `oxigraph serve` child on 127.0.0.1, gunicorn workers in front.

Oxigraph runs each query on its own threads, so a slow query never holds a cheap one back; the Python
workers talk to it through the remote `Store`. Oxigraph's own time limit only stops a query while it streams
results (a sort or an aggregate that has produced nothing yet runs on), so when a query passes its limit the
worker that waited for it kills the engine, and the supervisor thread here restarts it on the same port:
the CPU is released at once, and queries that were running meanwhile answer 503 and may be retried. With
`--endpoint` the workers talk to that server instead, no child starts, and its own limits apply.
The store folder is created and initialized (ontology, countries, seed facts) on first run.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import requests
from gunicorn.app.base import BaseApplication

from api.app import create_app
from api.context import StoreFactory
from api.settings import Settings
from graph.embedded import EmbeddedStore
from graph.errors import StoreUnavailable
from graph.loading import init_store, is_initialized
from graph.remote import RemoteStore
from graph.store import Store

log = logging.getLogger("bilateral.serve")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def oxigraph_command() -> str:
    found = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    if not Path(found).exists():
        raise StoreUnavailable("The `oxigraph` server is not installed; pip install bilateral installs it.")
    return found


def ensure_initialized(store_dir: Path) -> None:
    store = EmbeddedStore(store_dir)
    try:
        if not is_initialized(store):
            init_store(store)
    finally:
        store.close()


class Engine:
    """The managed `oxigraph serve` child: started, watched and restarted on one port; its pid in a file
    so that workers can stop a runaway query by killing it."""

    def __init__(self, store_dir: Path, timeout_s: float):
        self.store_dir, self.timeout_s = store_dir, timeout_s
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.pid_file = store_dir / "engine.pid"
        self.process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()

    def start(self) -> None:
        command = [
            oxigraph_command(),
            "serve",
            "--location",
            str(self.store_dir),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--union-default-graph",
            "--timeout-s",
            str(round(self.timeout_s) + 5),  # later than the workers, who kill a runaway query
        ]
        deadline = time.monotonic() + 30
        while True:  # the killed engine may still hold the RocksDB lock for a moment
            self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            if self._wait_ready(deadline):
                break
            if time.monotonic() > deadline:
                raise StoreUnavailable(f"oxigraph serve did not start on {self.store_dir} within 30 s.")
            time.sleep(0.1)
        self.pid_file.write_text(str(self.process.pid))

    def _wait_ready(self, deadline: float) -> bool:
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return True
            except OSError:
                time.sleep(0.05)
        return False

    def supervise(self) -> None:
        """Restart the engine whenever it exits, until stop()."""

        def watch() -> None:
            while not self._stopping.is_set():
                if self.process is not None and self.process.poll() is not None and not self._stopping.is_set():
                    log.warning("the engine stopped (exit %s); restarting it", self.process.returncode)
                    try:
                        self.start()
                    except StoreUnavailable as error:  # keep trying: requests answer 503 meanwhile
                        log.error("the engine did not restart: %s", error)
                time.sleep(0.1)

        threading.Thread(target=watch, name="engine-supervisor", daemon=True).start()

    def stop(self) -> None:
        self._stopping.set()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.pid_file.unlink(missing_ok=True)


def kill_engine(pid_file: Path) -> None:
    """Stop a runaway query the only way Oxigraph allows: kill its engine (the supervisor restarts it)."""
    try:
        os.kill(int(pid_file.read_text()), signal.SIGKILL)
    except (OSError, ValueError):
        pass


def remote_factory(endpoint: str) -> StoreFactory:
    """A store factory for workers: a remote Store per request over its thread's kept-alive HTTP session,
    the server checked once for the union default graph."""
    RemoteStore(endpoint).close()
    local = threading.local()

    def open_remote(timeout: float) -> Store:
        if not hasattr(local, "session"):
            local.session = requests.Session()
            local.session.trust_env = False  # the engine is on loopback: no proxy lookup per request
        return RemoteStore(endpoint, timeout=timeout, session=local.session, check=False)

    return open_remote


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, endpoint: str, pid_file: Path | None, options: dict[str, Any]):
        self.settings, self.endpoint, self.pid_file, self.options = settings, endpoint, pid_file, options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        pid_file = self.pid_file
        on_timeout = (lambda: kill_engine(pid_file)) if pid_file is not None else None
        return create_app(self.settings, remote_factory(self.endpoint), on_timeout=on_timeout)


def serve(settings: Settings, *, store_dir: Path, endpoint: str | None, host: str, port: int, workers: int) -> None:
    """Run the server until interrupted."""
    engine = None
    if endpoint is None:
        ensure_initialized(store_dir)
        engine = Engine(store_dir, settings.timeout_s)
        engine.start()
        engine.supervise()
        endpoint = engine.url
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": 4,
        "worker_class": "gthread",
        "timeout": int(settings.timeout_s) + 30,
        "graceful_timeout": 5,
        "keepalive": 5,
        "accesslog": "-",
        "errorlog": "-",
        "access_log_format": '%(h)s "%(r)s" %(s)s %(b)s %(M)sms',
        "control_socket_disable": True,
    }
    try:
        _Gunicorn(settings, endpoint, engine.pid_file if engine else None, options).run()
    finally:
        if engine is not None:
            engine.stop()
