"""`bilateral serve`: gunicorn in front of the store.

On a store folder, one worker process holds the embedded store (RocksDB lets one process open it) and answers
on several threads: Oxigraph evaluates queries without the GIL, so a cheap query never waits behind an
expensive one, and no request pays for a hop to another process. A thread takes a request once it has
arrived, so slow clients hold no thread, and after answering waits a moment on its connection for the next
one (`api.http_worker`). A query past its time limit makes the
worker retire (`api.worker_store`), which releases its CPU; gunicorn starts a fresh worker at once. The
folder is created and initialized (ontology, countries, seed facts) on first run.

With `--endpoint` the workers, several processes, talk to that SPARQL server through the remote `Store`,
and its own limits apply.
"""

from __future__ import annotations

import logging
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

from api.access_log import AccessLog
from api.app import create_app
from api.context import StoreFactory
from api.http_worker import LingeringThreadWorker
from api.remote_store import remote_factory
from api.settings import Settings
from api.unreadable_requests import MAX_REQUEST_LINE
from api.worker_store import worker_store_factory
from graph.embedded import EmbeddedStore
from graph.errors import StoreUnavailable
from graph.loading import init_store, is_initialized
from graph.model_graphs import model_update_report, update_model_graphs
from graph.remote import RemoteStore


def ensure_initialized(store_dir: Path) -> None:
    """Create the store's contents on first run, in a child process: RocksDB starts background threads,
    which a gunicorn worker forked from this process afterwards would lack."""
    script = "import sys; from pathlib import Path; from api.serve import initialize; initialize(Path(sys.argv[1]))"
    child = subprocess.run([sys.executable, "-c", script, str(store_dir)], capture_output=True, text=True)
    if child.returncode != 0:
        said = child.stderr.strip().splitlines()
        reason = said[-1].removeprefix("error: ") if said else f"exit status {child.returncode}"
        raise StoreUnavailable(reason)
    if child.stdout.strip():  # the model's graphs brought to this release
        print(child.stdout.strip(), file=sys.stderr)


def initialize(store_dir: Path) -> None:
    """Open the store folder and fill it if it is new; the message and exit status 2 if it cannot be."""
    try:
        store = EmbeddedStore(store_dir)
    except StoreUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
    try:
        if not is_initialized(store):
            init_store(store)
        elif replaced := update_model_graphs(store):
            print(model_update_report(store.description, replaced))
    finally:
        store.close()


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(
        self,
        settings: Settings,
        stores: Callable[[AccessLog], StoreFactory],
        options: dict[str, Any],
    ):
        """`stores` makes the worker's store factory, in the worker after the fork."""
        self.settings, self.stores, self.options = settings, stores, options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:  # in the worker, after the fork
        # The app's own messages (a retiring worker, a store error, a bug's traceback) in gunicorn's format.
        logging.basicConfig(
            stream=sys.stderr,
            level=logging.INFO,
            format="[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s",
            datefmt="%Y-%m-%d %H:%M:%S %z",
        )
        access_log = AccessLog(sys.stdout)
        return access_log.wrap(create_app(self.settings, self.stores(access_log)))


def listenable(host: str, port: int) -> None:
    """Raise OSError if the server could not listen on `host:port` (in use, not an address of this machine,
    a privileged port), as gunicorn binds it, before a store is created: gunicorn itself retries for five
    seconds and ends with its own log lines."""
    for family, kind, protocol, _name, address in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        with socket.socket(family, kind, protocol) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
        return


def serve(
    settings: Settings,
    *,
    store_dir: Path,
    endpoint: str | None,
    host: str,
    port: int,
    workers: int,
    update_endpoint: str | None = None,
    graph_store_endpoint: str | None = None,
) -> None:
    """Run the server until interrupted: on a store folder, one worker process holding the store with
    4 threads per `workers`; on an endpoint (with its update and Graph Store URLs when they are not the
    ones it implies), `workers` processes of 4 threads."""
    grace_s = 5
    stores: Callable[[AccessLog], StoreFactory]
    if endpoint is None:
        ensure_initialized(store_dir)
        processes, threads = 1, 4 * max(1, workers)

        def stores(access_log: AccessLog) -> StoreFactory:
            return worker_store_factory(store_dir, grace_s, access_log.in_flight)

    else:
        # Reachable, and its default graph is the union: else a clear error now.
        RemoteStore(endpoint, update_url=update_endpoint, store_url=graph_store_endpoint).close()
        processes, threads = workers, 4

        def stores(access_log: AccessLog) -> StoreFactory:
            return remote_factory(
                endpoint, settings.endpoint_token, update_url=update_endpoint, store_url=graph_store_endpoint
            )

    options = {
        "bind": f"{host}:{port}",
        "workers": processes,
        "threads": threads,
        "worker_class": LingeringThreadWorker,
        "timeout": int(settings.timeout_s) + 30,
        "graceful_timeout": grace_s,
        "keepalive": 5,
        "limit_request_line": MAX_REQUEST_LINE,
        "errorlog": "-",
        "control_socket_disable": True,
        "sendfile": False,  # a file (an export) is written like any answer: the poller sends what waits
    }
    print(serving_line(settings, endpoint or str(store_dir), host, port), file=sys.stderr, flush=True)
    _Gunicorn(settings, stores, options).run()


def serving_line(settings: Settings, store: str, host: str, port: int) -> str:
    """What `bilateral serve` says as it starts: where, on what, and whether it takes writes.

    >>> print(serving_line(Settings(), "bilateral-data", "::1", 8000).replace("; ", ";\\n"))
    bilateral: serving bilateral-data at http://[::1]:8000/ (SPARQL at /sparql);
    read-only: no write tokens are configured (BILATERAL_TOKENS)
    """
    address = f"[{host}]" if ":" in host else host
    writes = (
        f"writes take a bearer token ({len(settings.tokens)} configured)"
        if settings.tokens
        else "read-only: no write tokens are configured (BILATERAL_TOKENS)"
    )
    return f"bilateral: serving {store} at http://{address}:{port}/ (SPARQL at /sparql); {writes}"
