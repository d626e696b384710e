"""Request bodies sent without a length (`Transfer-Encoding: chunked`): read whole, up to the size limit,
before any route sees them, so that one over the limit answers 413 instead of arriving cut short.

werkzeug reads such a body through a `LimitedStream` that stops at the limit without saying more was sent
(`LimitedStream.readall`): a 17 MB chunked upload reached the routes as its first 16 MB, which parsed as a
syntax error at best and as a valid, incomplete graph at worst. Read here, the body is handed on with its
length, like any other.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.http import HTTP_STATUS_CODES

from api.access_log import WsgiApp
from api.problems import PROBLEM, TOO_LARGE, problem_body


class StreamedBodies:
    """WSGI middleware that gives a chunked request body its length, or answers 413 when it is too large."""

    def __init__(self, app: WsgiApp, limit: int):
        self.app, self.limit = app, limit

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("CONTENT_LENGTH") or "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            return self.app(environ, start_response)
        body = environ["wsgi.input"].read(self.limit + 1)
        if len(body) > self.limit:
            problem = problem_body(413, HTTP_STATUS_CODES[413], TOO_LARGE, environ.get("PATH_INFO")).encode()
            # The rest of the body is not read: the connection closes after this answer.
            start_response(
                f"413 {HTTP_STATUS_CODES[413]}",
                [("Content-Type", PROBLEM), ("Content-Length", str(len(problem))), ("Connection", "close")],
            )
            return [problem]
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        del environ["HTTP_TRANSFER_ENCODING"]
        return self.app(environ, start_response)
