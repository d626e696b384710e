"""Validation run by the store's own SPARQL engine, with the shapes compiled by `graph/shacl_sparql.py`.

Staged data is validated where it was parsed, in its in-memory Oxigraph dataset: the context the store
holds about the nodes it mentions and the ontology (for class hierarchies) are added there in two
auxiliary graphs for the time of the check, and removed afterwards. Only the staged data's own subjects are
judged: subjects of triples in a named graph other than those two (staging puts every triple in a named
graph), and the store's meetings of holders whose stored office holdings the data adds to, staged in a
third auxiliary graph (with their context) since a holding's dates decide whether its holder was in
office at them. A whole store is validated in place, on either engine, with every focus node judged.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property

import pyoxigraph as ox
from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.term import Node

from graph.context import (
    KNOWN_LIMIT,
    MENTIONED_IRIS_QUERIES,
    context_queries,
    kept,
    known_iris_query,
    meetings_of_agent,
    mentioned_among_queries,
    value_batches,
)
from graph.embedded import EmbeddedStore
from graph.errors import RefusedInput
from graph.namespaces import BL
from graph.parsing import Staged
from graph.report import ValidationReport, ValidationResult, report_graph, result_path, term_text
from graph.shacl_sparql import Check, compile_shapes
from graph.store import Store

CONTEXT_GRAPH = "urn:bilateral:validation:context"
ONTOLOGY_AUX_GRAPH = "urn:bilateral:validation:ontology"
AFFECTED_GRAPH = "urn:bilateral:validation:affected"
OWN_SUBJECTS = (
    "FILTER EXISTS { GRAPH ?own_graph { ?this ?own_p ?own_o } "
    f"FILTER (?own_graph != <{CONTEXT_GRAPH}> && ?own_graph != <{ONTOLOGY_AUX_GRAPH}>) }}"
)
_CHANGED_HOLDERS = f"""SELECT DISTINCT ?agent WHERE {{
  GRAPH <{CONTEXT_GRAPH}> {{ ?h <{BL.holder}> ?agent }}
  GRAPH ?own {{ ?h ?p ?o }} FILTER (?own NOT IN (<{CONTEXT_GRAPH}>, <{ONTOLOGY_AUX_GRAPH}>, <{AFFECTED_GRAPH}>))
  FILTER NOT EXISTS {{ GRAPH <{CONTEXT_GRAPH}> {{ ?h ?p ?o }} }} }}"""
"""The holders of office holdings the store holds to which the staged data adds a fact (an end date): their
meetings are judged again, since `MeetingOutOfOfficeShape` reads the holdings' dates three hops away."""


def _restated(graph: str, *besides: str) -> str:
    """The update that deletes from an auxiliary `graph` what another staged graph (but `besides`) states.
    Oxigraph 0.5 matches a triple once per graph that holds it through the union default graph
    (oxigraph/oxigraph#1919): kept twice, every join over it would double, and the checks of 100,000
    triples that restate what the store holds took 94 s instead of 2."""
    left_out = ", ".join(f"<{name}>" for name in (graph, *besides))
    return f"""DELETE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} WHERE {{
  GRAPH <{graph}> {{ ?s ?p ?o }} GRAPH ?staged {{ ?s ?p ?o }} FILTER (?staged NOT IN ({left_out})) }}"""


_CONTEXT_RESTATED = _restated(CONTEXT_GRAPH)
"""Context the staged data states again."""
_AFFECTED_RESTATED = _restated(AFFECTED_GRAPH, CONTEXT_GRAPH, ONTOLOGY_AUX_GRAPH)
"""Meetings staged again that the staged data itself holds."""
_TEMPLATE = re.compile(r"\{[?$]([A-Za-z_][A-Za-z0-9_]*)\}")
WORKERS = min(4, os.cpu_count() or 1)
_POOL = ThreadPoolExecutor(WORKERS, thread_name_prefix="validation")
"""Queries run in parallel, on threads kept for the process: Oxigraph evaluates them without the GIL."""


def _fresh_pool_after_fork() -> None:
    # A forked child (a server worker) inherits the pool but not its threads: give it a pool of its own.
    global _POOL
    _POOL = ThreadPoolExecutor(WORKERS, thread_name_prefix="validation")


