"""How a worker of `bilateral serve` holds its connections and lets them go: the base of its worker class
(`api.http_worker`), below the reading of requests and the sending of answers.

**Closing on the poller.** A connection is closed as RFC 9112 (section 9.6) asks: the server ends its
sending side, reads what the client still sends until the client closes, CLOSE_LINGER_S at most, then
closes. gunicorn waited for that on the worker's main thread, which meanwhile accepted and read nothing:
twelve clients that sent `Connection: close` and kept their sockets open stalled the server for 16 s.
Here the poller does the reading.

**Room for a new connection.** A worker holds as many connections as its open-file limit allows (raised to
the hard limit when it starts), less a reserve for the store's files, MAX_CONNECTIONS at most. gunicorn
stopped accepting at 1000 connections, and one past the open-file limit ended the worker (EMFILE) and every
request in it: 1100 idle connections from one client left `bilateral serve` answering nobody, or
restarting. A worker that is full makes room for a new connection by closing the one that matters least
(`make_room`); one whose connections all have their requests in hand answers the newcomer 503.
"""

from __future__ import annotations

import resource
import selectors
import socket
import time
from collections import deque
from functools import partial
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

from api.problems import problem_message

CLOSE_LINGER_S = 2.0
"""How long a connection being closed waits for the client to close its side (gunicorn's wait)."""
CLOSE_DRAIN_BYTES = 65536
"""How much a connection being closed reads of what the client still sends before closing anyway."""
MAX_CONNECTIONS = 10_000
"""The most connections a worker holds, whatever its open-file limit."""
BUSY = problem_message(
    503,
    "Service Unavailable",
    "Server busy",
    "Every connection this server holds has a request in hand: try again in a moment.",
    None,
)


def connection_room() -> int:
    """The connections a worker may hold: its open-file limit, raised to the hard limit if it can be, less
    a reserve (64 files, or an eighth of the limit) for the store's files, logs and pipes."""
    unlimited = 2 * MAX_CONNECTIONS
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        soft = unlimited
    elif soft < hard or hard == resource.RLIM_INFINITY:
        wanted = unlimited if hard == resource.RLIM_INFINITY else hard
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):
            pass
    return max(8, min(MAX_CONNECTIONS, soft - max(64, soft // 8)))


def received(sock: socket.socket) -> bytes | None:
    """What has arrived on a non-blocking socket, without waiting: None if nothing yet, b"" if the client
    has gone (or the socket failed)."""
    try:
        return sock.recv(65536)
    except (BlockingIOError, InterruptedError):
        return None
    except OSError:
        return b""


class _Closing:
    """A connection being closed: its socket, by when it is closed whatever comes, and what was read."""

    __slots__ = ("deadline", "drained", "sock")

    def __init__(self, sock: socket.socket, deadline: float):
        self.sock, self.deadline, self.drained = sock, deadline, 0


class RoomyThreadWorker(ThreadWorker):  # type: ignore[misc]
    """gunicorn's threaded worker, closing connections on its poller and making room for new ones."""

    def init_process(self) -> None:
        self.room = connection_room()
        self.worker_connections = self.room + 1  # gunicorn's own check never stops accepting: see `accept_room`
        self.max_keepalived = self.room - self.cfg.threads
        self.closing: deque[_Closing] = deque()  # by deadline; some closed already
        self.closings = 0  # those not closed yet
        self._warned_at = 0.0
        super().init_process()

    def held(self) -> int:
        """The connections this worker holds, those being closed too."""
        return int(self.nr_conns) + self.closings

    def close_gracefully(self, sock: socket.socket) -> None:
        """Close a connection (its requests counted out already) as RFC 9112 asks, on the poller."""
        try:
            sock.shutdown(socket.SHUT_WR)
            sock.setblocking(False)
        except OSError:
            sock.close()
            return
        closing = _Closing(sock, time.monotonic() + CLOSE_LINGER_S)
        self.closing.append(closing)
        self.closings += 1
        self.poller.register(sock, selectors.EVENT_READ, partial(self._read_closing, closing))

    def _read_closing(self, closing: _Closing, _client: object = None) -> None:
        data = received(closing.sock)
        if data is None:
            return
        closing.drained += len(data)
        if not data or closing.drained >= CLOSE_DRAIN_BYTES:
            self._close(closing)

    def _close(self, closing: _Closing) -> None:
        if closing.sock.fileno() < 0:
            return
        self.stop_polling(closing.sock)
        closing.sock.close()
        self.closings -= 1

    def end_closings(self, now: float) -> None:
        """Close the connections that have lingered CLOSE_LINGER_S."""
        while self.closing and self.closing[0].deadline <= now:
            self._close(self.closing.popleft())

    def make_room(self) -> bool:
        """Close the connection that matters least, if any: one being closed, else the one kept alive
        longest without a request. Whether one was."""
        while self.closing:
            closing = self.closing.popleft()
            if closing.sock.fileno() >= 0:
                self._close(closing)
                return True
        if self.keepalived_conns:
            self.drop(self.keepalived_conns.popleft())
            return True
        return False

    def stop_polling(self, sock: socket.socket) -> None:
        """Take a socket off the poller, if it is there."""
        try:
            self.poller.unregister(sock)
        except (KeyError, ValueError, OSError):
            pass

    def drop(self, conn: Any) -> None:
        """Close a connection at once, and count it out of the worker's."""
        self.stop_polling(conn.sock)
        self.nr_conns -= 1
        conn.close()

    def warn_full(self, why: str) -> None:
        """Log that the worker is full, once a minute at most."""
        now = time.monotonic()
        if now - self._warned_at >= 60:
            self._warned_at = now
            self.log.warning("%s: %d connections held, room for %d; closing idle ones", why, self.held(), self.room)

    def refuse(self, client: socket.socket) -> None:
        """Answer a connection there is no room for 503, and close it."""
        try:
            client.setblocking(False)
            client.send(BUSY)
        except OSError:
            pass
        client.close()
