"""Kept-alive connections on the live server (`api.keepalive_worker`): a thread keeps serving a connection
while requests come, gives it back to the poller when they stop, and never starves other connections."""

from __future__ import annotations

import http.client
import socket
import time
from urllib.parse import quote, urlsplit

from api.keepalive_worker import LINGER_S
from tests.api.conftest import BilateralServer

ASK = "/sparql?query=" + quote("ASK { ?s ?p ?o }")


def connect(server: BilateralServer) -> http.client.HTTPConnection:
    parts = urlsplit(server.url)
    assert parts.hostname is not None and parts.port is not None
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)


def ask(connection: http.client.HTTPConnection) -> bytes:
    connection.request("GET", ASK, headers={"Accept": "application/sparql-results+json"})
    response = connection.getresponse()
    body = response.read()
    assert response.status == 200 and not response.will_close, body
    return body


def test_one_connection_carries_request_after_request(seeded_server: BilateralServer) -> None:
    connection = connect(seeded_server)
    ask(connection)
    first = connection.sock
    answers = {ask(connection) for _ in range(30)}
    assert connection.sock is first  # http.client opens a new socket when the server closes one
    assert answers == {b'{"head":{},"boolean":true}'}
    connection.close()


def test_a_connection_quiet_for_longer_than_the_linger_is_served_again(seeded_server: BilateralServer) -> None:
    connection = connect(seeded_server)
    ask(connection)
    first = connection.sock
    time.sleep(LINGER_S * 10)  # back with gunicorn's poller by now
    ask(connection)
    assert connection.sock is first
    connection.close()


def test_pipelined_requests_are_answered_in_order(seeded_server: BilateralServer) -> None:
    parts = urlsplit(seeded_server.url)
    host = f"{parts.hostname}:{parts.port}"
    requests_sent = (
        f"GET /health HTTP/1.1\r\nHost: {host}\r\n\r\n"
        f"GET {ASK} HTTP/1.1\r\nHost: {host}\r\nAccept: application/sparql-results+json\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection((parts.hostname, parts.port), timeout=20) as raw:
        raw.sendall(requests_sent.encode())  # both at once: the second is read ahead with the first
        received = b""
        while chunk := raw.recv(65536):
            received += chunk
    assert received.count(b"HTTP/1.1 200 OK") == 2
    assert received.index(b'"status"') < received.index(b'"boolean":true')


def test_more_kept_alive_connections_than_threads_are_all_served(seeded_server: BilateralServer) -> None:
    # The server runs 8 request threads (--workers 2); 20 clients take turns, each on its own connection.
    connections = [connect(seeded_server) for _ in range(20)]
    for _round in range(3):
        for connection in connections:
            ask(connection)
    sockets = {id(c.sock) for c in connections}
    assert len(sockets) == 20
    for connection in connections:
        connection.close()
