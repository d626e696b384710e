"""The hot path of `/sparql`: a plain query by GET or POST, answered from the WSGI environ without Flask's
request context, routing, hooks and response object, which together cost more CPU than a point query.

It takes only requests it reads without doubt: exactly one `query` and otherwise only the parameters a query
takes (`default-graph-uri`, `named-graph-uri`, `timeout`, `format`), each once; for a POST, a UTF-8 form or
an `application/sparql-query` body whose length is given and within the cap; and no `Origin` header, so that
a browser page on another origin goes through Flask, which answers CORS. Everything else (updates, the
service description, repeated or unknown parameters, other routes) reaches the Flask app untouched. Both
answer through `api.query_answers` and map errors through `api.problems`, so they answer alike; a test
compares them.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.http import HTTP_STATUS_CODES, parse_options_header
from werkzeug.wsgi import get_current_url

from api.access_log import WsgiApp
from api.context import AppState
from api.negotiation import content_type
from api.problems import PROBLEM, problem_body, problem_for
from api.query_answers import QueryRequest, answer_query, requested_timeout
from graph.store import Dataset

PATH = "/sparql"
QUERY_PARAMETERS = frozenset({"query", "default-graph-uri", "named-graph-uri", "timeout", "format"})
FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"


def _parameters(text: str) -> dict[str, str] | None:
    """URL-encoded parameters as werkzeug reads them, or None if one is unknown or repeated."""
    pairs = parse_qsl(text, keep_blank_values=True, errors="werkzeug.url_quote")
    found = dict(pairs)
    if len(found) != len(pairs) or not found.keys() <= QUERY_PARAMETERS:
        return None
    return found


_URL_PARTS = ("wsgi.url_scheme", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME", "PATH_INFO")


@lru_cache(maxsize=64)
def _endpoint_url(*parts: str) -> str:
    """The request's URL without its query string, as Flask's `request.base_url` reads it: kept per set of
    environ values, since werkzeug takes 90 µs to build it."""
    environ = {key: value for key, value in zip(_URL_PARTS, parts, strict=True) if value}
    return get_current_url(environ, strip_querystring=True)


def _one_or_none(parameters: dict[str, str], name: str) -> tuple[str, ...]:
    return (parameters[name],) if name in parameters else ()


class FastReads:
    """WSGI middleware in front of the Flask app that answers plain queries to `/sparql` itself."""

    def __init__(self, app: WsgiApp, state: AppState):
        self.app, self.state = app, state
        self.answered = 0
        """Queries answered here rather than by Flask (read by tests)."""
        self._counting = threading.Lock()  # `+=` on an attribute is three steps another thread can split

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        parameters = self._read(environ)
        if parameters is None:
            return self.app(environ, start_response)
        settings = self.state.settings
        try:
            asked = QueryRequest(
                parameters["query"],
                Dataset(_one_or_none(parameters, "default-graph-uri"), _one_or_none(parameters, "named-graph-uri")),
                parameters.get("format"),
                environ.get("HTTP_ACCEPT", ""),
                _endpoint_url(*(environ.get(key, "") for key in _URL_PARTS)),
            )
            store = self.state.store(requested_timeout(settings, parameters.get("timeout")), environ)
            answer = answer_query(settings, store, asked)
        except Exception as error:
            problem = problem_for(error, environ["REQUEST_METHOD"], PATH)
            body = problem_body(problem.status, problem.title, problem.detail, PATH, **problem.extra).encode()
            head = [("Content-Type", PROBLEM), ("Content-Length", str(len(body))), *problem.headers.items()]
            start_response(f"{problem.status} {HTTP_STATUS_CODES.get(problem.status, 'Error')}", head)
            return [body]
        with self._counting:
            self.answered += 1
        headers = [
            ("Content-Type", content_type(answer.media_type)),
            ("Content-Length", str(len(answer.body))),
            ("Vary", "Accept"),
            *answer.headers.items(),
        ]
        start_response("200 OK", headers)
        return [answer.body]

    def _read(self, environ: dict[str, Any]) -> dict[str, str] | None:
        """The parameters of a plain query (its text under "query"), or None to leave the request to Flask."""
        if environ.get("PATH_INFO") != PATH or "HTTP_ORIGIN" in environ:
            return None
        method = environ.get("REQUEST_METHOD")
        try:
            in_url = _parameters(environ.get("QUERY_STRING", "").encode("latin-1").decode())
        except UnicodeError:
            return None
        if in_url is None:
            return None
        if method == "GET":
            return in_url if "query" in in_url else None
        if method != "POST" or "query" in in_url:
            return None
        kind, options = parse_options_header(environ.get("CONTENT_TYPE", ""))
        body = self._body(environ, kind, options)
        if body is None:
            return None
        if kind == DIRECT:
            return {**in_url, "query": body}
        in_form = _parameters(body)
        if in_form is None or "query" not in in_form or in_form.keys() & in_url.keys():
            return None
        return {**in_url, **in_form}

    def _body(self, environ: dict[str, Any], kind: str, options: dict[str, str]) -> str | None:
        """The body of a form or direct query POST as UTF-8 text; None (the body put back) otherwise."""
        charset = options.get("charset", "utf-8").lower()
        if kind not in (FORM, DIRECT) or set(options) - {"charset"} or charset not in ("utf-8", "utf8"):
            return None
        length = environ.get("CONTENT_LENGTH", "")
        if not length.isdigit() or int(length) > self.state.settings.max_body_bytes:
            return None
        if "HTTP_TRANSFER_ENCODING" in environ or "HTTP_CONTENT_ENCODING" in environ:
            return None
        raw: bytes = environ["wsgi.input"].read(int(length))
        environ["wsgi.input"] = io.BytesIO(raw)  # for Flask, if the request is not ours after all
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return None
