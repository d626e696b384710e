"""Conversion of RDF terms between Oxigraph (the engine) and rdflib (the toolkit around it)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | ox.DefaultGraph

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def _not_an_ill_typed_literal(record: logging.LogRecord) -> bool:
    return not record.getMessage().startswith("Failed to convert Literal lexical form to value")


# rdflib logs a warning with a traceback for every ill-typed literal it builds ("2025-02-30"^^xsd:date):
# one per such value in every result, on stderr when nothing else handles it. An ill-typed value is the
# shapes' business (sh:datatype names it, with its focus node); and the record's traceback would keep the
# frames of the query that produced it, engine results included, alive for as long as a handler holds it.
logging.getLogger("rdflib.term").addFilter(_not_an_ill_typed_literal)


def to_rdflib(term: OxTerm) -> Node:
    """An rdflib term for an Oxigraph term.

    >>> to_rdflib(ox.Literal("2025-08-23", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date")))
    rdflib.term.Literal('2025-08-23', datatype=rdflib.term.URIRef('http://www.w3.org/2001/XMLSchema#date'))
    """
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        return Literal(term.value, datatype=None if datatype == _XSD_STRING else URIRef(datatype))
    raise TypeError(f"{term!r} has no rdflib counterpart used here (RDF 1.2 triple terms are not supported).")


CACHE_LIMIT = 20_000
"""How many converted terms are kept between results (a few megabytes); the cache starts afresh when full."""
_converted: dict[OxTerm, Node] = {}


def _convert(term: OxTerm) -> Node:
    found = _converted.get(term)
    if found is None:
        if len(_converted) >= CACHE_LIMIT:
            _converted.clear()
        found = _converted[term] = to_rdflib(term)
    return found


def converter() -> Callable[[OxTerm], Node]:
    """`to_rdflib` with a cache: the same IRIs and values recur row after row, and from one query to the
    next (predicates, classes, countries). Terms are immutable on both sides, so the cache is shared by the
    process; it never holds more than CACHE_LIMIT terms, so a large result is not kept alive after it."""
    return _convert


def to_oxigraph(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """An Oxigraph term for an rdflib term.

    >>> to_oxigraph(URIRef("https://w3id.org/bilateral/id/country/KOR"))
    <NamedNode value=https://w3id.org/bilateral/id/country/KOR>
    """
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"{term!r} is not an RDF term that can be stored.")
