"""Choosing the media type of an answer: the Accept header (werkzeug's parser: q-values, wildcards), then a
`format` parameter for browsers and links, else the first type offered. A 406 lists what is available."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from flask import request
from werkzeug.datastructures import MIMEAccept
from werkzeug.http import parse_accept_header

from api.problems import Problem
from graph.errors import UnsupportedFormat
from graph.formats import rdf_format, results_format

RESULTS = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
RDF = {
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "nquads": "application/n-quads",
    "trig": "application/trig",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
}
ALIASES = {
    "application/json": ("application/sparql-results+json", "application/ld+json"),
    "application/xml": ("application/sparql-results+xml", "application/rdf+xml"),
    "text/xml": ("application/sparql-results+xml", "application/rdf+xml"),
    "text/plain": ("application/n-triples",),
    "text/n3": ("text/turtle",),
    "application/x-turtle": ("text/turtle",),
}
"""Generic types clients send, and what each stands for: the first of them that the answer offers (JSON is
SPARQL results for a SELECT, JSON-LD for a CONSTRUCT)."""


def _alias_in(alias: str, offered: Iterable[str]) -> str | None:
    return next((target for target in ALIASES.get(alias, ()) if target in offered), None)


def offered(form: str) -> dict[str, str]:
    """The formats a query form can be written in, by short name, default first."""
    if form in ("CONSTRUCT", "DESCRIBE"):
        return RDF
    if form == "ASK":
        return {k: RESULTS[k] for k in ("json", "xml")}
    return RESULTS


def choose(options: dict[str, str]) -> str:
    """The media type to answer this request with, out of `options` (short name -> media type)."""
    return choose_from(options, request.values.get("format"), request.headers.get("Accept", ""))


def choose_from(options: dict[str, str], named: str | None, header: str) -> str:
    """The media type to answer with, out of `options`, given a `format` parameter and an Accept header."""
    if named:
        key = named.strip().lower()
        if key in options:
            return options[key]
        if key in options.values():
            return key
        if (aliased := _alias_in(key, options.values())) is not None:
            return aliased
        known = _format_named(key)  # a file extension (ttl, nt, srj, …)
        if known is not None and known in options.values():
            return known
        raise Problem(
            406,
            "Not acceptable",
            f"format={named!r} is not available here; use one of {', '.join(options)}.",
            available=list(options.values()),
        )
    best = _preferred(header, tuple(options.values()))
    if best is None:
        raise Problem(
            406,
            "Not acceptable",
            f"None of the types in Accept ({header}) is available for this answer; "
            f"ask for one of {', '.join(options.values())}, or pass format= with one of {', '.join(options)}.",
            available=list(options.values()),
        )
    return best


def _format_named(name: str) -> str | None:
    """The media type of an RDF or results format known by this name or file extension, if any."""
    for resolve in (rdf_format, results_format):
        try:
            return resolve(name).media_type
        except UnsupportedFormat:
            continue
    return None


@lru_cache(maxsize=256)
def _preferred(header: str, offered: tuple[str, ...]) -> str | None:
    """The offered media type an Accept header prefers (aliases resolved), the first offered when the header
    is empty, None when it accepts none of them. Kept per header: a client sends the same one every time."""
    # Parameters other than q (such as charset=utf-8) do not decide between the types offered here.
    accept = MIMEAccept([(value.split(";")[0].strip(), q) for value, q in parse_accept_header(header, MIMEAccept)])
    if not accept:
        return offered[0]
    candidates = [*offered, *(alias for alias in ALIASES if _alias_in(alias, offered) is not None)]
    best = accept.best_match(candidates)
    return best if best is None or best in offered else _alias_in(best, offered)


def content_type(media_type: str) -> str:
    """The Content-Type header for a media type written: text types say they are UTF-8."""
    return (
        media_type if "charset" in media_type or not media_type.startswith("text/") else f"{media_type}; charset=utf-8"
    )
