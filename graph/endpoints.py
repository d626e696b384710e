"""A remote SPARQL server's URLs (`--endpoint` and its siblings), and how its refusals and failures become
bilateral's errors (`graph.errors`): a syntax error, a timeout, a missing token, a request too large for the
server, or the server's own failure, each naming the URL that answered and what to do."""

from __future__ import annotations

import ast
import json
from urllib.parse import urlsplit, urlunsplit

from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from graph.errors import (
    InputError,
    QueryTimeout,
    StoreError,
    StoreUnavailable,
    ValidationFailed,
    graph_existence_error,
)
from graph.report import ValidationReport, ValidationResult
from graph.sparql_syntax import syntax_error


def sibling_urls(endpoint: str) -> tuple[str, str, str]:
    """The query, update and Graph Store URLs a single endpoint URL stands for.

    A bare server URL is taken as Oxigraph's layout; a URL ending in /query or /sparql gets siblings. (A
    server that takes updates at its query URL says so in its service description: see `RemoteStore`.)

    >>> sibling_urls("http://127.0.0.1:7878")
    ('http://127.0.0.1:7878/query', 'http://127.0.0.1:7878/update', 'http://127.0.0.1:7878/store')
    >>> sibling_urls("http://h/ds/sparql")[1:]
    ('http://h/ds/update', 'http://h/ds/store')
    """
    parts = urlsplit(http_url(endpoint, "the SPARQL endpoint"))
    path = parts.path.rstrip("/")
    base, _, last = path.rpartition("/")
    if last in ("query", "sparql"):
        query_path = path
    else:
        base, query_path = path, path + "/query"

    def url(p: str) -> str:
        return urlunsplit((parts.scheme, parts.netloc, p, "", ""))

    return url(query_path), url(base + "/update"), url(base + "/store")


