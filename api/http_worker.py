"""The gunicorn worker class of `bilateral serve`: gunicorn's threaded worker (`gthread`), except that a request
thread takes a request only once it has arrived, and keeps serving a connection while requests keep coming.

**Requests arrive before a thread takes them.** `gthread` hands a connection to a request thread as soon
as it is accepted, or as soon as a kept-alive one turns readable, and the thread then reads the request
from the socket, waiting for every byte. A client that sends a header line now and then (slowloris) held
a thread for as long as it liked: ten such connections left `bilateral serve` answering nobody, where
`oxigraph serve` kept answering with two hundred. Here the worker's poller reads what arrives, without a
thread, until the whole request is there (`api.request_arrival`): its head, its body (of any length up to
the server's limit, chunked or not; the poller answers `Expect: 100-continue` itself), and the rest of a
request that came in part behind the one before it (pipelined). Twelve clients announcing a 2 MB body and
sending it a byte at a time left the server answering nobody while bodies over 1 MB were read by threads.
A request that has not arrived within the server's request time (`BILATERAL_REQUEST_TIME_S`, 20 s) is
answered 408 and its connection closed; a connection that sends nothing in that time is closed. A body
over the limit is answered 413 before it is sent. What the poller holds is bounded (BUFFERED_BYTES): past
it, a request still arriving is answered 503.

**Answers leave without a thread.** A thread writes its answer without waiting for the client
(`api.response_sending`); the poller sends what the client has not yet taken, and closes a connection whose
client takes nothing for the request time. Connections are closed on the poller too, and a full worker
makes room for a new one (`api.worker_connections`).

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
import select
import selectors
import socket
import threading
import time
from collections import deque
from functools import partial
from typing import Any

from gunicorn.workers.gthread import TConn

from api.problems import TOO_LARGE, problem_message
from api.request_arrival import CONTINUE, Verdict, expects_continue, has_arrived, judged, request_target
from api.response_sending import Outgoing, SendingSocket
from api.settings import Settings
from api.unreadable_requests import ProblemWriter
from api.worker_connections import BUSY, RoomyThreadWorker, received
from graph.sparql_syntax import PARSER_STACK_BYTES

LINGER_S = 0.02
"""How long a thread waits on a kept-alive connection for its next request before giving it back."""
BUFFERED_BYTES = 256 * 1024 * 1024
"""The most the poller holds of requests still arriving, all connections together: a request that would
take it past this is answered 503, so that many large uploads at once cannot exhaust the memory."""
OUTGOING_BYTES = 256 * 1024 * 1024
"""The most a worker's connections hold of responses their clients have not taken yet, all together."""
STOPPING_WAIT_S = 1.0
"""How long a stopping worker waits for a request on a connection that has sent nothing yet."""
REQUEST_TIME_S = 20.0
"""How long a client may take to send a request, unless the server's settings say otherwise."""

_PEEKED_BYTES = 65536
"""A lingering thread looks at this much of what came: a longer request goes through the poller."""


class _Arrival:
    """A request arriving on a connection: what came so far, by when the rest must, and whether the
    client was told to go on with its body (`100 Continue`)."""

    __slots__ = ("conn", "continued", "data", "deadline")

    def __init__(self, conn: Any, deadline: float):
        self.conn, self.data, self.deadline, self.continued = conn, bytearray(), deadline, False


class _Connection(TConn):  # type: ignore[misc]
    """gunicorn's connection, whose answers leave without waiting for the client (`SendingSocket`), closed
    gracefully by its worker's poller (`RoomyThreadWorker.close_gracefully`)."""

    def __init__(self, worker: LingeringThreadWorker, sock: socket.socket, *args: Any):
        super().__init__(worker.cfg, SendingSocket(sock, worker.outgoing, worker.request_time_s), *args)
        self.worker = worker

    def close(self, graceful: bool = False) -> None:
        if graceful:  # by the main thread (gthread's `finish_request`), which owns the poller
            self.worker.close_gracefully(self.sock)
        else:
            super().close()


