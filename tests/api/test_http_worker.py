"""The live server's HTTP worker (`api.http_worker`): slow clients hold no request thread, and a request that
does not arrive in time is answered 408; a thread keeps serving a kept-alive connection while requests
come, gives it back to the poller when they stop, and never starves other connections."""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
import requests

from api.http_worker import LINGER_S
from tests.api.conftest import TOKEN, BilateralServer

ASK = "/sparql?query=" + quote("ASK { ?s ?p ?o }")
JSON = "application/sparql-results+json"


def connect(server: BilateralServer) -> http.client.HTTPConnection:
    parts = urlsplit(server.url)
    assert parts.hostname is not None and parts.port is not None
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)


def raw_connection_address(server: BilateralServer) -> tuple[str, int]:
    parts = urlsplit(server.url)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


def raw_connection(server: BilateralServer) -> socket.socket:
    return socket.create_connection(raw_connection_address(server), timeout=20)


def received(raw: socket.socket) -> bytes:
    answer = b""
    while chunk := raw.recv(65536):
        answer += chunk
    return answer


@pytest.fixture(scope="module")
def impatient_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BilateralServer]:
    server = BilateralServer(tmp_path_factory.mktemp("impatient") / "store", env={"BILATERAL_REQUEST_TIME_S": "2"})
    yield server
    server.stop()


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
    host = urlsplit(seeded_server.url).netloc
    requests_sent = (
        f"GET /health HTTP/1.1\r\nHost: {host}\r\n\r\n"
        f"GET {ASK} HTTP/1.1\r\nHost: {host}\r\nAccept: application/sparql-results+json\r\nConnection: close\r\n\r\n"
    )
    with raw_connection(seeded_server) as raw:
        raw.sendall(requests_sent.encode())  # both at once: the second is read ahead with the first
        answers = received(raw)
    assert answers.count(b"HTTP/1.1 200 OK") == 2
    assert answers.index(b'"status"') < answers.index(b'"boolean":true')


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


def test_slow_clients_hold_no_request_thread(impatient_server: BilateralServer) -> None:
    # 20 clients (the server has 8 request threads) send a request's head a line at a time, and one a body
    # a byte at a time; every other client is answered meanwhile. (A request line alone that is none, HTTP/0.9's
    # `GET /`, goes to the parser at once: `has_arrived`.)
    slow = [raw_connection(impatient_server) for _ in range(20)]
    for number, raw in enumerate(slow):  # half of them after an empty line, which a request may follow
        raw.sendall(b"\r\n" * (number % 2) + b"GET /health HTTP/1.1\r\nHost: x\r\n")
    slow[0].sendall(b"Content-Length: 100\r\n\r\nq")
    try:
        for _ in range(3):
            connection = connect(impatient_server)
            started = time.monotonic()
            assert ask(connection) == b'{"head":{},"boolean":true}'
            assert time.monotonic() - started < 1.0
            connection.close()
            for raw in slow:
                raw.sendall(b"X-Slowly: 1\r\n" if raw is not slow[0] else b"q")
            time.sleep(0.2)
    finally:
        for raw in slow:
            raw.close()


def test_a_request_that_does_not_arrive_in_time_is_answered_408(impatient_server: BilateralServer) -> None:
    with raw_connection(impatient_server) as partial, raw_connection(impatient_server) as silent:
        started = time.monotonic()
        partial.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\nquery=")
        answer = received(partial)
        assert 1.5 < time.monotonic() - started < 10
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408 ") and b"Content-Type: application/problem+json" in head
        problem = json.loads(body)
        assert problem["status"] == 408 and "within 2 s" in problem["detail"]
        assert "BILATERAL_REQUEST_TIME_S" in problem["detail"]
        assert received(silent) == b""  # a connection that sent nothing is closed without an answer
    # A head the parser refuses is refused at once, not waited for: two lengths, the body of the first there.
    with raw_connection(impatient_server) as doubled:
        started = time.monotonic()
        doubled.sendall(
            b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\nContent-Length: 13\r\n\r\nquery=ASK{}"
        )
        assert received(doubled).startswith(b"HTTP/1.1 400 ") and time.monotonic() - started < 1.5
    # A request sent in parts within the time is answered, its body read before a thread takes it.
    with raw_connection(impatient_server) as parts:
        form = b"query=" + quote("ASK {}").encode()
        parts.sendall(
            b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            + f"Content-Length: {len(form)}\r\nConnection: close\r\n\r\n".encode()
            + form[:4]
        )
        time.sleep(0.5)
        parts.sendall(form[4:])
        answer = received(parts)
        assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b'{"head":{},"boolean":true}')