def http_url(url: str, what: str) -> str:
    """`url` if it is an http(s) URL with a host, else StoreUnavailable saying how to give `what`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise StoreUnavailable(f"{url!r} is not an http(s) URL; give {what} as http://host:port/…")
    return url


LARGE_BODY = 1 << 20
"""A request this long, cut off by the server while it was sent, was most likely over its size limit."""
_SIZE_LIMITS = ("payloads are limited to", "too large", "too big")
"""What servers say of a request over their size limit (Oxigraph: "SPARQL body payloads are limited to
134217728 bytes"), which comes as a 400 like a syntax error."""


def too_large(url: str, size: int, *, cut_off: bool = False) -> StoreError:
    """A request the server refused, or cut off while it was sent, for its size."""
    mb = f"{size / 2**20:.1f} MB"
    what = f"closed the connection while {mb} were being sent" if cut_off else f"refused {mb} at once"
    return StoreError(
        f"{url} {what}: it limits the size of a request (bilateral serve: "
        "BILATERAL_MAX_BODY_MB, 16 by default; oxigraph serve: 128 MB for SPARQL, none for a graph sent to "
        "its /store). Raise its limit, or send less at once."
    )


def _over_a_size_limit(text: str) -> bool:
    return any(words in text.lower() for words in _SIZE_LIMITS)


def _size_refusal(url: str, text: str, size: int) -> StoreError:
    return too_large(url, size) if size else StoreError(f"{url} refused the request's size: {text[:300]}")


def refusal(url: str, status: int, body: str, size: int = 0, sent: str | None = None) -> Exception:
    """The error for a server's refusal of a request of `size` bytes, the query or update `sent`: a syntax
    error, a timeout, a size limit, or the server's own failure."""
    text = reason(body)
    if status in (401, 403):
        return unauthorized(url, status, text)
    if status in (400, 500) and (existence := graph_existence_error(text)):  # oxigraph serve says 500
        return existence
    if status == 413 or (status == 400 and _over_a_size_limit(text)):
        return _size_refusal(url, text, size)
    if status == 400:
        return bad_request(body, sent)
    if status == 422 and (failed := remote_violations(url, body)) is not None:
        return failed
    if status in (503, 504) or "timeout" in text.lower():
        return QueryTimeout(f"{url} stopped the request: {text[:300]}")
    return StoreError(f"{url} answered {status}: {text[:300]}")


def wrapper_error(
    error: SPARQLWrapperException, url: str, *, is_query: bool, size: int = 0, sent: str | None = None
) -> Exception:
    """The error for what SPARQLWrapper raised on a request of `size` bytes to `url`, the query URL or not,
    the query or update `sent`."""
    text = str(error)
    message = text.split("Response:", 1)[-1].strip().strip("b'\"").replace("\\n", " ")
    name = type(error).__name__
    body = response_body(text) or message
    if existence := graph_existence_error(reason(body)):
        return existence
    if name == "QueryBadFormed":
        return _size_refusal(url, message, size) if _over_a_size_limit(message) else bad_request(body, sent)
    if name == "Unauthorized":
        return unauthorized(url, 401, reason(response_body(text) or message))
    if name == "EndPointNotFound":
        option = "--endpoint" if is_query else "--endpoint (or --update-endpoint)"
        return StoreUnavailable(f"{url} is not a SPARQL endpoint (404); check {option}.")
    if "timeout" in message.lower():
        return QueryTimeout(f"The server stopped the query: {message}")
    return StoreError(f"The SPARQL server failed: {message[:300]}")


def response_body(text: str) -> str | None:
    """The body of the response a SPARQLWrapper error quotes (as the repr of its bytes), if any."""
    _, found, quoted = text.partition("Response:\n")
    try:
        body = ast.literal_eval(quoted) if found else None
    except (ValueError, SyntaxError):
        return None
    return body.decode("utf-8", "replace") if isinstance(body, bytes) else None


def bad_request(body: str, sent: str | None = None) -> Exception:
    """A 400: the server's syntax error in the query or update `sent` (with its position when it names one),
    or, from a server that answers with a problem document (`bilateral serve`) about anything else, its own
    words."""
    detail = _problem(body)
    if detail is None:
        return syntax_error(body.strip(), sent)
    if detail[1].startswith(_SYNTAX):
        return syntax_error(detail[1].removeprefix(_SYNTAX), sent)
    return InputError(f"{detail[0]}: {detail[1]}")


def remote_violations(url: str, body: str) -> ValidationFailed | None:
    """A 422 with the violations of a problem document (`bilateral serve`'s) as the ValidationFailed it
    reports, so that they are printed or answered as this side's own; None for any other body."""
    try:
        violations = json.loads(body).get("violations")
    except (ValueError, AttributeError):
        return None
    if not isinstance(violations, list):
        return None
    results = [
        ValidationResult(
            focus_node=str(v.get("focusNode") or ""),
            path=v.get("path"),
            value=v.get("value"),
            message=str(v.get("message") or ""),
            severity=str(v.get("severity") or "Violation"),
            shape=str(v.get("sourceShape") or ""),
            constraint=str(v.get("sourceConstraintComponent") or ""),
        )
        for v in violations
        if isinstance(v, dict)
    ]
    return ValidationFailed(ValidationReport(results), source=f"what was sent to {url}")


_SYNTAX = "SPARQL syntax error: "


def _problem(body: str) -> tuple[str, str] | None:
    """The title and detail of a problem document (RFC 9457), or None for any other body."""
    try:
        problem = json.loads(body)
    except ValueError:
        return None
    if not isinstance(problem, dict) or not isinstance(problem.get("detail"), str):
        return None
    return str(problem.get("title") or "Refused"), problem["detail"]


def reason(body: str) -> str:
    """A server's reason for a refusal: the title and detail of a problem document (RFC 9457), else the body."""
    problem = _problem(body)
    return body.strip() if problem is None else f"{problem[0]}: {problem[1]}"


def unauthorized(url: str, status: int, text: str) -> StoreUnavailable:
    return StoreUnavailable(
        f"{url} refused the request ({status}): {text[:300]} It needs a bearer token it accepts: "
        "RemoteStore(token=...), or $BILATERAL_ENDPOINT_TOKEN for the command line."
    )
