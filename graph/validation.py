"""SHACL validation: the shipped shapes and ontology, and the `Validator` that picks how to run them.

Two ways to run the same shapes. The engine way (`graph/engine_validation.py`) compiles them to SPARQL and
lets Oxigraph, or the remote server, evaluate them over all focus nodes at once; it is the default for
staged loads and whole stores. pySHACL runs them over an rdflib graph: used for RDFS inference, for shapes
the compiler does not cover, and as the reference the engine way is tested against. Either way the data
graph is the new data plus the context the store holds about the nodes it mentions, never the whole store.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from graph.context import context_for
from graph.embedded import EmbeddedStore
from graph.engine_validation import HIERARCHY_PREDICATES, EngineValidator, hierarchy_of
from graph.errors import InputError
from graph.namespaces import BL, MODEL_GRAPHS, ONTOLOGY_GRAPH, PREFIXES
from graph.parsing import Staged
from graph.report import ValidationReport, ValidationResult, results_from_report, term_text
from graph.resources import ontology_dir, shapes_dir, turtle_files
from graph.shacl_sparql import Unsupported
from graph.store import Store
from graph.term_suggestions import ontology_iris, with_node_suggestions, with_suggestions
from graph.terms import converter

__all__ = ["ValidationReport", "ValidationResult", "Validator", "default_ontology", "default_shapes"]


def _load_folder(folder: Path) -> Graph:
    """The Turtle files of a folder in one rdflib graph, parsed by Oxigraph (ten times faster than rdflib's
    parser, which made every command that validates start half a second later)."""
    graph = Graph()
    convert = converter()
    for path in turtle_files(folder):
        parser = ox.parse(path=path, format=ox.RdfFormat.TURTLE)
        graph.addN((convert(q.subject), convert(q.predicate), convert(q.object), graph) for q in parser)
        for prefix, namespace in parser.prefixes.items():
            graph.bind(prefix, namespace, override=False)
    return graph


def _copy(graph: Graph) -> Graph:
    copied = Graph()
    copied.addN((s, p, o, copied) for s, p, o in graph)
    for prefix, namespace in graph.namespaces():
        copied.bind(prefix, namespace, override=False)
    return copied


@lru_cache(maxsize=1)
def default_shapes() -> Graph:
    """The shapes shipped in `shapes/`, parsed once per process."""
    return _load_folder(shapes_dir())


@lru_cache(maxsize=1)
def default_ontology() -> Graph:
    """The ontology, alignments and code lists shipped in `ontology/`, parsed once per process."""
    return _load_folder(ontology_dir())


@lru_cache(maxsize=1)
def default_hierarchy() -> bytes:
    """`hierarchy_of(default_ontology())`, read by Oxigraph alone: a tenth of the time of building the
    rdflib graph, which only pySHACL needs."""
    predicates = {ox.NamedNode(p) for p in HIERARCHY_PREDICATES}
    hierarchy = ox.Store()
    for path in turtle_files(ontology_dir()):
        hierarchy.extend(q for q in ox.parse(path=path, format=ox.RdfFormat.TURTLE) if q.predicate in predicates)
    return hierarchy.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph()) or b""


_RDFS, _OWL = "http://www.w3.org/2000/01/rdf-schema#", "http://www.w3.org/2002/07/owl#"
TERM_KINDS = (
    *(f"{_OWL}{kind}" for kind in ("Class", "ObjectProperty", "DatatypeProperty", "AnnotationProperty")),
    *(f"{_OWL}{kind}Property" for kind in ("Functional", "InverseFunctional", "Transitive", "Symmetric")),
    f"{_OWL}NamedIndividual",
    f"{_RDFS}Class",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#Property",
)
"""The types that declare a term: `bl:PhoneCall a owl:Class` outside the ontology's graph declares one."""
MODELLING = (
    *(f"{_RDFS}{p}" for p in ("subClassOf", "subPropertyOf", "domain", "range")),
    *(f"{_OWL}{p}" for p in ("equivalentClass", "equivalentProperty", "inverseOf", "disjointWith")),
)
"""The predicates that relate terms: `ex:PhoneCall rdfs:subClassOf bl:Meeting` would make its instances
meetings to every query that follows subclasses, and to no shape."""


