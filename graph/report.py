"""Validation reports: their results as text for people and API clients, and the W3C report graph.

Both validators produce these: pySHACL's report graph is read into results, and the engine validator's
rows are written out as a report graph, so clients see the same thing whichever ran.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

from graph.namespaces import PREFIXES
from graph.shacl_sparql import SH, Check


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


TALLIED_FROM = 10
"""A report of more results than this ends with their count by shape."""


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
        if len(ordered) > TALLIED_FROM:  # the list has scrolled past: what it held, by shape
            tally = Counter((r.severity, r.shape) for r in ordered)
            lines.append(f"\nIn all, {lines[0][:-1]}, by shape:")
            lines += [f"  {n:>7,}  {severity:<9}  {shape}" for (severity, shape), n in tally.most_common()]
        return "\n".join(lines)


def report_graph(raw: Iterable[tuple[Check, Mapping[str, Node], str]], shapes: Graph) -> Graph:
    """A W3C SHACL validation report graph for results given as (check, row, message)."""
    graph = Graph()
    graph.bind("sh", SH)
    report = BNode()
    graph.add((report, RDF.type, SH.ValidationReport))
    conforms = True
    for check, row, message in raw:
        result = BNode()
        conforms = conforms and check.severity != "Violation"
        graph.add((report, SH.result, result))
        graph.add((result, RDF.type, SH.ValidationResult))
        graph.add((result, SH.focusNode, row["this"]))
        graph.add((result, SH.resultSeverity, SH[check.severity]))
        graph.add((result, SH.resultMessage, Literal(message)))
        graph.add((result, SH.sourceShape, check.shape))
        graph.add((result, SH.sourceConstraintComponent, SH[check.component]))
        if "value" in row:
            graph.add((result, SH.value, row["value"]))
        if (path := result_path(check, row)) is not None:
            graph.add((result, SH.resultPath, path))
            if isinstance(path, BNode):
                _copy_description(shapes, path, graph)
    graph.add((report, SH.conforms, Literal(conforms)))
    return graph


def result_path(check: Check, row: Mapping[str, Node]) -> Node | None:
    """The path of a result: the shape's, or for a SPARQL constraint of a shape without one, the IRI its
    select binds to ?path (as SHACL says)."""
    if check.path is not None or not check.from_sparql:
        return check.path
    path = row.get("path")
    return path if isinstance(path, URIRef) else None


def _copy_description(source: Graph, node: Node, target: Graph) -> None:
    for predicate, value in source.predicate_objects(node):
        target.add((node, predicate, value))
        if isinstance(value, BNode):
            _copy_description(source, value, target)


def results_from_report(report: Graph, shapes: Graph) -> list[ValidationResult]:
    """The results of a W3C report graph (pySHACL's), as text."""
    names = Graph()
    names.namespace_manager = shapes.namespace_manager
    results = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        severity = report.value(result, SH.resultSeverity)
        message = report.value(result, SH.resultMessage)
        path = report.value(result, SH.resultPath)
        results.append(
            ValidationResult(
                focus_node=term_text(report.value(result, SH.focusNode), names),
                path=term_text(path, shapes) if path is not None else None,
                value=term_text(report.value(result, SH.value), names) if report.value(result, SH.value) else None,
                message=str(message) if message is not None else "The value does not satisfy the shape.",
                severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
                shape=term_text(report.value(result, SH.sourceShape), shapes),
                constraint=term_text(report.value(result, SH.sourceConstraintComponent), names),
            )
        )
    return results


def term_text(term: Node | None, graph: Graph) -> str:
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
        return "^" + term_text(inverse, graph)
    return term.n3(graph.namespace_manager)
