"""The gunicorn worker class of `bilateral serve`: gunicorn's threaded worker, except that a thread which has
answered a request on a kept-alive connection waits a moment on that connection for the next request.

gunicorn's `gthread` worker hands a kept-alive connection back to its poller after every request: the
request thread tells the main thread (through a pipe), which registers the socket, wakes when the next
request arrives and submits the connection to the thread pool again. A client that sends its next request
at once (a notebook in a loop, a crawler, a benchmark) paid for those hops on each request: with one
client, 2.55 ms of server CPU per point query before, 2.0 ms after. A connection quiet for LINGER_S goes
back to the poller as before, so idle clients do not hold threads; a stopping worker does not linger.

A request gunicorn cannot read is answered with a problem document (`api.unreadable_requests`).
"""

from __future__ import annotations

import select
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

from api.unreadable_requests import ProblemWriter

LINGER_S = 0.02
"""How long a thread waits on a kept-alive connection for its next request before giving it back."""


def next_request_within(connection: Any, seconds: float) -> bool:
    """Whether a gunicorn connection has its next request ready, or receives data within `seconds`."""
    if connection.parser is not None and connection.parser.unreader.buf.getvalue():
        return True  # already read ahead (a pipelined request)
    poller = select.poll()  # one descriptor, any number: no FD_SETSIZE limit
    poller.register(connection.sock, select.POLLIN)
    return bool(poller.poll(seconds * 1000))


class LingeringThreadWorker(ThreadWorker):  # type: ignore[misc]
    """`gthread`, with a request thread that keeps serving its connection while requests keep coming, and
    problem documents for requests it cannot read."""

    def handle(self, conn: Any) -> Any:
        keep_alive = super().handle(conn)
        while keep_alive is True and self.alive and next_request_within(conn, LINGER_S):
            keep_alive = super().handle(conn)
        return keep_alive

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        super().handle_error(req, ProblemWriter(client, exc), addr, exc)