os.register_at_fork(after_in_child=_fresh_pool_after_fork)


class EngineValidator:
    """Compiled shapes, run as SPARQL queries on a store. Raises `Unsupported` for shapes it cannot compile."""

    def __init__(self, shapes: Graph, hierarchy: bytes):
        """`hierarchy` is the ontology's class hierarchy and the types of its named individuals in
        N-Triples (`hierarchy_of`): all that class targets and sh:class need of it."""
        self.shapes = shapes
        self.staged_checks = compile_shapes(shapes, own=OWN_SUBJECTS)
        self._ontology = hierarchy

    @cached_property
    def store_checks(self) -> list[Check]:
        """The checks of every focus node, for a whole store: compiled when first needed."""
        return compile_shapes(self.shapes)

    def validate_staged(
        self, staged: Staged, store: Store, removed: Staged | None = None, *, ignoring: tuple[str, ...] = ()
    ) -> ValidationReport:
        """Validate staged data together with what `store` knows about the IRIs it mentions, less the
        `removed` triples (what an update would delete), read from every named graph but those `ignoring`
        names (one being written meanwhile, which cannot change the verdict, or one a write empties)."""
        dataset = staged.dataset
        context, ontology = ox.NamedNode(CONTEXT_GRAPH), ox.NamedNode(ONTOLOGY_AUX_GRAPH)
        affected = ox.NamedNode(AFFECTED_GRAPH)
        for name in (context, ontology, affected):
            if dataset.contains_named_graph(name):
                raise RefusedInput(f"The graph name <{name.value}> is reserved for validation; use another one.")
        try:
            queries = _context_queries(dataset, store, ignoring)  # of the data alone, not of the hierarchy
            dataset.load(self._ontology, ox.RdfFormat.N_TRIPLES, to_graph=ontology)
            _load_context(dataset, store, queries)
            if agents := sorted(_values(dataset.query(_CHANGED_HOLDERS))):
                _stage_meetings_of(agents, dataset, store, ignoring)
            if dataset.contains_named_graph(context):
                dataset.update(_CONTEXT_RESTATED)
            if removed is not None:  # what an update would delete is no longer context
                staged.take_out(CONTEXT_GRAPH, removed.ntriples())
                staged.take_out(AFFECTED_GRAPH, removed.ntriples())
            staged_store = EmbeddedStore.around(dataset)
            present = _present_classes(staged_store)
            # A check whose target classes have no instance here has nothing to judge: skip its query.
            checks = [c for c in self.staged_checks if c.classes is None or c.classes & present]
            return self.run(staged_store, checks)
        finally:
            for name in (context, ontology, affected):
                if dataset.contains_named_graph(name):
                    dataset.remove_graph(name)

    def validate_store(self, store: Store) -> ValidationReport:
        """Validate every focus node the store holds, in place."""
        return self.run(store, self.store_checks)

    def run(self, store: Store, checks: Iterable[Check]) -> ValidationReport:
        results: list[ValidationResult] = []
        raw: list[tuple[Check, dict[str, Node], str]] = []
        answers = list(_POOL.map(lambda check: (check, store.select(check.query)), checks))
        for check, solutions in answers:
            for row in solutions.dicts():
                message = _message(check, row)
                raw.append((check, row, message))
                value = row.get("value")
                if check.from_sparql and value is None:
                    value = row.get("this")
                path = result_path(check, row)
                results.append(
                    ValidationResult(
                        focus_node=term_text(row["this"], self.shapes),
                        path=term_text(path, self.shapes) if path is not None else None,
                        value=term_text(value, self.shapes) if value is not None else None,
                        message=message,
                        severity=check.severity,
                        shape=term_text(check.shape, self.shapes),
                        constraint=f"sh:{check.component}",
                    )
                )
        return ValidationReport(results, report_graph(raw, self.shapes))


HIERARCHY_PREDICATES = (str(RDF.type), str(RDFS.subClassOf))