def next_request_within(connection: Any, seconds: float, max_body_bytes: int) -> bool:
    """Whether a gunicorn connection has the whole of its next request (`has_arrived`) within `seconds`."""
    if connection.parser is not None and (ahead := connection.parser.unreader.buf.getvalue()):
        return has_arrived(ahead, max_body_bytes)  # read ahead with the request before (pipelined)
    poller = select.poll()  # one descriptor, any number: no FD_SETSIZE limit
    poller.register(connection.sock, select.POLLIN)
    if not poller.poll(seconds * 1000):
        return False
    try:
        waiting = connection.sock.recv(_PEEKED_BYTES, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except OSError:
        return True  # the parser meets the same error, and ends the connection
    return not waiting or (len(waiting) < _PEEKED_BYTES and has_arrived(waiting, max_body_bytes))


class LingeringThreadWorker(RoomyThreadWorker):
    """`gthread`, taking requests once they have arrived, with a request thread that keeps serving its
    connection while requests keep coming, and problem documents for requests it cannot read."""

    def init_process(self) -> None:
        settings = getattr(self.app, "settings", None)
        self.request_time_s: float = getattr(settings, "request_time_s", REQUEST_TIME_S)
        self.max_body_bytes: int = getattr(settings, "max_body_bytes", Settings.max_body_bytes)
        self.arrivals: deque[_Arrival] = deque()  # by deadline: each is now plus the same request time
        self.buffered = 0  # bytes of the arrivals' data, all together
        self.outgoing = Outgoing(OUTGOING_BYTES)
        self.sending: set[Any] = set()  # connections whose responses the poller is sending
        # The request threads, started from here on, hand queries to Oxigraph's parser: a sum of 8,000 terms
        # overflowed the usual 8 MB and ended the worker (SIGSEGV).
        threading.stack_size(PARSER_STACK_BYTES)
        super().init_process()

    def accept(self, listener: socket.socket) -> None:
        if self.held() >= self.room:
            self.warn_full("full")
            self._make_room()
        try:
            client, address = listener.accept()
        except OSError as error:
            if error.errno in (errno.EMFILE, errno.ENFILE):  # the reserve is spent: close one, accept later
                self.warn_full("out of open files")
                if not self._make_room():
                    time.sleep(0.01)  # every connection busy: do not spin on the listener meanwhile
            elif error.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        if self.held() >= self.room:  # every connection has its request in hand
            self.refuse(client)
            return
        self.nr_conns += 1
        self._await_request(_Connection(self, client, address, listener.getsockname()))  # non-blocking

    def on_client_socket_readable(self, conn: Any, client: socket.socket) -> None:
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self._await_request(conn)
        self._read_arriving(conn)

    def _await_request(self, conn: Any) -> None:
        conn.arrival = _Arrival(conn, time.monotonic() + self.request_time_s)
        conn.arrival.data += getattr(conn, "set_aside", b"")
        self.buffered += len(conn.arrival.data)
        conn.set_aside = b""
        self.arrivals.append(conn.arrival)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._read_arriving, conn))

    def _read_arriving(self, conn: Any, _client: object = None) -> None:
        """Read what has arrived of a request, without waiting; hand it to a thread once it is whole."""
        arrival: _Arrival = conn.arrival
        data = received(conn.sock)
        if data is None:
            return
        if not data:  # the client went away
            self._end_arrival(conn)
            return
        arrival.data += data
        self.buffered += len(data)
        verdict = judged(arrival.data, self.max_body_bytes)
        if verdict is Verdict.WHOLE:
            self.poller.unregister(conn.sock)
            self._release(arrival)
            conn.arrived = bytes(arrival.data)
            conn.data_ready = True
            self.enqueue_req(conn)
        elif verdict is Verdict.TOO_LARGE:  # answered before its body is read (RFC 9110, section 10.1.1)
            target = request_target(arrival.data)
            problem = problem_message(413, "Content Too Large", "Request Entity Too Large", TOO_LARGE, target)
            self._end_arrival(conn, problem)
        elif self.buffered > BUFFERED_BYTES:
            detail = "The server is receiving more large requests than it holds at once: send this one again."
            self.log.warning("%s: %d bytes of requests arriving; answered 503", conn.client, self.buffered)
            self._end_arrival(conn, problem_message(503, "Service Unavailable", "Server busy", detail, None))
        elif not arrival.continued and expects_continue(arrival.data):
            arrival.continued = True
            try:
                conn.sock.send(CONTINUE)  # 25 bytes into an empty send buffer: sent whole
            except OSError:
                self._end_arrival(conn)

    def _make_room(self) -> bool:
        """`make_room`, else end the request that has been arriving longest (503). Whether room was made."""
        if self.make_room():
            return True
        while self.arrivals:
            arrival = self.arrivals.popleft()
            if arrival.conn.arrival is arrival:
                self._end_arrival(arrival.conn, BUSY if arrival.data else b"")
                return True
        return False

    def _release(self, arrival: _Arrival) -> None:
        """Forget an arrival's data: it went to a thread, or its connection is ending."""
        self.buffered -= len(arrival.data)
        arrival.conn.arrival = None

    def _end_arrival(self, conn: Any, answer: bytes = b"") -> None:
        self.stop_polling(conn.sock)
        if conn.arrival is not None:
            self._release(conn.arrival)
        self.nr_conns -= 1
        if not answer:
            conn.close()
            return
        try:
            conn.sock.sendall(answer)  # a few hundred bytes into an empty send buffer: sent at once
        except OSError:
            conn.close()
            return
        self.close_gracefully(conn.sock)  # not a reset, which could discard the answer before it is read

    def murder_pending(self) -> None:
        """Besides gunicorn's, end the requests that have not arrived in time and the closings that have
        lingered long enough (called once a second); a stopping worker ends the connections that have sent
        nothing for STOPPING_WAIT_S."""
        super().murder_pending()
        now = time.monotonic()
        self.end_closings(now)
        for conn in [c for c in self.sending if c.sock.stalled(now)]:
            self.log.warning("%s took nothing of its answer for %g s; closed", conn.client, self.request_time_s)
            self._stop_sending(conn)
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
        while (
            keep_alive is True
            and self.alive
            and not conn.sock.pending_bytes
            and next_request_within(conn, LINGER_S, self.max_body_bytes)
        ):
            keep_alive = super().handle(conn)
        if keep_alive is True and conn.parser is not None:
            ahead = conn.parser.unreader.buf.getvalue()
            if ahead and not has_arrived(ahead, self.max_body_bytes):  # the poller waits for the rest
                conn.set_aside = conn.parser.unreader.take_buffered()
        return keep_alive

    def finish_request(self, conn: Any, fs: Any) -> None:
        """gunicorn's, once the poller has sent what the client has not yet taken of the response."""
        if not conn.sock.pending_bytes or fs.cancelled():
            super().finish_request(conn, fs)
            return
        self.sending.add(conn)
        then = partial(super().finish_request, conn, fs)
        self.poller.register(conn.sock, selectors.EVENT_WRITE, partial(self._send_more, conn, then))

    def _send_more(self, conn: Any, then: Any, _client: object = None) -> None:
        try:
            done = conn.sock.send_pending()
        except OSError:  # the client has gone
            self._stop_sending(conn)
            return
        if done:
            self.sending.discard(conn)
            self.poller.unregister(conn.sock)
            then()

    def _stop_sending(self, conn: Any) -> None:
        self.sending.discard(conn)
        self.drop(conn)

    def handle_request(self, req: Any, conn: Any) -> Any:
        # A thread only takes a request whose body is there (the poller sent `100 Continue` if it was asked):
        # gunicorn must not send one.
        req._expected_100_continue = False
        return super().handle_request(req, conn)

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        super().handle_error(req, ProblemWriter(client, exc), addr, exc)
