"""`api.response_sending` on a real socket pair: an answer the client does not read is kept, not waited
for, and leaves whole and in order once it reads; past the worker's bound a thread waits, for the stall
time at most."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from api.response_sending import Outgoing, SendingSocket

ANSWER = bytes(range(256)) * 40_000  # 10 MB: more than the socket pair's buffers hold


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    server, client = socket.socketpair()
    yield server, client
    server.close()
    client.close()


def read_all(client: socket.socket, size: int, into: list[bytes]) -> None:
    got = 0
    while got < size:
        chunk = client.recv(1 << 20)
        if not chunk:
            return
        into.append(chunk)
        got += len(chunk)


def test_an_answer_the_client_does_not_read_is_kept_and_then_sent_in_order(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    server, client = pair
    outgoing = Outgoing(64 * 2**20)
    sending = SendingSocket(server, outgoing, stall_s=5)
    started = time.monotonic()
    sending.sendall(b"HTTP/1.1 200 OK\r\n\r\n")
    sending.sendall(ANSWER)  # the client reads nothing yet: this returns at once
    assert time.monotonic() - started < 1
    assert 0 < sending.pending_bytes < len(ANSWER) and outgoing.held == sending.pending_bytes
    received: list[bytes] = []
    reader = threading.Thread(target=read_all, args=(client, len(ANSWER) + 19, received))
    reader.start()
    while not sending.send_pending():  # the poller's part: send what the socket takes, when it takes it
        time.sleep(0.001)
    reader.join(10)
    assert b"".join(received) == b"HTTP/1.1 200 OK\r\n\r\n" + ANSWER
    assert sending.pending_bytes == 0 and outgoing.held == 0


def test_past_the_bound_a_thread_waits_for_the_client_for_the_stall_time_at_most(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    server, client = pair
    outgoing = Outgoing(1024)  # less than what the socket does not take
    sending = SendingSocket(server, outgoing, stall_s=0.5)
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="took nothing of its answer for 0.5 s"):
        sending.sendall(ANSWER)
    assert 0.4 < time.monotonic() - started < 5
    assert outgoing.held == 0


def test_a_client_that_takes_nothing_for_the_stall_time_is_stalled(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    server, _client = pair
    outgoing = Outgoing(64 * 2**20)
    sending = SendingSocket(server, outgoing, stall_s=0.2)
    sending.sendall(ANSWER)
    assert not sending.stalled(time.monotonic())
    time.sleep(0.3)
    assert not sending.send_pending() and sending.stalled(time.monotonic())
    sending.close()
    assert outgoing.held == 0