def hierarchy_of(ontology: Graph) -> bytes:
    """The rdf:type and rdfs:subClassOf triples of an ontology, in N-Triples."""
    hierarchy = Graph()
    for predicate in HIERARCHY_PREDICATES:
        hierarchy += ontology.triples((None, URIRef(predicate), None))
    return hierarchy.serialize(format="nt", encoding="utf-8")


_PRESENT_CLASSES = f"""SELECT DISTINCT ?class WHERE {{
  {{ SELECT DISTINCT ?type WHERE {{ ?node a ?type }} }} ?type <{RDFS.subClassOf}>* ?class }}"""


def _present_classes(store: Store) -> set[str]:
    """Every class with an instance in the dataset (staged data, context and all), superclasses included."""
    return {str(row[0]) for row in store.select(_PRESENT_CLASSES)}


def _context_queries(dataset: ox.Store, store: Store, ignoring: tuple[str, ...]) -> list[str]:
    """CONSTRUCT queries, one per batch of IRIs the staged data mentions, for the context of that data.

    The IRIs are found from the smaller side: the store's own IRIs looked up in the staged data when the
    store knows fewer than the staged data has triples (about the number of IRIs it mentions) and
    KNOWN_LIMIT, else every IRI the staged data mentions. Reading the store's IRIs stops at
    that bound: a small submission to a store of a million triples reads a few dozen, not 50,000 (3.5 s).
    The store's IRIs are read from every graph but those `ignoring` names, which the CONSTRUCTs leave out
    too."""

    def run(query: str) -> set[str]:
        return _values(dataset.query(query, use_default_graph_as_union=True))

    graphs = [g for g in store.named_graphs() if g not in ignoring] if ignoring else None
    limit = min(KNOWN_LIMIT, len(dataset))
    known = [str(row[0]) for row in store.select(known_iris_query(graphs, limit))]
    queries = mentioned_among_queries(known) if len(known) < limit else MENTIONED_IRIS_QUERIES
    found: set[str] = set()
    for batch in _POOL.map(run, queries):
        found.update(batch)
    return list(context_queries(sorted(found), ignoring))


def _load_context(dataset: ox.Store, store: Store, queries: Iterable[str]) -> None:
    for triples in _POOL.map(lambda q: store.serialize_bytes(q, "nt"), queries):
        if triples:
            dataset.load(triples, ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(CONTEXT_GRAPH))


def _values(solutions: object) -> set[str]:
    assert isinstance(solutions, ox.QuerySolutions)
    return {row[0].value for row in solutions if isinstance(row[0], ox.NamedNode)}


def _stage_meetings_of(agents: list[str], dataset: ox.Store, store: Store, ignoring: tuple[str, ...]) -> None:
    """Stage the store's meetings of `agents`, to be judged with the staged data, and their context."""
    for batch in value_batches(agents):
        meetings = store.serialize_bytes(
            f"""CONSTRUCT {{ ?m ?p ?o }} WHERE {{ VALUES ?agent {{ {batch} }}
              {meetings_of_agent(ignoring)} {kept("?m ?p ?o", ignoring)} }}""",
            "nt",
        )
        if meetings:
            dataset.load(meetings, ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(AFFECTED_GRAPH))
    if not dataset.contains_named_graph(ox.NamedNode(AFFECTED_GRAPH)):
        return
    dataset.update(_AFFECTED_RESTATED)
    mentioned = _values(dataset.query(f"SELECT DISTINCT ?n WHERE {{ GRAPH <{AFFECTED_GRAPH}> {{ ?n ?p ?o }} }}"))
    mentioned |= _values(dataset.query(f"SELECT DISTINCT ?n WHERE {{ GRAPH <{AFFECTED_GRAPH}> {{ ?s ?p ?n }} }}"))
    _load_context(dataset, store, context_queries(sorted(mentioned), ignoring))


def _message(check: Check, row: dict[str, Node]) -> str:
    """The shape's message with {?var} and {$var} replaced by the row's values, or a generic one."""
    if check.message is None:
        return f"The value does not satisfy {check.component}."

    def fill(match: re.Match[str]) -> str:
        term = row.get(match.group(1))
        return match.group(0) if term is None else str(term)

    return _TEMPLATE.sub(fill, check.message)
