"""Whether the bytes a client has sent so far hold a whole HTTP/1 request: the test the worker's poller
(`api.http_worker`) applies before a request thread takes a request, so that no thread ever waits on a
client.

A request has arrived when its head has, and its body: all of its Content-Length, or every chunk of a
chunked body and its trailers. A request gunicorn's parser refuses from what is there (a head too long,
two lengths, a chunk size that is no number) goes to a thread at once, which answers 400. A request whose
body is over the server's limit, by its length or by the sizes of its chunks, is TOO_LARGE: the poller
answers 413 without reading the rest. The framing mirrors gunicorn's parser, so that a request judged whole
is one the parser reads without waiting for more (`tests/api/test_request_arrival.py` checks it).
"""

from __future__ import annotations

import re
from enum import Enum

MAX_HEAD_BYTES = 64 * 1024
"""A head this long without its end goes to gunicorn's parser, which refuses it for its limits."""
CHUNK_LINE_BYTES = 8190
"""gunicorn refuses a chunk-size line longer than this (its `limit_request_field_size`)."""
TRAILER_BYTES = 8190 * 32
"""gunicorn refuses a trailer section longer than this."""
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class Verdict(Enum):
    """What has come of a request: all a thread needs, a part, or a body over the limit."""

    WHOLE = "whole"
    PARTIAL = "partial"
    TOO_LARGE = "too large"


WHOLE, PARTIAL, TOO_LARGE = Verdict.WHOLE, Verdict.PARTIAL, Verdict.TOO_LARGE

