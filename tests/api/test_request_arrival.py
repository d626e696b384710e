"""`api.request_arrival` against gunicorn's own parser: a request judged to have arrived is one the parser
reads, body and all, without asking for a byte more (else a request thread would wait on the client); and
every request is judged to have arrived once all of it is there."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gunicorn.config import Config
from gunicorn.http.parser import RequestParser

from api.request_arrival import PARTIAL, TOO_LARGE, WHOLE, expects_continue, has_arrived, judged

LIMIT = 64
HEAD = b"POST /sparql HTTP/1.1\r\nHost: x\r\n"
REQUESTS = [
    b"GET /sparql?query=ASK HTTP/1.1\r\nHost: x\r\n\r\n",
    b"\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n",
    HEAD + b"Content-Length: 11\r\n\r\nquery=ASK{}",
    HEAD + b"Content-Length: 0\r\n\r\n",
    HEAD + b"Transfer-Encoding: chunked\r\n\r\n6\r\nquery=\r\n5\r\nASK{}\r\n0\r\n\r\n",
    HEAD + b"Transfer-Encoding: chunked\r\n\r\nb;name=value\r\nquery=ASK{}\r\n0\r\nX-Sum: 1\r\nX-Other: 2\r\n\r\n",
    HEAD + b"Transfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    HEAD + b"Expect: 100-continue\r\nContent-Length: 11\r\n\r\nquery=ASK{}",
]
REFUSED = [  # the parser refuses these from what is there: they go to a thread at once, which answers 400
    HEAD + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\n",
    HEAD + b"Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
    HEAD + b"Transfer-Encoding: chunked, gzip\r\n\r\n",
    HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\n",
    HEAD + b"Transfer-Encoding: chunked\r\n\r\n3\r\nabcXY",
]


class WantedMore(Exception):
    """The parser asked for more than was there."""


def arrived(data: bytes) -> Iterator[bytes]:
    yield data
    raise WantedMore


def parsed(data: bytes) -> bytes:
    """The body of the one request in `data`, as gunicorn's parser reads it; WantedMore if it asks for
    more (or StopIteration: nothing but empty lines)."""
    request = next(RequestParser(Config(), arrived(data), ("127.0.0.1", 1)))
    body: bytes = request.body.read()
    return body


@pytest.mark.parametrize("request_bytes", REQUESTS)
def test_a_request_has_arrived_exactly_when_the_parser_reads_it_whole(request_bytes: bytes) -> None:
    assert has_arrived(request_bytes, LIMIT)
    parsed(request_bytes)
    for end in range(len(request_bytes)):
        part = request_bytes[:end]
        if has_arrived(part, LIMIT):  # an empty line before the request: the parser skips it and waits
            raise AssertionError(f"judged whole after {end} bytes: {part!r}")
        with pytest.raises((WantedMore, StopIteration)):
            parsed(part)


@pytest.mark.parametrize("request_bytes", REFUSED)
def test_a_request_the_parser_refuses_from_what_is_there_goes_to_a_thread(request_bytes: bytes) -> None:
    assert has_arrived(request_bytes, LIMIT)
    with pytest.raises(Exception) as refused:
        parsed(request_bytes)
    assert not isinstance(refused.value, WantedMore | StopIteration)


def test_a_body_over_the_limit_is_too_large_before_it_has_come() -> None:
    length = HEAD + f"Content-Length: {LIMIT + 1}\r\n\r\n".encode()
    assert judged(length, LIMIT) == TOO_LARGE
    assert judged(HEAD + f"Content-Length: {LIMIT}\r\n\r\n".encode(), LIMIT) == PARTIAL
    chunked = HEAD + b"Transfer-Encoding: chunked\r\n\r\n"
    assert judged(chunked + f"{LIMIT:x}\r\n".encode(), LIMIT) == PARTIAL
    assert judged(chunked + f"{LIMIT + 1:x}\r\n".encode(), LIMIT) == TOO_LARGE  # its size says so
    assert judged(chunked + f"{LIMIT:x}\r\n".encode() + b"a" * LIMIT + b"\r\n1\r\n", LIMIT) == TOO_LARGE
    assert judged(chunked + f"{LIMIT:x}\r\n".encode() + b"a" * LIMIT + b"\r\n0\r\n\r\n", LIMIT) == WHOLE


def test_only_an_http_1_1_request_whose_body_is_awaited_expects_100_continue() -> None:
    head = HEAD + b"Expect: 100-continue\r\nContent-Length: 11\r\n\r\n"
    assert expects_continue(head) and not has_arrived(head, LIMIT)
    assert not expects_continue(head.replace(b"HTTP/1.1", b"HTTP/1.0"))
    assert not expects_continue(HEAD + b"Content-Length: 11\r\n\r\n")
    assert not expects_continue(head[:-2])  # the head has not arrived
