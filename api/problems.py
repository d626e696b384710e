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
    StoreFull,
    StoreMisconfigured,
    StoreUnavailable,
    UnsupportedFormat,
    ValidationFailed,
    disk_error,
)
from graph.submissions import MissingSource

PROBLEM = "application/problem+json"
TOO_LARGE = "The request body is larger than this server accepts (BILATERAL_MAX_BODY_MB)."
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


def problem_response(problem: Problem) -> Response:
    body = problem_body(
        problem.status, problem.title, problem.detail, request.path if request else None, **problem.extra
    )
    response = Response(body, status=problem.status, mimetype=PROBLEM)
    for name, value in problem.headers.items():
        response.headers[name] = value
    return response


def problem_for(error: Exception, method: str, path: str) -> Problem:
    """The answer to an error raised while serving `method path`: a Problem as raised, the status of each
    kind of `graph` error, or, for anything else (a bug), a logged 500 that tells nothing of the inside."""
    if isinstance(error, Problem):
        return error
    if isinstance(error, ValidationFailed):
        return Problem(
            422,
            "The data does not conform to the shapes",
            str(error),
            violations=[r.as_dict() for r in error.report.results],
        )
    if isinstance(error, MissingSource):
        return Problem(422, "The submission cites no source", str(error))
    if isinstance(error, UnsupportedFormat):
        return Problem(406, "Not acceptable", str(error))
    if isinstance(error, InputError):
        return Problem(400, "Bad request", str(error))
    if isinstance(error, NotFound):
        return Problem(404, "Not found", str(error))
    if isinstance(error, QueryTimeout):
        return Problem(504, "The query ran out of time", str(error))
    if isinstance(error, OSError) and (failure := disk_error(error)) is not None:
        error = failure
    if isinstance(error, StoreFull):
        log.error("store error on %s %s: %s", method, path, error)
        return Problem(507, "Insufficient storage", "The store's disk is full: the write was not kept.")
    if isinstance(error, StoreMisconfigured):  # the server behind --endpoint: its operator's to fix
        log.error("store error on %s %s: %s", method, path, error)
        return Problem(502, "The store is misconfigured", str(error))
    if isinstance(error, StoreUnavailable):
        return Problem(503, "The store is unavailable", str(error), {"Retry-After": "1"})
    if isinstance(error, StoreError):
        log.error("store error on %s %s: %s", method, path, error)
        return Problem(502, "The store failed", "The store could not answer; the error is logged.")
    if isinstance(error, BilateralError):
        return Problem(400, "Bad request", str(error))
    log.error("unhandled error on %s %s", method, path, exc_info=error)
    return Problem(500, "Internal server error", "An unexpected error occurred; it has been logged.")


def install(app: Flask) -> None:
    """Register the mapping on `app`."""

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> Response:
        status = error.code or 500
        headers = dict(error.get_headers()) if status == 405 else {}
        headers.pop("Content-Type", None)
        detail = error.description or error.name
        if status == 413:
            detail = TOO_LARGE
        return problem_response(Problem(status, error.name, detail, headers))

    @app.errorhandler(Exception)
    def _any(error: Exception) -> Response:
        return problem_response(problem_for(error, request.method, request.path))