def test_a_kept_alive_connection_sending_its_next_request_slowly_holds_no_thread(
    impatient_server: BilateralServer,
) -> None:
    # Each of 12 connections is answered once, then sends half of its next request: no thread waits on it.
    connections = [connect(impatient_server) for _ in range(12)]
    for connection in connections:
        ask(connection)
        assert connection.sock is not None
        connection.sock.sendall(b"GET /health HTTP/1.1\r\n")
    try:
        fresh = connect(impatient_server)
        started = time.monotonic()
        ask(fresh)
        assert time.monotonic() - started < 1.0
        fresh.close()
    finally:
        for connection in connections:
            connection.close()


def test_a_request_sent_in_part_behind_a_whole_one_holds_no_thread(impatient_server: BilateralServer) -> None:
    # Each of 12 connections sends a whole request and the start of the next at once (pipelined).
    pipelined = [raw_connection(impatient_server) for _ in range(12)]
    for raw in pipelined:
        raw.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n")
    try:
        time.sleep(0.5)
        fresh = connect(impatient_server)
        started = time.monotonic()
        ask(fresh)
        assert time.monotonic() - started < 1.0
        fresh.close()
        pipelined[0].sendall(b"Connection: close\r\n\r\n")  # the rest of the second: both answered
        assert received(pipelined[0]).count(b"HTTP/1.1 200 OK") == 2
    finally:
        for raw in pipelined:
            raw.close()


def answered_at_once(server: BilateralServer, within_s: float = 1.0) -> None:
    connection = connect(server)
    started = time.monotonic()
    assert ask(connection) == b'{"head":{},"boolean":true}'
    assert time.monotonic() - started < within_s
    connection.close()


def test_large_and_chunked_bodies_sent_slowly_hold_no_thread(impatient_server: BilateralServer) -> None:
    # 10 clients announce a 2 MB body (the limit is 16 MB) and 4 send chunks, all a little at a time.
    slow = [raw_connection(impatient_server) for _ in range(14)]
    form = b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    for number, raw in enumerate(slow):
        framing = b"Content-Length: 2000000\r\n\r\n" if number < 10 else b"Transfer-Encoding: chunked\r\n\r\n"
        raw.sendall(form + framing)
    try:
        for _ in range(3):
            answered_at_once(impatient_server)
            for raw in slow:
                raw.sendall(b"query=" if raw in slow[:10] else b"3\r\nabc\r\n")
            time.sleep(0.2)
    finally:
        for raw in slow:
            raw.close()


def test_a_body_over_the_limit_is_answered_413_before_it_is_sent(seeded_server: BilateralServer) -> None:
    over = 17 * 1024 * 1024  # the limit is 16 MB
    heads = [
        f"PUT /store?graph=urn:x:big HTTP/1.1\r\nHost: x\r\nContent-Length: {over}\r\n\r\n".encode(),
        f"PUT /store?graph=urn:x:big HTTP/1.1\r\nHost: x\r\nContent-Length: {over}\r\nExpect: 100-continue\r\n\r\n".encode(),
        f"PUT /store HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{over:x}\r\n".encode(),
    ]
    refused = [raw_connection(seeded_server) for _ in range(12)]
    try:
        started = time.monotonic()
        for number, raw in enumerate(refused):
            raw.sendall(heads[number % len(heads)])
        for raw in refused:  # each answered without its body, and its connection closed
            head, _, body = received(raw).partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 413 ") and b"\r\nConnection: close" in head
            problem = json.loads(body)
            assert problem["status"] == 413 and problem["instance"] == "/store"
            assert "BILATERAL_MAX_BODY_MB" in problem["detail"]
        assert time.monotonic() - started < 5
        answered_at_once(seeded_server)
    finally:
        for raw in refused:
            raw.close()


def test_expect_100_continue_is_answered_once_before_the_body(seeded_server: BilateralServer) -> None:
    form = b"query=" + quote("ASK {}").encode()
    with raw_connection(seeded_server) as raw:
        raw.sendall(
            b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            + f"Content-Length: {len(form)}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n".encode()
        )
        assert raw.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        raw.sendall(form)
        answer = received(raw)
    assert answer.startswith(b"HTTP/1.1 200 ") and b"100 Continue" not in answer
    assert answer.endswith(b'{"head":{},"boolean":true}')


