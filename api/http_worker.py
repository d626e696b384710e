"""The gunicorn worker class of `bilateral serve`: gunicorn's threaded worker (`gthread`), except that a request
thread takes a request only once it has arrived, and keeps serving a connection while requests keep coming.

**Requests arrive before a thread takes them.** `gthread` hands a connection to a request thread as soon
as it is accepted, or as soon as a kept-alive one turns readable, and the thread then reads the request
from the socket, waiting for every byte. A client that sends a header line now and then (slowloris) held
a thread for as long as it liked: ten such connections left `bilateral serve` answering nobody, where
`oxigraph serve` kept answering with two hundred. Here the worker's poller reads what arrives, without a
thread, until the request's head is complete, and its body too when its Content-Length is at most
BUFFERED_BODY_BYTES (larger or chunked bodies, and those a client sends after `Expect: 100-continue`, are
read by the thread as before), and the rest of a request that came in part behind the one before it
(pipelined). A request that has not arrived within the server's request time (`BILATERAL_REQUEST_TIME_S`,
20 s) is answered 408 and its connection closed; a connection that sends nothing in that time is closed.

**A thread lingers on a kept-alive connection.** `gthread` hands a kept-alive connection back to its
poller after every request: the request thread tells the main thread (through a pipe), which registers the
socket, wakes when the next request arrives and submits the connection to the thread pool again. A client
that sends its next request at once (a notebook in a loop, a crawler, a benchmark) paid for those hops on
each request: with one client, 2.55 ms of server CPU per point query before, 2.0 ms after. The thread
serves the next request itself when the whole of it is there within LINGER_S; a connection quiet for that
long, or whose next request is still arriving, goes back to the poller; a stopping worker does not linger.

A request gunicorn cannot read is answered with a problem document (`api.unreadable_requests`).
"""

from __future__ import annotations

import errno
import re
import select
import selectors
import socket
import time
from collections import deque
from functools import partial
from typing import Any

from gunicorn.workers.gthread import TConn, ThreadWorker

from api.problems import problem_message
from api.unreadable_requests import ProblemWriter

LINGER_S = 0.02
"""How long a thread waits on a kept-alive connection for its next request before giving it back."""
BUFFERED_BODY_BYTES = 1024 * 1024
"""Bodies up to this size arrive whole before a thread takes their request."""
MAX_HEAD_BYTES = 64 * 1024
"""A head this long without its end goes to gunicorn's parser, which refuses it for its limits."""
STOPPING_WAIT_S = 1.0
"""How long a stopping worker waits for a request on a connection that has sent nothing yet."""
REQUEST_TIME_S = 20.0
"""How long a client may take to send a request, unless the server's settings say otherwise."""

