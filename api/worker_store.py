"""The store of a `bilateral serve` worker on a store folder: the embedded store, opened once in the worker
process, with each request's time limit over all its calls to the engine.

Oxigraph evaluates a query without the GIL, so the worker's threads run queries side by side, but it cannot
cancel one. Each call runs on the request's own thread under a `Watchdog`, which notices a call still
running at its deadline: it answers that request's client with a 504 on the socket at once, and the worker
retires (`Retirement`): it takes no new connection, lets the other requests finish, and exits, which is the
only way to take the CPU back from the runaway call. A write past its deadline ends the worker at once, so
that it cannot land after its client was told it was stopped. The gunicorn arbiter then starts a fresh
worker, which reopens the store.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

import pyoxigraph as ox
from rdflib import Graph

from api.context import NARROW_IT, REQUEST_CLOCK, RequestClock, StoreFactory
from api.problems import problem_message
from graph.embedded import EmbeddedStore
from graph.errors import QueryTimeout, StoreUnavailable
from graph.store import Dataset, GraphData, RdfInput, Solutions, SolutionStream, Store

log = logging.getLogger("bilateral.serve")
T = TypeVar("T")

OPEN_PATIENCE_S = 30.0
"""How long a new worker waits for the store folder, which the worker it replaces may still hold."""


def open_when_free(store_dir: Path) -> EmbeddedStore:
    """The embedded store on `store_dir`, once the process that held it before has let it go."""
    deadline = time.monotonic() + OPEN_PATIENCE_S
    while True:
        try:
            return EmbeddedStore(store_dir)
        except StoreUnavailable:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


IDLE_TICK_S = 0.25
"""The watchdog looks at the calls in flight at least this often, so that a call whose deadline is further
off than that registers without waking it: waking a thread on every request costs it a context switch and a
hand-over of the GIL."""


@dataclass(eq=False)
class Call:
    """An engine call in flight: its deadline, and what to do if it passes."""

    deadline: float
    on_overrun: Callable[[], None]
    handled: threading.Event | None = None
    """Made when the deadline passes, and set once `on_overrun` has run: the request's thread, if the call
    ever returns, waits for it so that it never writes on a socket the watchdog is answering on."""


class Watchdog:
    """The deadlines of the engine calls in flight, watched by one thread that runs a call's `on_overrun`
    when its deadline passes first. A call costs two lock operations; the thread is woken only by a deadline
    earlier than its next look (at most `IDLE_TICK_S` away)."""

    def __init__(self) -> None:
        self._calls: set[Call] = set()
        self._changed = threading.Condition()
        self._wakes_at = 0.0
        threading.Thread(target=self._watch, name="watchdog", daemon=True).start()

    @contextmanager
    def bounded(self, timeout: float, on_overrun: Callable[[], None]) -> Iterator[Call]:
        call = Call(time.monotonic() + timeout, on_overrun)
        with self._changed:
            self._calls.add(call)
            if call.deadline < self._wakes_at:
                self._changed.notify()
        try:
            yield call
        finally:
            with self._changed:
                self._calls.discard(call)

    def _watch(self) -> None:
        while True:
            with self._changed:
                now = time.monotonic()
                late = [call for call in self._calls if call.deadline <= now]
                for call in late:
                    self._calls.discard(call)
                    call.handled = threading.Event()
                if not late:
                    self._wakes_at = min([now + IDLE_TICK_S, *(call.deadline for call in self._calls)])
                    self._changed.wait(self._wakes_at - now)
            for call in late:
                try:
                    call.on_overrun()
                finally:
                    assert call.handled is not None
                    call.handled.set()


class TimedStore(Store):
    """The worker's embedded store seen by one request: its engine calls share the request's `timeout`
    seconds on one `RequestClock`. A call still running at the deadline raises QueryTimeout if it ever
    returns, and `on_overrun(detail, is_write)` is called at the deadline, from the watchdog's thread; a call
    asked for once the deadline has passed (after other calls, or the route's own work: an export's
    projection) raises QueryTimeout without running."""

    def __init__(
        self,
        store: EmbeddedStore,
        watchdog: Watchdog,
        timeout: float,
        on_overrun: Callable[[str, bool], None],
        clock: RequestClock | None = None,
    ):
        self._store, self._watchdog, self.timeout, self._on_overrun = store, watchdog, timeout, on_overrun
        self._clock = RequestClock() if clock is None else clock
        self.description = store.description

    def _within_limit(self, call: Callable[..., T], *args: object, write: bool = False) -> T:
        what = "update" if write else "query"
        left = self._clock.left(self.timeout, what)
        detail = f"The {what} did not finish within {self.timeout:g} s and was stopped; {NARROW_IT}"
        with self._watchdog.bounded(left, lambda: self._on_overrun(detail, write)) as running:
            result = call(*args)
        if running.handled is not None:
            running.handled.wait(timeout=5)
            raise QueryTimeout(detail)
        return result

    def select(self, query: str) -> Solutions:
        return self._within_limit(self._store.select, query)

    def ask(self, query: str) -> bool:
        return self._within_limit(self._store.ask, query)

    def construct(self, query: str) -> Graph:
        return self._within_limit(self._store.construct, query)

    # A stream is read whole within the limit: the watchdog bounds calls, not a reader's pace.
    def stream_select(self, query: str) -> SolutionStream:
        def read() -> SolutionStream:
            answer = self._store.stream_select(query)
            return SolutionStream(answer.variables, iter(list(answer.rows)))

        return self._within_limit(read)

    def stream_construct(self, query: str) -> Iterator[ox.Triple]:
        return iter(self._within_limit(lambda: list(self._store.stream_construct(query))))

    def _serialize(
        self,
        query: str,
        form: str,
        media_type: str,
        output: IO[bytes],
        dataset: Dataset | None = None,
        base_iri: str | None = None,
    ) -> None:
        self._within_limit(self._store._serialize, query, form, media_type, output, dataset, base_iri)

    def update(self, update: str, dataset: Dataset | None = None, base_iri: str | None = None) -> None:
        self._within_limit(self._store.update, update, dataset, base_iri, write=True)

    def load(self, data: RdfInput, format: ox.RdfFormat, graph: str | None = None) -> None:
        self._within_limit(self._store.load, data, format, graph, write=True)

    def write_graphs(self, graphs: Mapping[str, GraphData], *, replace: bool = False) -> None:
        self._within_limit(lambda: self._store.write_graphs(graphs, replace=replace), write=True)

    def drop_graph(self, graph: str) -> None:
        self._within_limit(self._store.drop_graph, graph, write=True)

    def dump_graph(self, graph: str, format: ox.RdfFormat, output: IO[bytes]) -> None:
        self._within_limit(self._store.dump_graph, graph, format, output)

    def dump_dataset(self, format: ox.RdfFormat, output: IO[bytes]) -> None:
        self._within_limit(self._store.dump_dataset, format, output)

    def has_graph(self, graph: str) -> bool:
        return self._store.has_graph(graph)  # a key lookup: no query to bound

    def named_graphs(self) -> list[str]:
        return self._within_limit(self._store.named_graphs)

    def close(self) -> None:
        """The worker's store stays open for the next request."""


