"""The ontology's own terms, read from its rdf:type triples, and suggestions for misspelt names: a report
result saying `bl:particpant` is not a property of the ontology ends with "Did you mean bl:participant?",
picked among the ontology's terms of the same kind; one saying a node has no class, with the name of a node
of the same kind (`id/event/…`) the graph or the data holds.

The shapes (`shapes/vocabulary.ttl`) find such names; SPARQL cannot tell which known name a misspelt one is
closest to, so the results' messages are completed here, after either validator ran. The W3C report graph
keeps the shapes' own messages.
"""

from __future__ import annotations

import difflib
from dataclasses import replace
from functools import lru_cache

import pyoxigraph as ox

from graph.namespaces import BASE, BL
from graph.report import ValidationReport, ValidationResult
from graph.store import Store

OWL = "http://www.w3.org/2002/07/owl#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
KINDS = {f"{OWL}Class": "class", f"{OWL}ObjectProperty": "property", f"{OWL}DatatypeProperty": "property"}
SUGGESTING = {"blsh:KnownClassShape": ("class", "value"), "blsh:KnownPropertyShape": ("property", "path")}
"""The shapes whose results get a suggestion: the kind of term they want, and the field naming the term."""
UNTYPED = "blsh:TypedNodeShape"
NODES = BASE + "id/"
CANDIDATES_READ = 50_000
"""At most this many names of a kind are read from a store to suggest one: a suggestion, not a search."""


@lru_cache(maxsize=4)
def _types_of_terms(hierarchy: bytes) -> dict[str, frozenset[str]]:
    """The ontology's own terms (classes, properties, named individuals: the `bl:` subjects of its
    hierarchy's triples, `hierarchy_of`) with their rdf:types."""
    found: dict[str, set[str]] = {}
    for quad in ox.parse(hierarchy, ox.RdfFormat.N_TRIPLES):
        if isinstance(quad.subject, ox.NamedNode) and quad.subject.value.startswith(str(BL)):
            types = found.setdefault(quad.subject.value, set())
            if quad.predicate == RDF_TYPE:
                types.add(quad.object.value)
    return {term: frozenset(types) for term, types in found.items()}


def ontology_iris(hierarchy: bytes) -> list[str]:
    """The IRIs of the ontology's own terms, sorted."""
    return sorted(_types_of_terms(hierarchy))


@lru_cache(maxsize=4)
def ontology_terms(hierarchy: bytes) -> dict[str, tuple[str, ...]]:
    """The local names of the ontology's classes and properties, by kind."""
    found: dict[str, set[str]] = {"class": set(), "property": set()}
    for term, types in _types_of_terms(hierarchy).items():
        for kind in {KINDS[t] for t in types if t in KINDS}:
            found[kind].add(term[len(str(BL)) :])
    return {kind: tuple(sorted(names)) for kind, names in found.items()}


def closest(name: str, candidates: tuple[str, ...]) -> str | None:
    """The candidate `name` most likely misspells: the same but for case, else the nearest close one."""
    for candidate in candidates:
        if candidate.lower() == name.lower():
            return candidate
    matches = difflib.get_close_matches(name, candidates, n=1, cutoff=0.75)
    return matches[0] if matches else None


def with_suggestions(report: ValidationReport, hierarchy: bytes) -> ValidationReport:
    """`report` with a "did you mean" ending the message of each result about a term the ontology lacks,
    where one of its terms of the kind wanted is close; `hierarchy` holds the ontology's rdf:type triples
    (`hierarchy_of`)."""
    if not any(result.shape in SUGGESTING for result in report.results):
        return report
    terms = ontology_terms(hierarchy)
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


def with_node_suggestions(report: ValidationReport, stores: list[Store]) -> ValidationReport:
    """`report` with a "did you mean" ending the message of each node without a class whose name is close
    to that of a node with a class of the same kind (`id/event/`, `id/person/`…) in one of `stores`."""
    untyped = {r.focus_node.strip("<>") for r in report.results if r.shape == UNTYPED}
    kinds = {
        name[: name.rindex("/") + 1]
        for name in untyped
        if name.startswith(NODES) and "/" in name[len(NODES) :] and not {'"', "\\"} & set(name)
    }
    if not kinds:
        return report
    known: dict[str, set[str]] = {kind: set() for kind in kinds}
    for kind in kinds:
        query = f"""SELECT DISTINCT ?node WHERE {{ ?node a ?class FILTER (STRSTARTS(STR(?node), "{kind}")) }}
            LIMIT {CANDIDATES_READ}"""
        for store in stores:
            known[kind].update(str(row[0])[len(kind) :] for row in store.select(query).rows if row[0] is not None)

    def suggested(result: ValidationResult) -> ValidationResult:
        name = result.focus_node.strip("<>")
        kind = name[: name.rindex("/") + 1] if result.shape == UNTYPED and "/" in name else ""
        if kind not in known:
            return result
        written = name[len(kind) :]
        match = closest(written, tuple(sorted(known[kind] - {written})))
        return replace(result, message=f"{result.message} Did you mean <{kind}{match}>?") if match else result

    return ValidationReport([suggested(result) for result in report.results], report.graph)
