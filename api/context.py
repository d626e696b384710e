"""What every request handler reaches: the settings and a way to the store, kept on the Flask app, and the
clock a request's calls to the store share (`RequestClock`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, has_request_context, request

from api.problems import Problem
from api.settings import Settings
from graph.errors import QueryTimeout
from graph.store import Store
from graph.validation import Validator

StoreFactory = Callable[[float, dict[str, Any]], Store]
"""Opens (or returns) the store for a request: its time limit in seconds, and its WSGI environ."""


REQUEST_CLOCK = "bilateral.request_clock"
"""The WSGI environ's key for a request's `RequestClock`, shared by every store the request asks for."""


NARROW_IT = (
    "narrow it (LIMIT, more specific patterns, smaller parts) or ask for a longer limit with the timeout "
    "parameter, up to the server's."
)
"""What to do about a request stopped at its time limit."""


@dataclass
class RequestClock:
    """When a request's first engine call started: the time limits of all its calls count from there, so
    that waiting for the write lock beforehand is not counted, and the route's own work between calls is."""

    started: float | None = None

    def left(self, timeout: float, next_call: str) -> float:
        """The seconds left of the request's `timeout` for its next call (`next_call` says what it is);
        QueryTimeout, the call not started, once none are."""
        if self.started is None:
            self.started = time.monotonic()
        left = self.started + timeout - time.monotonic()
        if left <= 0:
            raise QueryTimeout(
                f"The request used up its time limit of {timeout:g} s before its next {next_call} could "
                f"start, and was stopped there with nothing written; {NARROW_IT}"
            )
        return left


@dataclass
class AppState:
    settings: Settings
    open_store: StoreFactory
    _validator: Validator | None = None
    page_cache: dict[str, tuple[float, str]] = field(default_factory=dict)
    """Parts of pages kept for a while (`api.pages`), each with when it was made; emptied by every write."""
    _writing: threading.Lock = field(default_factory=threading.Lock)

    @contextmanager
    def one_write_at_a_time(self) -> Iterator[None]:
        """Held by a write from its validation to its commit: two writes each valid alone (two corrections of
        one event's date) are judged one after the other, never both against the store before either. A
        write that waits longer than the time limit (behind one whose checks overran it, say) answers 503.
        One worker process holds an embedded store; with --endpoint each process has its own lock, and the
        engine's transactions order the rest."""
        if not self._writing.acquire(timeout=self.settings.timeout_s):
            raise Problem(
                503,
                "Another write is in progress",
                f"Writes are judged one at a time and another has held this server for over "
                f"{self.settings.timeout_s:g} s; send this one again shortly.",
                {"Retry-After": "5"},
            )
        try:
            yield
        finally:
            self._writing.release()

    def store(self, timeout: float | None = None, environ: dict[str, Any] | None = None) -> Store:
        """The store for the current request (Flask's, unless `environ` names another), with its time limit."""
        if environ is None:
            environ = request.environ if has_request_context() else {}
        return self.open_store(timeout or self.settings.timeout_s, environ)

    def validator(self) -> Validator:
        """The shipped shapes, compiled once per worker."""
        if self._validator is None:
            self._validator = Validator()
        return self._validator


def app_state() -> AppState:
    state = current_app.extensions["bilateral"]
    assert isinstance(state, AppState)
    return state