def refuse_facts_about_terms(staged: Staged, hierarchy: bytes) -> None:
    """Refuse staged data that remodels the ontology outside its own graph and the shapes': a fact about
    one of the ontology's terms (`bl:Summit rdfs:subClassOf bl:Dispute` would change what every query over
    classes answers), a term declared in its namespace (`bl:PhoneCall a owl:Class` would make the shapes
    take `bl:PhoneCall` for one of its classes), or a term of another vocabulary related to one of its
    terms (`ex:PhoneCall rdfs:subClassOf bl:Meeting`). Each is a lookup in the data's indexes, not a scan
    of its triples. The ontology changes in its own graph."""
    terms = " ".join(f"<{iri}>" for iri in ontology_iris(hierarchy))
    if not terms:
        return
    kinds = " ".join(f"<{kind}>" for kind in TERM_KINDS)
    modelling = " ".join(f"<{predicate}>" for predicate in MODELLING)
    found = staged.dataset.query(
        f"""SELECT DISTINCT ?term WHERE {{
            GRAPH ?graph {{
                {{ VALUES ?term {{ {terms} }} ?term ?p ?o }}
                UNION {{ VALUES ?kind {{ {kinds} }} ?term a ?kind FILTER (STRSTARTS(STR(?term), "{BL}")) }}
                UNION {{
                    VALUES ?p {{ {modelling} }} ?term ?p ?o
                    FILTER (STRSTARTS(STR(?term), "{BL}") || STRSTARTS(STR(?o), "{BL}"))
                }}
            }}
            FILTER (?graph NOT IN ({", ".join(f"<{g}>" for g in MODEL_GRAPHS)}))
        }} LIMIT 5"""
    )
    assert isinstance(found, ox.QuerySolutions)
    if named := ", ".join(str(row[0]) if isinstance(row[0], ox.NamedNode) else "a blank node" for row in found):
        raise InputError(
            f"The data states facts about terms of the bilateral ontology, or declares terms in relation to "
            f"it: {named}. Facts are about states, persons, events and sources, not about the model: give "
            "each node a class the ontology defines and state its facts with the ontology's properties "
            f"(GET /ontology lists them). The ontology changes in its own graph <{ONTOLOGY_GRAPH}>, with a "
            "release of bilateral."
        )


class Validator:
    """Validates data against one set of shapes, with an ontology for class hierarchies.

    `engine="auto"` runs compiled SPARQL where the shapes allow it and pySHACL otherwise; "pyshacl" forces
    pySHACL. RDFS inference (`inference="rdfs"`) always goes through pySHACL.
    """

    def __init__(
        self,
        shapes: Graph | None = None,
        ontology: Graph | None = None,
        *,
        inference: str = "none",
        engine: str = "auto",
    ):
        self.shapes = default_shapes() if shapes is None else shapes
        self._ontology = ontology
        self._hierarchy: bytes | None = None
        self.inference = inference
        for prefix, namespace in PREFIXES.items():
            self.shapes.namespace_manager.bind(prefix, namespace, override=False)
        self.engine: EngineValidator | None = None
        if engine == "auto" and inference == "none":
            try:
                self.engine = EngineValidator(self.shapes, self.hierarchy)
            except Unsupported:
                self.engine = None

    @property
    def ontology(self) -> Graph:
        """The ontology as an rdflib graph (for pySHACL), parsed when first asked for."""
        return default_ontology() if self._ontology is None else self._ontology

    @property
    def hierarchy(self) -> bytes:
        """The ontology's class hierarchy and the types of its terms (`hierarchy_of`), made when first asked
        for."""
        if self._hierarchy is None:
            self._hierarchy = default_hierarchy() if self._ontology is None else hierarchy_of(self._ontology)
        return self._hierarchy

    def validate_staged(
        self, staged: Staged, store: Store, removed: Staged | None = None, *, ignoring: tuple[str, ...] = ()
    ) -> ValidationReport:
        """Validate staged data together with what `store` already knows about the nodes it mentions, less
        the `removed` triples (what an update would delete), read from every named graph but those
        `ignoring` names (one being written meanwhile, which cannot change the verdict, or one a write
        empties)."""
        refuse_facts_about_terms(staged, self.hierarchy)
        if self.engine is not None:
            report = self._completed(self.engine.validate_staged(staged, store, removed, ignoring=ignoring))
        else:
            data = staged.to_rdflib()
            context = context_for(store, data, ignoring)
            if removed is not None:
                context -= removed.to_rdflib()
            report = self.validate(data, context)
        return with_node_suggestions(report, [store, EmbeddedStore.around(staged.dataset)])

    def validate_store(self, store: Store) -> ValidationReport:
        """Validate everything a store holds."""
        if self.engine is not None:
            return self._completed(self.engine.validate_store(store))
        return self.validate(store.construct("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"))

    def validate(self, data: Graph, context: Graph | None = None) -> ValidationReport:
        """Validate an rdflib graph with pySHACL, seen together with `context`; only `data`'s own subjects
        are judged when a context is given."""
        from pyshacl import validate as pyshacl_validate  # a fifth of a second to import: only when used

        combined = Graph()
        for prefix, namespace in PREFIXES.items():
            combined.bind(prefix, namespace)
        for triple in data:
            combined.add(triple)
        if context is not None:
            for triple in context:
                combined.add(triple)
        # With inference pySHACL adds RDFS axioms to the shapes it is given: it gets a copy, so the
        # shapes shared by every Validator of the process stay as shipped.
        shapes = self.shapes if self.inference == "none" else _copy(self.shapes)
        _conforms, report_graph, _report_text = pyshacl_validate(
            combined,
            shacl_graph=shapes,
            ont_graph=self.ontology,
            inference=self.inference,
            advanced=True,
            allow_warnings=True,
            allow_infos=True,
        )
        assert isinstance(report_graph, Graph)
        results = results_from_report(report_graph, self.shapes)
        if context is not None:
            own = {term_text(s, self.shapes) for s in set(data.subjects())}
            results = [r for r in results if r.focus_node in own]
        return self._completed(ValidationReport(results, report_graph))

    def _completed(self, report: ValidationReport) -> ValidationReport:
        """The report with suggestions for the terms the ontology lacks (`graph.term_suggestions`)."""
        return with_suggestions(report, self.hierarchy)
