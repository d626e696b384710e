"""Responses a client is slow to take. A request thread writes its response into the connection's socket
without waiting: what the socket does not take at once is kept, and the worker's poller sends it as the
client reads (`api.http_worker`), so that a client that reads slowly, or not at all, holds no thread.

Twelve clients that asked for a large answer and read none of it left `bilateral serve` answering nobody:
each held a request thread in `sendall` for as long as it kept its connection open. What the connections
of a worker hold this way is bounded (`Outgoing`); past the bound a thread sends the rest itself, and a
client that takes nothing for the stall time is cut off there and on the poller alike.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from collections import deque
from typing import Any

_DONTWAIT = socket.MSG_DONTWAIT


class Outgoing:
    """The bytes of responses that a worker's connections hold unsent, all together, up to `limit`."""

    def __init__(self, limit: int):
        self.limit, self.held = limit, 0
        self._lock = threading.Lock()  # request threads take, the poller's thread gives back

    def take(self, size: int) -> bool:
        with self._lock:
            if self.held + size > self.limit:
                return False
            self.held += size
            return True

    def give_back(self, size: int) -> None:
        with self._lock:
            self.held -= size


class SendingSocket:
    """A connection's socket whose `sendall` does not wait for the client: what the socket does not take
    is kept, in order, for `send_pending`. Everything else is the socket's own."""

    def __init__(self, sock: socket.socket, outgoing: Outgoing, stall_s: float):
        self._sock, self._outgoing, self.stall_s = sock, outgoing, stall_s
        self._pending: deque[memoryview] = deque()
        self.pending_bytes = 0
        self.last_progress = time.monotonic()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def fileno(self) -> int:
        return self._sock.fileno()

    def sendall(self, data: bytes | bytearray | memoryview, flags: int = 0) -> None:
        view = memoryview(data).cast("B")
        if not self._pending:
            view = view[self._send_now(view) :]
            if not view:
                return
        if self._outgoing.take(len(view)):
            self._pending.append(view if isinstance(data, bytes) else memoryview(bytes(view)))
            self.pending_bytes += len(view)
            return
        self.flush()  # too much held already: this thread sends, and waits for the client
        self._send_waiting(view)

    def send(self, data: bytes | bytearray | memoryview, flags: int = 0) -> int:
        self.sendall(data)
        return len(data)

    def send_pending(self) -> bool:
        """Send what the socket takes now of what is kept, without waiting: whether all of it is sent.
        Raises OSError if the client has gone."""
        while self._pending:
            first = self._pending[0]
            sent = self._send_now(first)
            if sent:
                self.pending_bytes -= sent
                self._outgoing.give_back(sent)
            if sent < len(first):
                self._pending[0] = first[sent:]
                return False
            self._pending.popleft()
        return True

    def flush(self) -> None:
        """Send everything kept, waiting for the client (socket.timeout if it takes nothing for stall_s)."""
        while self._pending:
            view = self._pending.popleft()
            self.pending_bytes -= len(view)
            self._outgoing.give_back(len(view))
            self._send_waiting(view)

    def stalled(self, now: float) -> bool:
        """Whether the client has taken nothing of what is kept for stall_s."""
        return bool(self._pending) and now - self.last_progress > self.stall_s

    def close(self) -> None:
        self._outgoing.give_back(self.pending_bytes)
        self._pending.clear()
        self.pending_bytes = 0
        self._sock.close()

    def _send_now(self, view: memoryview) -> int:
        sent = 0
        while sent < len(view):
            try:
                sent += self._sock.send(view[sent:], _DONTWAIT)
            except (BlockingIOError, InterruptedError):
                break
        if sent:
            self.last_progress = time.monotonic()
        return sent

    def _send_waiting(self, view: memoryview) -> None:
        """Send all of `view`, waiting at most stall_s each time the client takes nothing."""
        sent = 0
        while sent < len(view):
            sent += self._send_now(view[sent:])
            if sent < len(view):
                _wait_writable(self._sock, self.stall_s)


def _wait_writable(sock: socket.socket, seconds: float) -> None:
    poller = select.poll()
    poller.register(sock, select.POLLOUT)
    if not poller.poll(seconds * 1000):
        raise TimeoutError(f"the client took nothing of its answer for {seconds:g} s")
