"""Suggestions for terms the ontology lacks: a report result saying `bl:particpant` is not a property of the
ontology ends with "did you mean bl:participant?", picked among the ontology's terms of the same kind.

The shapes (`shapes/vocabulary.ttl`) find such terms; SPARQL cannot tell which defined term a misspelt one
is closest to, so the results' messages are completed here, after either validator ran. The W3C report
graph keeps the shapes' own messages.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache

import pyoxigraph as ox

from graph.namespaces import BL
from graph.report import ValidationReport, ValidationResult

OWL = "http://www.w3.org/2002/07/owl#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
KINDS = {f"{OWL}Class": "class", f"{OWL}ObjectProperty": "property", f"{OWL}DatatypeProperty": "property"}
SUGGESTING = {"blsh:KnownClassShape": ("class", "value"), "blsh:KnownPropertyShape": ("property", "path")}
"""The shapes whose results get a suggestion: the kind of term they want, and the field naming the term."""


@lru_cache(maxsize=4)
def ontology_terms(hierarchy: bytes) -> dict[str, tuple[str, ...]]:
    """The local names of the ontology's classes and properties, by kind, from its rdf:type triples."""
    found: dict[str, set[str]] = {"class": set(), "property": set()}
    for quad in ox.parse(hierarchy, ox.RdfFormat.N_TRIPLES):
        kind = KINDS.get(quad.object.value) if quad.predicate == RDF_TYPE else None
        name = quad.subject.value
        if kind is not None and name.startswith(str(BL)):
            found[kind].add(name[len(str(BL)) :])
    return {kind: tuple(sorted(names)) for kind, names in found.items()}


def closest(name: str, candidates: tuple[str, ...]) -> str | None:
    """The candidate `name` most likely misspells: the same but for case, else the nearest close one."""
    for candidate in candidates:
        if candidate.lower() == name.lower():
            return candidate
    matches = difflib.get_close_matches(name, candidates, n=1, cutoff=0.75)
    return matches[0] if matches else None


def with_suggestions(report: ValidationReport, hierarchy: Callable[[], bytes]) -> ValidationReport:
    """`report` with a "did you mean" ending the message of each result about a term the ontology lacks,
    where one of its terms of the kind wanted is close; `hierarchy` gives the ontology's rdf:type triples
    (`hierarchy_of`), asked for only then."""
    if not any(result.shape in SUGGESTING for result in report.results):
        return report
    terms = ontology_terms(hierarchy())
    return ValidationReport([_suggested(result, terms) for result in report.results], report.graph)


def _suggested(result: ValidationResult, terms: dict[str, tuple[str, ...]]) -> ValidationResult:
    if result.shape not in SUGGESTING:
        return result
    kind, field = SUGGESTING[result.shape]
    written = getattr(result, field) or ""
    name = written.removeprefix("bl:") if written.startswith("bl:") else None
    suggestion = closest(name, terms[kind]) if name else None
    if suggestion is None or suggestion == name:
        return result
    return replace(result, message=f"{result.message} Did you mean bl:{suggestion}?")
