"""Answers to requests the HTTP server cannot read (a request line or headers over its limits, a malformed
request line or header): problem documents with the fix, like every other error, instead of gunicorn's
HTML page.

gunicorn keeps deciding the status and logging the request (its `Worker.handle_error`); only what it
writes changes. Its answer goes through `ProblemWriter`, which stands for the client's socket, reads the
status from the first line of gunicorn's answer and writes a problem document in its place.
"""

from __future__ import annotations

import socket
from typing import Any

from api.problems import problem_message

MAX_REQUEST_LINE = 8190
"""The longest request line accepted (gunicorn's largest setting; Oxigraph accepts 8 KB of headers): a
query sent by GET may be about 8 KB once URL-encoded."""

_BY_POST = (
    "A query or update this long goes in the body of a POST instead: `query=…` or `update=…` as "
    "application/x-www-form-urlencoded, or the text itself as application/sparql-query or "
    "application/sparql-update (up to BILATERAL_MAX_BODY_MB)."
)
_FIXES = {
    414: f"The request line is longer than this server reads ({MAX_REQUEST_LINE} bytes). {_BY_POST}",
    431: "The request's headers are larger than this server reads (8190 bytes each, 100 of them); send fewer "
    "or shorter headers.",
}


def unreadable_detail(status: int, error: BaseException) -> str:
    """What went wrong with a request the server could not read, and how to send it instead."""
    if status >= 500:
        return "The server could not answer this request; its log says why."
    said = str(error).strip()
    fix = _FIXES.get(status, "Check the request line and headers: the request is not valid HTTP/1.1.")
    return f"{said}. {fix}" if said else fix


class ProblemWriter:
    """A client socket as gunicorn's error writer uses it (`gettimeout`, `setblocking`, `sendall`), which
    writes a problem document for the status gunicorn chose instead of the page gunicorn wrote."""

    def __init__(self, client: socket.socket, error: BaseException):
        self._client, self._error = client, error

    def gettimeout(self) -> float | None:
        return self._client.gettimeout()

    def setblocking(self, flag: bool) -> None:
        self._client.setblocking(flag)

    def sendall(self, data: bytes) -> None:
        status_line = data.split(b"\r\n", 1)[0].decode("latin-1")  # "HTTP/1.1 414 URI Too Long"
        _version, code, reason = status_line.split(" ", 2)
        status = int(code)
        detail = unreadable_detail(status, self._error)
        self._client.sendall(problem_message(status, reason, reason, detail, None))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)
