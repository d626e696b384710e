"""Answering a SPARQL query, whichever way it came in (the `/sparql` route, or `api.fast_reads`): the checks
on what it may reach, its time limit, the format negotiated, the row limit, and the bytes of the answer.

Nothing here reads Flask's request: the callers pass what the request said.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, replace
from typing import IO, cast

import pyoxigraph as ox

from api.html_results import HTML, html_answer
from api.negotiation import choose_from, offered
from api.problems import Problem
from api.row_limit import TRUNCATED, cut, limited_query
from api.settings import Settings
from graph.errors import QuerySyntaxError
from graph.formats import rdf_format, results_format
from graph.sparql_syntax import syntax_error_of
from graph.sparql_text import query_form, refuse_network, selects_all, written_order
from graph.store import Dataset, Store, own_dataset


@dataclass(frozen=True)
class QueryRequest:
    """What a request asks: the query, the protocol's dataset, the `format` parameter, the Accept header,
    and the endpoint's own URL (the base of relative IRIs in the query)."""

    text: str
    dataset: Dataset
    format: str | None
    accept: str
    base_url: str


@dataclass(frozen=True)
class QueryAnswer:
    body: bytes
    media_type: str
    headers: dict[str, str]


def requested_timeout(settings: Settings, asked: str | None) -> float:
    """The time limit of a query: the server's, or lower when the request asks (`timeout` in seconds)."""
    if asked is None:
        return settings.timeout_s
    try:
        value = float(asked)
    except ValueError:
        raise Problem(400, "Bad request", f"timeout={asked!r} is not a number of seconds.") from None
    if not value > 0:  # NaN too: a deadline no clock reaches would lift the limit
        raise Problem(400, "Bad request", f"timeout={asked!r}: the timeout must be a positive number of seconds.")
    return min(value, settings.timeout_s)


def check_reach(
    settings: Settings, store: Store, text: str, dataset: Dataset, base_iri: str | None = None, *, is_query: bool = True
) -> None:
    """Refuse SERVICE, LOAD and dataset IRIs that reach outside the store, unless allow-listed: the
    protocol's, or else a query's own FROM and FROM NAMED."""
    refuse_network(text, settings.allowed_outside)
    named_by = "The dataset"
    if not dataset and is_query and (own := own_dataset(text, base_iri)) is not None:
        dataset, named_by = own, "The query's FROM"
    if dataset:
        outside = [
            g for g in (*dataset.default, *dataset.named) if not settings.allowed_outside(g) and not store.has_graph(g)
        ]
        if outside:
            raise Problem(
                400,
                "Bad request",
                f"{named_by} names {', '.join(f'<{g}>' for g in outside)}, which "
                "this store does not hold; list the graphs with GET /store, or ask the operator to "
                "allow-list them (BILATERAL_ALLOW_DATASETS).",
            )


def answer_query(settings: Settings, store: Store, asked: QueryRequest) -> QueryAnswer:
    """The answer to a query, in the format negotiated, cut to the row limit (rows of a SELECT, triples
    of a CONSTRUCT or DESCRIBE) and saying so."""
    check_reach(settings, store, asked.text, asked.dataset, asked.base_url)
    form = query_form(asked.text)
    if asked.format is not None and asked.format.strip().lower() == "html":  # a page, for a browser
        body, headers = html_answer(
            lambda fmt: answer_query(settings, store, replace(asked, format=fmt)), asked.text, form
        )
        return QueryAnswer(body, HTML, headers)
    media_type = choose_from(offered(form), asked.format, asked.accept)
    limit, dataset = settings.row_limit, asked.dataset or None
    if form in ("CONSTRUCT", "DESCRIBE") and limit:
        return _graph_answer(store, asked, media_type, limit)
    limited = limited_query(asked.text, limit) if form == "SELECT" and limit else None
    select_all = form == "SELECT" and selects_all(asked.text)
    if limited is None and not select_all:
        output = io.BytesIO()
        written = store.serialize(asked.text, media_type, output, dataset, asked.base_url)
        return QueryAnswer(output.getvalue(), written, {})
    try:
        results = store.serialize_bytes(limited or asked.text, "json", dataset, asked.base_url)
    except QuerySyntaxError as error:  # it names a place in the text with the LIMIT added: say where in the query
        raise (syntax_error_of(asked.text, asked.base_url) if limited else None) or error from None
    if select_all:
        results = columns_as_written(results, asked.text)
    body, truncated = cut(results, limit if limited else None, media_type)
    headers = {TRUNCATED: f"rows cut to {limit} (BILATERAL_ROW_LIMIT); page with LIMIT and OFFSET"} if truncated else {}
    return QueryAnswer(body, results_format(media_type).media_type, headers)


