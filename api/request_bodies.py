"""Request bodies the routes could not read as they come: sent without a length (`Transfer-Encoding:
chunked`) or compressed (`Content-Encoding: gzip`). Read whole here, up to the size limit, before any route
sees them, and handed on plain, with their length; one over the limit answers 413.

werkzeug reads a chunked body through a `LimitedStream` that stops at the limit without saying more was sent
(`LimitedStream.readall`): a 17 MB chunked upload reached the routes as its first 16 MB, which parsed as a
syntax error at best and as a valid, incomplete graph at worst. A gzipped body (a large Graph Store upload,
say) reached them compressed, and failed to parse at its first byte. The limit applies to the body as the
routes see it, decompressed: a small body that inflates past it is refused without being inflated further.
Other content codings answer 415 with `Accept-Encoding: gzip` (RFC 9110, section 15.5.16).
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.http import HTTP_STATUS_CODES

from api.access_log import WsgiApp
from api.problems import PROBLEM, TOO_LARGE, problem_body
from graph.file_content import GZIP_ERRORS, gzip_failure

GZIP = ("gzip", "x-gzip")
PLAIN = ("", "identity")


class RequestBodies:
    """WSGI middleware that reads a chunked or gzipped request body whole and hands it on plain, with its
    length; or answers 413 (too large), 415 (a coding other than gzip) or 400 (not gzip after all)."""

    def __init__(self, app: WsgiApp, limit: int):
        self.app, self.limit = app, limit

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        coding = environ.get("HTTP_CONTENT_ENCODING", "").strip().lower()
        chunked = not environ.get("CONTENT_LENGTH") and "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if not chunked and coding in PLAIN:
            return self.app(environ, start_response)
        answer = _Answer(environ, start_response)
        if coding not in PLAIN + GZIP:
            return answer(
                415,
                f"The request body is encoded as {coding!r}, which this server does not read; send it "
                "uncompressed, or gzip-compressed with Content-Encoding: gzip.",
                ("Accept-Encoding", "gzip"),
            )
        length = environ.get("CONTENT_LENGTH", "")
        body = environ["wsgi.input"].read(min(int(length), self.limit + 1) if length.isdigit() else self.limit + 1)
        if len(body) > self.limit:
            return answer(413, TOO_LARGE)  # the rest is not read: the connection closes after this answer
        if coding in GZIP:
            try:
                body = gunzip(body, self.limit + 1)
            except GZIP_ERRORS as error:
                return answer(
                    400,
                    f"The request body is declared gzip-compressed (Content-Encoding: {coding}) but cannot be "
                    f"decompressed: {gzip_failure(error)}. Send it compressed whole, or without Content-Encoding.",
                )
            if len(body) > self.limit:
                return answer(413, TOO_LARGE + " (decompressed)")
            del environ["HTTP_CONTENT_ENCODING"]
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self.app(environ, start_response)


def gunzip(data: bytes, most: int) -> bytes:
    """Decompress gzip data (one member or several, one after another), stopping once `most` bytes are out;
    raise EOFError if it is cut short, zlib.error if it is not gzip."""
    out = bytearray()
    while True:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)  # a gzip header and trailer, checked
        out += inflater.decompress(data, most - len(out))
        if len(out) >= most:
            return bytes(out)
        if not inflater.eof:
            raise EOFError
        data = inflater.unused_data
        if not data:
            return bytes(out)


class _Answer:
    """A problem document answered from the middleware, on a connection that closes after it."""

    def __init__(self, environ: dict[str, Any], start_response: Callable[..., Any]):
        self.path, self.start_response = environ.get("PATH_INFO"), start_response

    def __call__(self, status: int, detail: str, *headers: tuple[str, str]) -> list[bytes]:
        reason = HTTP_STATUS_CODES[status]
        problem = problem_body(status, reason, detail, self.path).encode()
        self.start_response(
            f"{status} {reason}",
            [("Content-Type", PROBLEM), ("Content-Length", str(len(problem))), ("Connection", "close"), *headers],
        )
        return [problem]