class Retirement:
    """The worker's way out after a call overran: SIGTERM to itself, so that gunicorn takes no new
    connection, then an exit as soon as no other request is in flight (within `grace_s`), which an
    abandoned engine call cannot hold up. After a write, the exit comes at once."""

    def __init__(self, grace_s: float, in_flight: Callable[[], int]):
        self.grace_s, self.in_flight = grace_s, in_flight
        self._lock = threading.Lock()
        self.abandoned = 0

    def __call__(self, *, at_once: bool = False) -> None:
        if at_once:
            log.warning("a write overran its time limit: this worker stops now and a fresh one takes over")
            os._exit(1)
        with self._lock:
            self.abandoned += 1
            if self.abandoned > 1:
                return
        log.warning("a query overran its time limit: this worker retires and a fresh one takes over")
        os.kill(os.getpid(), signal.SIGTERM)
        threading.Thread(target=self._exit_when_idle, name="retire", daemon=True).start()

    def _exit_when_idle(self) -> None:
        deadline = time.monotonic() + self.grace_s
        time.sleep(0.2)  # connections accepted just before the SIGTERM reach the app meanwhile
        while self.in_flight() > self.abandoned and time.monotonic() < deadline:
            time.sleep(0.05)
        os._exit(0)


def answer_on_socket(client: socket.socket | None, detail: str, instance: str | None) -> None:
    """Tell the client of a runaway call that it was stopped, and close its connection."""
    if client is None:
        return
    try:
        client.sendall(problem_message(504, "Gateway Timeout", "The query ran out of time", detail, instance))
        client.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # the client has gone already


def worker_store_factory(store_dir: Path, grace_s: float, in_flight: Callable[[], int]) -> StoreFactory:
    """The store factory of a worker: the store opened now, in the worker, and a TimedStore per request
    (all those of one request on one clock: `REQUEST_CLOCK`), whose runaway calls are
    answered on the request's socket (gunicorn's `gunicorn.socket`); `in_flight` counts the worker's
    requests, for a retirement that waits for the others."""
    store = open_when_free(store_dir)
    watchdog = Watchdog()
    retire = Retirement(grace_s, in_flight)

    def open_timed(timeout: float, environ: dict[str, Any]) -> Store:
        client, instance = environ.get("gunicorn.socket"), environ.get("PATH_INFO")
        clock = environ.setdefault(REQUEST_CLOCK, RequestClock())

        def overrun(detail: str, is_write: bool) -> None:
            answer_on_socket(client, detail, instance)
            retire(at_once=is_write)

        return TimedStore(store, watchdog, timeout, overrun, clock)

    return open_timed
