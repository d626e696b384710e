"""The store of a `bilateral serve` worker in front of `--endpoint`: a RemoteStore per request, over its
thread's kept-alive HTTP session, whose calls to the server share the request's time limit.

Each call may wait for the server what the request's `RequestClock` leaves of the limit (as a read timeout:
the longest silence between bytes), and none is sent once nothing is left. The server's own limits bound
its work: what it computes for a request bilateral has stopped waiting for is its own to stop.
"""

from __future__ import annotations

import threading
from typing import Any

import requests

from api.context import REQUEST_CLOCK, RequestClock, StoreFactory
from graph.remote import RemoteStore
from graph.store import Store


class RequestRemote(RemoteStore):
    """A RemoteStore whose `timeout` is what the request's clock leaves of its limit at each call."""

    def __init__(self, endpoint: str, *, clock: RequestClock, **options: Any):
        self._clock: RequestClock = clock
        self._limit: float | None = None
        super().__init__(endpoint, **options)

    @property
    def timeout(self) -> float | None:
        return None if self._limit is None else self._clock.left(self._limit, f"call to {self.query_url}")

    @timeout.setter
    def timeout(self, limit: float | None) -> None:
        self._limit = limit


def remote_factory(
    endpoint: str, token: str | None = None, *, update_url: str | None = None, store_url: str | None = None
) -> StoreFactory:
    """A store factory for workers: a remote Store per request over its thread's kept-alive HTTP session,
    sending `token` as a bearer token with every request. The server's union default graph, checked when
    `serve` starts, is checked again by each request until the server holds a triple to tell by (it may
    have been empty then): a misconfigured server is refused, not queried wrongly."""
    local = threading.local()
    union_known = threading.Event()

    def open_remote(timeout: float, environ: dict[str, Any]) -> Store:
        if not hasattr(local, "session"):
            local.session = requests.Session()
            local.session.trust_env = False  # no proxy lookup per request
        store = RequestRemote(
            endpoint,
            clock=environ.setdefault(REQUEST_CLOCK, RequestClock()),
            update_url=update_url,
            store_url=store_url,
            timeout=timeout,
            session=local.session,
            token=token,
            check=not union_known.is_set(),
        )
        if store.union_checked:
            union_known.set()
        return store

    return open_remote