def _graph_answer(store: Store, asked: QueryRequest, media_type: str, limit: int) -> QueryAnswer:
    """The triples of a CONSTRUCT or DESCRIBE, at most `limit` of them: Oxigraph writes them as N-Triples,
    a line each, evaluating as it writes and taking the GIL only for each buffer it hands over, and is
    stopped at the line after the limit, which says the answer was cut. Other formats are written from
    those lines (a 519-triple answer: 1.2 ms more as Turtle)."""
    kept = _FirstLines(limit)
    try:
        store.serialize(asked.text, "ntriples", cast(IO[bytes], kept), asked.dataset or None, asked.base_url)
    except _Enough:
        pass
    written = rdf_format(media_type)
    body = kept.value()
    if written != ox.RdfFormat.N_TRIPLES:
        body = ox.serialize(ox.parse(body, ox.RdfFormat.N_TRIPLES), format=written) or b""
    headers = (
        {
            TRUNCATED: f"triples cut to {limit} (BILATERAL_ROW_LIMIT); narrow the query, or page its WHERE"
            " with LIMIT and OFFSET"
        }
        if kept.cut
        else {}
    )
    return QueryAnswer(body, written.media_type, headers)


class _Enough(Exception):
    """Raised into Oxigraph's writing once the lines wanted are there: it stops evaluating."""


class _FirstLines:
    """A file that keeps the first `count` lines written into it, and stops the writer at the next."""

    def __init__(self, count: int):
        self.count, self.lines, self.cut = count, 0, False
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        found = data.count(b"\n")
        if self.lines + found > self.count:
            end = -1
            for _ in range(self.count - self.lines):
                end = data.index(b"\n", end + 1)
            self._parts.append(bytes(data[: end + 1]))
            self.lines, self.cut = self.count, True
            raise _Enough
        self._parts.append(bytes(data))
        self.lines += found
        return len(data)

    def flush(self) -> None:
        pass

    def value(self) -> bytes:
        return b"".join(self._parts)


_HEAD_VARIABLES = re.compile(rb'\s*\{\s*"head"\s*:\s*\{\s*"vars"\s*:\s*(\[[^\]]*\])')


def columns_as_written(results_json: bytes, query: str) -> bytes:
    """SPARQL JSON results of a `SELECT *` with their variables in the order the query writes them, as
    other engines answer (Oxigraph sorts them by name); every format written from them follows. Results
    whose head does not come first are left as they are.

    >>> columns_as_written(b'{"head":{"vars":["a","z"]},"results":{"bindings":[]}}', "SELECT * { ?z ?p ?a }")
    b'{"head":{"vars":["z","a"]},"results":{"bindings":[]}}'
    """
    head = _HEAD_VARIABLES.match(results_json)
    if head is None:
        return results_json
    variables = json.loads(head.group(1))
    order = written_order(query, variables)
    if order == list(range(len(variables))):
        return results_json
    written = json.dumps([variables[i] for i in order], ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return results_json[: head.start(1)] + written + results_json[head.end(1) :]