def test_clients_that_keep_their_socket_after_connection_close_stall_nobody(seeded_server: BilateralServer) -> None:
    # The server closes each connection when the client has closed its side, or after 2 s: meanwhile its
    # poller serves everyone else (gunicorn waited on each in turn, 2 s each, serving no one).
    lingering = [raw_connection(seeded_server) for _ in range(12)]
    try:
        for raw in lingering:
            raw.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        time.sleep(0.3)
        answered_at_once(seeded_server)
        for raw in lingering:
            answer = received(raw)  # the whole answer, then the end of the connection
            assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b'"status":"ok"}\n')
    finally:
        for raw in lingering:
            raw.close()


def test_a_client_that_reads_none_of_its_answer_holds_no_thread(impatient_server: BilateralServer) -> None:
    # 10 clients (the server has 8 request threads) ask for some 15 MB each and read nothing: their answers
    # wait on the poller, and each connection is closed once its client has taken nothing for the request
    # time (2 s here).
    query = quote("SELECT ?s ?p ?o WHERE { ?s ?p ?o . ?a ?b ?c } LIMIT 60000")
    readers = []
    for _ in range(10):
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting: a small window
        raw.settimeout(20)
        raw.connect(raw_connection_address(impatient_server))
        raw.sendall(f"GET /sparql?query={query} HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\r\n".encode())
        readers.append(raw)
    try:
        answered_at_once(impatient_server, within_s=10)  # the 10 answers computed, none of them sent whole
        time.sleep(4)  # longer than the request time, and the poller's once-a-second sweep
        for raw in readers:
            head, _, body = received(raw).partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200 ")
            length = int(
                next(line.split(b":")[1] for line in head.split(b"\r\n") if line.startswith(b"Content-Length"))
            )
            assert length > 10_000_000 and len(body) < length  # cut off
    finally:
        for raw in readers:
            raw.close()


def test_a_full_worker_makes_room_for_a_new_connection(tmp_path: Path) -> None:
    # The server may open 256 files: room for 192 connections. 300 idle ones neither end the worker (which
    # ran out of files before, losing every request in it) nor keep a new client waiting: the oldest close.
    server = BilateralServer(tmp_path / "store", open_files=256)
    idle: list[socket.socket] = []
    try:
        idle += [raw_connection(server) for _ in range(300)]
        time.sleep(0.5)
        answered_at_once(server)
        for raw in idle[:50]:
            raw.settimeout(5)
            assert raw.recv(1) == b""  # closed without an answer: it had sent nothing
        log = Path(server.log.name).read_text()
        assert "Exception in worker process" not in log and log.count("Booting worker") == 1
        assert "connections held, room for 192; closing idle ones" in log
    finally:
        for raw in idle:
            raw.close()
        server.stop()


def test_a_query_past_what_the_parser_survives_ends_no_worker(impatient_server: BilateralServer) -> None:
    # 5,000 nested parentheses are refused, with the place, before the parser sees them; a sum of 10,000
    # terms, which overflowed the parser's stack on an 8 MB thread and ended the worker, is answered.
    deep = "ASK { FILTER(" + "(" * 5000 + "true" + ")" * 5000 + ") }"
    refused = requests.post(f"{impatient_server.url}/sparql", data={"query": deep}, timeout=30)
    assert refused.status_code == 400 and refused.headers["Content-Type"] == "application/problem+json"
    assert "at most 64 levels" in refused.json()["detail"] and "error at 1:76:" in refused.json()["detail"]
    chain = "ASK { FILTER(" + " + ".join(["1"] * 10_000) + " > 0) }"
    answered = requests.post(
        f"{impatient_server.url}/sparql", data={"query": chain}, headers={"Accept": JSON}, timeout=120
    )
    assert answered.status_code == 200 and answered.json()["boolean"] is True
    update = "DELETE { GRAPH ?g { ?s ?p ?o } }\nWHERE { GRAPH ?g { " + "{" * 3000 + " ?s ?p ?o " + "}" * 3000 + " } }"
    refused = requests.post(
        f"{impatient_server.url}/sparql",
        data={"update": update},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=30,
    )
    assert refused.status_code == 400 and "error at 2:82: the request nests brackets" in refused.json()["detail"]
    log = Path(impatient_server.log.name).read_text()
    assert log.count("Booting worker") == 1 and "exited with code" not in log