_HEAD_END = re.compile(rb"\r?\n\r?\n")
_REQUEST_LINE = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+ \S+ HTTP/\d\.\d\r?\n")
_CONTENT_LENGTH = re.compile(rb"^content-length[ \t]*:[ \t]*(\d+)[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)
_TRANSFER_ENCODING = re.compile(rb"^transfer-encoding[ \t]*:(.*?)\r?$", re.IGNORECASE | re.MULTILINE)
_EXPECT_CONTINUE = re.compile(rb"^expect[ \t]*:[ \t]*100-continue[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)
_HEX = frozenset(b"0123456789abcdefABCDEF")


def has_arrived(data: bytes | bytearray, max_body_bytes: int) -> bool:
    """Whether `data`, the start of what a client sent, holds a request a thread may take."""
    return judged(data, max_body_bytes) == WHOLE


def judged(data: bytes | bytearray, max_body_bytes: int) -> Verdict:
    """WHOLE if `data`, the start of what a client sent, holds a request a thread may take; PARTIAL while
    more is to come; TOO_LARGE for a body over `max_body_bytes`.

    >>> limit, get = 1000, b"GET / HTTP/1.1\\r\\nHost: x\\r\\n"
    >>> limit, get = 1000, b"GET / HTTP/1.1\\r\\nHost: x\\r\\n"
    >>> judged(get, limit).value, judged(get + b"\\r\\n", limit).value
    ('partial', 'whole')
    >>> judged(b"GET /\\r\\n", limit).value, judged(b"\\r\\n" + get, limit).value  # no request line; an empty line
    ('whole', 'partial')
    >>> post = b"POST /sparql HTTP/1.1\\r\\nContent-Length: 7\\r\\n\\r\\nquery="
    >>> judged(post, limit).value, judged(post + b"x", limit).value
    ('partial', 'whole')
    >>> judged(b"POST / HTTP/1.1\\r\\nContent-Length: 1001\\r\\n\\r\\n", limit).value
    'too large'
    >>> chunked = b"POST / HTTP/1.1\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n6\\r\\nquery=\\r\\n"
    >>> judged(chunked, limit).value, judged(chunked + b"0\\r\\n\\r\\n", limit).value
    ('partial', 'whole')
    """
    start = len(data) - len(data.lstrip(b"\r\n"))  # empty lines before a request are skipped (RFC 9112)
    end = _HEAD_END.search(data, start)
    if end is None:  # a head still arriving, unless too long or its first line is no HTTP/1 request line
        line_end = data.find(b"\n", start)
        refused = len(data) > MAX_HEAD_BYTES or (line_end > 0 and not _REQUEST_LINE.match(data, start, line_end + 1))
        return WHOLE if refused else PARTIAL
    head = bytes(data[: end.start()])
    codings = b",".join(_TRANSFER_ENCODING.findall(head))
    lengths = _CONTENT_LENGTH.findall(head)
    if codings:
        if lengths or not _ends_chunked(codings):
            return WHOLE  # refused by the parser from the head alone
        return _chunked_body(data, end.end(), max_body_bytes)
    if len(lengths) != 1:  # no body, or a head gunicorn's parser refuses (two lengths)
        return WHOLE
    size = int(lengths[0])
    if size > max_body_bytes:
        return TOO_LARGE
    return WHOLE if len(data) - end.end() >= size else PARTIAL


def request_target(data: bytes | bytearray) -> str | None:
    """The path a request asks for, without its query, if its request line has arrived.

    >>> request_target(b"\\r\\nPUT /store?graph=x HTTP/1.1\\r\\n"), request_target(b"PUT /sto")
    ('/store', None)
    """
    line, found, _rest = bytes(data).lstrip(b"\r\n").partition(b"\n")
    parts = line.split(b" ")
    if not found or len(parts) != 3:
        return None
    return parts[1].split(b"?", 1)[0].decode("latin-1")


def expects_continue(data: bytes | bytearray) -> bool:
    """Whether a request whose head has arrived, and not its body, waits for `100 Continue` before sending
    its body: an HTTP/1.1 request with `Expect: 100-continue` (an HTTP/1.0 one's is ignored, RFC 9110).

    >>> expects_continue(b"PUT /store HTTP/1.1\\r\\nExpect: 100-continue\\r\\nContent-Length: 9\\r\\n\\r\\n")
    True
    >>> expects_continue(b"PUT /store HTTP/1.0\\r\\nExpect: 100-continue\\r\\nContent-Length: 9\\r\\n\\r\\n")
    False
    """
    start = len(data) - len(data.lstrip(b"\r\n"))
    end = _HEAD_END.search(data, start)
    if end is None:
        return False
    head = bytes(data[start : end.start()])
    first_line = head.split(b"\n", 1)[0].rstrip(b"\r")
    return first_line.endswith(b" HTTP/1.1") and _EXPECT_CONTINUE.search(head) is not None


def _ends_chunked(codings: bytes) -> bool:
    """Whether the transfer codings end with `chunked`, named once: else the parser refuses the request."""
    names = [name.strip(b" \t").lower() for name in codings.split(b",")]
    return names[-1] == b"chunked" and names.count(b"chunked") == 1


def _chunked_body(data: bytes | bytearray, start: int, max_body_bytes: int) -> Verdict:
    """Whether a chunked body from `start` has arrived whole with its trailers, or enough of it for the parser
    to refuse it (WHOLE); or more than `max_body_bytes` of its content (TOO_LARGE); else PARTIAL.

    >>> trailed = b"3\\r\\nabc\\r\\n0\\r\\nX-Sum: 1\\r\\n"
    >>> _chunked_body(trailed, 0, 100).value, _chunked_body(trailed + b"\\r\\n", 0, 100).value
    ('partial', 'whole')
    >>> _chunked_body(b"zz\\r\\n", 0, 100).value, _chunked_body(b"3\\r\\nabcde", 0, 100).value  # no size; no CRLF
    ('whole', 'whole')
    >>> _chunked_body(b"ff\\r\\n", 0, 100).value  # a chunk larger than the limit, still to come
    'too large'
    """
    position, content = start, 0
    while True:
        line_end = data.find(b"\r\n", position)
        if line_end < 0:
            return WHOLE if len(data) - position > CHUNK_LINE_BYTES else PARTIAL
        size_text, *extension = bytes(data[position:line_end]).split(b";", 1)
        if extension:
            size_text = size_text.rstrip(b" \t")
        if not size_text or not _HEX.issuperset(size_text):
            return WHOLE
        size = int(size_text, 16)
        position = line_end + 2
        if size == 0:  # the last chunk: then trailer lines up to an empty one
            if data[position : position + 2] == b"\r\n" or data.find(b"\r\n\r\n", position) >= 0:
                return WHOLE
            return WHOLE if len(data) - position > TRAILER_BYTES else PARTIAL
        if content + size > max_body_bytes:
            return TOO_LARGE
        available = len(data) - position
        if available < size + 2:
            return PARTIAL
        if data[position + size : position + size + 2] != b"\r\n":
            return WHOLE
        content += size
        position += size + 2