_PEEKED_BYTES = 65536
"""A lingering thread looks at this much of what came: a longer request goes through the poller."""
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_REQUEST_LINE = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+ \S+ HTTP/\d\.\d\r?\n")
_CONTENT_LENGTH = re.compile(rb"^content-length[ \t]*:[ \t]*(\d+)[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)
_BODY_READ_BY_THREAD = re.compile(rb"^(?:transfer-encoding|expect)[ \t]*:", re.IGNORECASE | re.MULTILINE)


def has_arrived(data: bytes | bytearray) -> bool:
    """Whether `data`, the start of what a client sent, holds a request a thread may take: its head, and
    its body when the head announces one of at most BUFFERED_BODY_BYTES.

    >>> has_arrived(b"GET / HTTP/1.1\\r\\nHost: x\\r\\n"), has_arrived(b"GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
    (False, True)
    >>> has_arrived(b"GET /\\r\\n"), has_arrived(b"\\r\\nGET / HTTP/1.1\\r\\n")  # no request line; an empty line first
    (True, False)
    >>> post = b"POST /sparql HTTP/1.1\\r\\nContent-Length: 7\\r\\n\\r\\nquery="
    >>> has_arrived(post), has_arrived(post + b"x")
    (False, True)
    """
    start = len(data) - len(data.lstrip(b"\r\n"))  # empty lines before a request are skipped (RFC 9112)
    end = _HEAD_END.search(data, start)
    if end is None:  # a head still arriving, unless too long or its first line is no HTTP/1 request line
        line_end = data.find(b"\n", start)
        return len(data) > MAX_HEAD_BYTES or (line_end > 0 and not _REQUEST_LINE.match(data, start, line_end + 1))
    head = data[: end.start()]
    if _BODY_READ_BY_THREAD.search(head):
        return True
    lengths = _CONTENT_LENGTH.findall(head)
    if len(lengths) != 1:  # no body, or a head gunicorn's parser refuses (two lengths)
        return True
    size = int(lengths[0])
    return size > BUFFERED_BODY_BYTES or len(data) - end.end() >= size


class _Arrival:
    """A request arriving on a connection: what came so far, and by when the rest must."""

    __slots__ = ("conn", "data", "deadline")

    def __init__(self, conn: Any, deadline: float):
        self.conn, self.data, self.deadline = conn, bytearray(), deadline


def next_request_within(connection: Any, seconds: float) -> bool:
    """Whether a gunicorn connection has the whole of its next request (`has_arrived`) within `seconds`."""
    if connection.parser is not None and (ahead := connection.parser.unreader.buf.getvalue()):
        return has_arrived(ahead)  # read ahead with the request before (pipelined)
    poller = select.poll()  # one descriptor, any number: no FD_SETSIZE limit
    poller.register(connection.sock, select.POLLIN)
    if not poller.poll(seconds * 1000):
        return False
    try:
        waiting = connection.sock.recv(_PEEKED_BYTES, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except OSError:
        return True  # the parser meets the same error, and ends the connection
    return not waiting or (len(waiting) < _PEEKED_BYTES and has_arrived(waiting))


class LingeringThreadWorker(ThreadWorker):  # type: ignore[misc]
    """`gthread`, taking requests once they have arrived, with a request thread that keeps serving its
    connection while requests keep coming, and problem documents for requests it cannot read."""

    def init_process(self) -> None:
        settings = getattr(self.app, "settings", None)
        self.request_time_s: float = getattr(settings, "request_time_s", REQUEST_TIME_S)
        self.arrivals: deque[_Arrival] = deque()  # by deadline: each is now plus the same request time
        super().init_process()

    def accept(self, listener: socket.socket) -> None:
        try:
            client, address = listener.accept()
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        self._await_request(TConn(self.cfg, client, address, listener.getsockname()))  # non-blocking

    def on_client_socket_readable(self, conn: Any, client: socket.socket) -> None:
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self._await_request(conn)
        self._read_arriving(conn)

    def _await_request(self, conn: Any) -> None:
        conn.arrival = _Arrival(conn, time.monotonic() + self.request_time_s)
        conn.arrival.data += getattr(conn, "set_aside", b"")
        conn.set_aside = b""
        self.arrivals.append(conn.arrival)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._read_arriving, conn))

    def _read_arriving(self, conn: Any, _client: object = None) -> None:
        """Read what has arrived of a request, without waiting; hand it to a thread once it is whole."""
        arrival: _Arrival = conn.arrival
        try:
            data = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the client went away
            self._end_arrival(conn)
            return
        arrival.data += data
        if has_arrived(arrival.data):
            self.poller.unregister(conn.sock)
            conn.arrival = None
            conn.arrived = bytes(arrival.data)
            conn.data_ready = True
            self.enqueue_req(conn)

    def _end_arrival(self, conn: Any, answer: bytes = b"") -> None:
        try:
            self.poller.unregister(conn.sock)
        except (KeyError, ValueError, OSError):
            pass
        conn.arrival = None
        self.nr_conns -= 1
        if answer:
            try:
                conn.sock.settimeout(1.0)
                conn.sock.sendall(answer)
            except OSError:
                pass
        conn.close()

    def murder_pending(self) -> None:
        """Besides gunicorn's, end the requests that have not arrived in time (called once a second); a
        stopping worker ends the connections that have sent nothing for STOPPING_WAIT_S."""
        super().murder_pending()
        now = time.monotonic()
        if not self.alive:  # a client may have connected just before: its request may still be on its way
            quiet_since = now + self.request_time_s - STOPPING_WAIT_S
            for arrival in [a for a in self.arrivals if a.conn.arrival is a and not a.data]:
                if arrival.deadline <= quiet_since:
                    self._end_arrival(arrival.conn)
        while self.arrivals and self.arrivals[0].deadline <= now:
            arrival = self.arrivals.popleft()
            if arrival.conn.arrival is not arrival:
                continue  # taken by a thread meanwhile
            answer = b""
            if arrival.data:
                detail = (
                    f"The request did not arrive within {self.request_time_s:g} s: send its head and body "
                    "at once (the server's limit is BILATERAL_REQUEST_TIME_S)."
                )
                answer = problem_message(408, "Request Timeout", "Request timeout", detail, None)
                self.log.warning(
                    "%s: a request did not arrive within %g s; answered 408",
                    arrival.conn.client,
                    self.request_time_s,
                )
            self._end_arrival(arrival.conn, answer)

    def handle(self, conn: Any) -> Any:
        arrived = getattr(conn, "arrived", None)
        if arrived is not None:
            conn.arrived = None
            conn.sock.setblocking(True)
            conn.init()
            conn.parser.unreader.unread(arrived)
        keep_alive = super().handle(conn)
        while keep_alive is True and self.alive and next_request_within(conn, LINGER_S):
            keep_alive = super().handle(conn)
        if keep_alive is True and conn.parser is not None:
            ahead = conn.parser.unreader.buf.getvalue()
            if ahead and not has_arrived(ahead):  # the start of the next request: the poller waits for the rest
                conn.set_aside = conn.parser.unreader.take_buffered()
        return keep_alive

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        super().handle_error(req, ProblemWriter(client, exc), addr, exc)
