"""Errors as `application/problem+json` (RFC 9457): the one mapping from exceptions to HTTP responses.

`graph` raises its own error tree and knows nothing of HTTP; this module decides the status of each kind.
A bug is logged with its traceback and answered with a 500 that says nothing about the inside.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from graph.errors import (
    BilateralError,
    InputError,
    NotFound,
    QueryTimeout,
    StoreError,
    StoreUnavailable,
    UnsupportedFormat,
    ValidationFailed,
)
from graph.submissions import MissingSource

PROBLEM = "application/problem+json"
log = logging.getLogger("bilateral.api")


class Problem(Exception):
    """An HTTP answer decided by a route: status, title, detail and extra members."""

    def __init__(self, status: int, title: str, detail: str, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail
        self.headers = headers or {}
        self.extra = extra


def problem_body(status: int, title: str, detail: str, instance: str | None, **extra: Any) -> str:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    if instance is not None:
        body["instance"] = instance
    return json.dumps(body, ensure_ascii=False, indent=1)


def problem_message(status: int, reason: str, title: str, detail: str, instance: str | None) -> bytes:
    """A whole HTTP/1.1 problem response, for the rare answer written on the socket outside Flask; it
    closes the connection."""
    body = problem_body(status, title, detail, instance).encode("utf-8")
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: {PROBLEM}\r\nContent-Length: {len(body)}\r\n"
        "Access-Control-Allow-Origin: *\r\nConnection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body


def problem_response(
    status: int, title: str, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> Response:
    body = problem_body(status, title, detail, request.path if request else None, **extra)
    response = Response(body, status=status, mimetype=PROBLEM)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _for_bilateral(error: BilateralError) -> Response:
    if isinstance(error, ValidationFailed):
        return problem_response(
            422,
            "The data does not conform to the shapes",
            str(error),
            violations=[r.as_dict() for r in error.report.results],
        )
    if isinstance(error, MissingSource):
        return problem_response(422, "The submission cites no source", str(error))
    if isinstance(error, UnsupportedFormat):
        return problem_response(406, "Not acceptable", str(error))
    if isinstance(error, InputError):
        return problem_response(400, "Bad request", str(error))
    if isinstance(error, NotFound):
        return problem_response(404, "Not found", str(error))
    if isinstance(error, QueryTimeout):
        return problem_response(504, "The query ran out of time", str(error))
    if isinstance(error, StoreUnavailable):
        return problem_response(503, "The store is unavailable", str(error), {"Retry-After": "1"})
    if isinstance(error, StoreError):
        log.error("store error on %s %s: %s", request.method, request.path, error)
        return problem_response(502, "The store failed", "The store could not answer; the error is logged.")
    return problem_response(400, "Bad request", str(error))


def install(app: Flask) -> None:
    """Register the mapping on `app`."""

    @app.errorhandler(Problem)
    def _problem(error: Problem) -> Response:
        return problem_response(error.status, error.title, error.detail, error.headers, **error.extra)

    @app.errorhandler(BilateralError)
    def _bilateral(error: BilateralError) -> Response:
        return _for_bilateral(error)

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        status = error.code or 500
        headers = dict(error.get_headers()) if status == 405 else {}
        headers.pop("Content-Type", None)
        detail = error.description or error.name
        if status == 413:
            detail = "The request body is larger than this server accepts (BILATERAL_MAX_BODY_MB)."
        return problem_response(status, error.name, detail, headers)

    @app.errorhandler(Exception)
    def _bug(error: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem_response(500, "Internal server error", "An unexpected error occurred; it has been logged.")
