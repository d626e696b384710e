"""SHACL validation with pySHACL: the shapes and ontology graphs, the report, and its readable form.

The data graph is small by construction: staged input plus the context the store holds about the nodes it
mentions (see `graph/context.py`), never the whole store. Class targets follow the ontology's
`rdfs:subClassOf` because the ontology is mixed into the data graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pyshacl import validate as pyshacl_validate
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

from graph.namespaces import PREFIXES
from graph.resources import ontology_dir, shapes_dir, turtle_files

SH = Namespace("http://www.w3.org/ns/shacl#")


@dataclass(frozen=True)
class ValidationResult:
    """One result of a SHACL report, with every term written as text."""

    focus_node: str
    path: str | None
    value: str | None
    message: str
    severity: str
    shape: str
    constraint: str

    def as_dict(self) -> dict[str, str | None]:
        return {
            "focusNode": self.focus_node,
            "path": self.path,
            "value": self.value,
            "message": self.message,
            "severity": self.severity,
            "sourceShape": self.shape,
            "sourceConstraintComponent": self.constraint,
        }


@dataclass
class ValidationReport:
    """The outcome of one validation: its results, and the W3C report graph for clients that want it."""

    results: list[ValidationResult]
    graph: Graph = field(default_factory=Graph)

    @property
    def violations(self) -> list[ValidationResult]:
        return [r for r in self.results if r.severity == "Violation"]

    @property
    def warnings(self) -> list[ValidationResult]:
        return [r for r in self.results if r.severity != "Violation"]

    @property
    def conforms(self) -> bool:
        """True when nothing is a Violation: warnings and infos never block."""
        return not self.violations

    def text(self) -> str:
        """The report for people: one block per result, violations first."""
        if not self.results:
            return "Conforms: no violations, no warnings."
        ordered = sorted(self.results, key=lambda r: (r.severity != "Violation", r.shape, r.focus_node))
        lines = [f"{len(self.violations)} violation(s), {len(self.warnings)} warning(s)."]
        for r in ordered:
            lines.append(f"\n{r.severity}: {r.message}")
            lines.append(f"  focus node: {r.focus_node}")
            if r.path:
                lines.append(f"  path:       {r.path}")
            if r.value:
                lines.append(f"  value:      {r.value}")
            lines.append(f"  shape:      {r.shape}")
        return "\n".join(lines)


def _load_folder(folder: Path) -> Graph:
    graph = Graph()
    for path in turtle_files(folder):
        graph.parse(path, format="turtle")
    return graph


@lru_cache(maxsize=1)
def default_shapes() -> Graph:
    """The shapes shipped in `shapes/`, parsed once per process."""
    return _load_folder(shapes_dir())


@lru_cache(maxsize=1)
def default_ontology() -> Graph:
    """The ontology, alignments and code lists shipped in `ontology/`, parsed once per process."""
    return _load_folder(ontology_dir())


class Validator:
    """Validates data graphs against one set of shapes, with an ontology for class hierarchies."""

    def __init__(self, shapes: Graph | None = None, ontology: Graph | None = None, *, inference: str = "none"):
        self.shapes = default_shapes() if shapes is None else shapes
        self.ontology = default_ontology() if ontology is None else ontology
        self.inference = inference
        for prefix, namespace in PREFIXES.items():
            self.shapes.namespace_manager.bind(prefix, namespace, override=False)

    def validate(self, data: Graph, context: Graph | None = None) -> ValidationReport:
        """Validate `data`, seen together with `context` (what the store already knows about its nodes)."""
        combined = Graph()
        for prefix, namespace in PREFIXES.items():
            combined.bind(prefix, namespace)
        for triple in data:
            combined.add(triple)
        if context is not None:
            for triple in context:
                combined.add(triple)
        _conforms, report_graph, _report_text = pyshacl_validate(
            combined,
            shacl_graph=self.shapes,
            ont_graph=self.ontology,
            inference=self.inference,
            advanced=True,
            allow_warnings=True,
            allow_infos=True,
        )
        assert isinstance(report_graph, Graph)
        results = _results(report_graph, self.shapes)
        if context is not None:
            # Context nodes are there to be looked at, not judged: keep results about the new data's own nodes.
            own = {_text(s, self.shapes) for s in set(data.subjects())}
            results = [r for r in results if r.focus_node in own]
        return ValidationReport(results, report_graph)


def _results(report: Graph, shapes: Graph) -> list[ValidationResult]:
    names = Graph()
    names.namespace_manager = shapes.namespace_manager
    results = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        severity = report.value(result, SH.resultSeverity)
        message = report.value(result, SH.resultMessage)
        path = report.value(result, SH.resultPath)
        results.append(
            ValidationResult(
                focus_node=_text(report.value(result, SH.focusNode), names),
                path=_text(path, shapes) if path is not None else None,
                value=_text(report.value(result, SH.value), names) if report.value(result, SH.value) else None,
                message=str(message) if message is not None else "The value does not satisfy the shape.",
                severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
                shape=_text(report.value(result, SH.sourceShape), shapes),
                constraint=_text(report.value(result, SH.sourceConstraintComponent), names),
            )
        )
    return results


def _text(term: Node | None, graph: Graph) -> str:
    """A term as people read it: a prefixed name where a known prefix fits, else N-Triples syntax."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        for prefix, namespace in PREFIXES.items():
            if str(term).startswith(namespace):
                local = str(term)[len(namespace) :]
                if local and all(c.isalnum() or c in "_-./" for c in local) and "/" not in local:
                    return f"{prefix}:{local}"
        return f"<{term}>"
    inverse = graph.value(term, SH.inversePath) if graph is not None else None
    if inverse is not None:
        return "^" + _text(inverse, graph)
    return term.n3()
