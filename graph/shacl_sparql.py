"""SHACL shapes compiled to SPARQL, so that validation runs inside the engine that holds the data.

Each constraint of a shape becomes one SELECT that returns the focus nodes (and values) violating it, over
all focus nodes at once: on a million triples that is a few dozen queries for Oxigraph instead of a
million-node walk through rdflib. The compiler covers the SHACL Core components and SPARQL-based constraints
that `shapes/` uses; a shapes graph with anything else raises `Unsupported`, and the validator then falls
back to pySHACL. The two are checked against each other on every fixture in the tests.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Node

SH = Namespace("http://www.w3.org/ns/shacl#")
XSD_NS = "http://www.w3.org/2001/XMLSchema#"
CASTABLE = {
    f"{XSD_NS}{name}"
    for name in ("date", "dateTime", "gYear", "gYearMonth", "integer", "decimal", "double", "float", "boolean")
}
INSTANCE_OF = f"<{RDF.type}>/<{RDFS.subClassOf}>*"

_DESCRIPTIVE = {
    SH.path,
    SH.message,
    SH.severity,
    SH.name,
    SH.description,
    SH.order,
    SH.group,
    SH.property,
    SH.targetClass,
    SH.targetNode,
    SH.targetSubjectsOf,
    SH.targetObjectsOf,
    SH.target,
    SH.sparql,
    SH.flags,
    SH.qualifiedMinCount,
    SH.qualifiedMaxCount,
    SH.qualifiedValueShapesDisjoint,
    SH.defaultValue,
    SH.prefixes,
    SH.declare,
    SH.deactivated,
}
_VALUE_COMPONENTS = {
    SH.datatype,
    SH["class"],
    SH.nodeKind,
    SH.pattern,
    SH["in"],
    SH.minInclusive,
    SH.maxInclusive,
    SH.minExclusive,
    SH.maxExclusive,
    SH.minLength,
    SH.maxLength,
    SH["or"],
    SH["and"],
    SH["not"],
    SH.node,
}
_COUNT_COMPONENTS = {SH.minCount, SH.maxCount, SH.hasValue, SH.qualifiedValueShape}
_COMPARISON = {SH.minInclusive: ">=", SH.maxInclusive: "<=", SH.minExclusive: ">", SH.maxExclusive: "<"}
_NODE_KINDS: dict[Node, str] = {
    SH.IRI: "isIRI({v})",
    SH.BlankNode: "isBlank({v})",
    SH.Literal: "isLiteral({v})",
    SH.BlankNodeOrIRI: "(isIRI({v}) || isBlank({v}))",
    SH.BlankNodeOrLiteral: "(isBlank({v}) || isLiteral({v}))",
    SH.IRIOrLiteral: "(isIRI({v}) || isLiteral({v}))",
}


def _int(term: Node) -> int:
    return int(str(term))


class Unsupported(Exception):
    """The shapes use a SHACL feature this compiler does not translate."""


@dataclass(frozen=True)
class Check:
    """One constraint as a query. Rows bind ?this, and ?value or the SPARQL constraint's own variables."""

    shape: Node
    severity: str
    message: str | None
    component: str
    path: Node | None
    query: str
    from_sparql: bool = False
    classes: frozenset[str] | None = None
    """The classes whose instances are the only focus nodes; None when other targets apply too."""


def sparql_term(term: Node) -> str:
    """A term in SPARQL syntax."""
    if isinstance(term, BNode):
        raise Unsupported("a blank node used as a constant in a shape")
    if isinstance(term, Literal) or isinstance(term, URIRef):
        return str(term.n3())
    raise Unsupported(f"the term {term!r}")


def sparql_path(shapes: Graph, path: Node) -> str:
    """A SHACL property path as a SPARQL property path."""
    if isinstance(path, URIRef):
        return f"<{path}>"
    if shapes.value(path, RDF.first) is not None:
        return "(" + "/".join(sparql_path(shapes, p) for p in Collection(shapes, path)) + ")"
    for predicate, template in (
        (SH.inversePath, "^{}"),
        (SH.zeroOrMorePath, "{}*"),
        (SH.oneOrMorePath, "{}+"),
        (SH.zeroOrOnePath, "{}?"),
    ):
        inner = shapes.value(path, predicate)
        if inner is not None:
            return template.format("(" + sparql_path(shapes, inner) + ")")
    alternatives = shapes.value(path, SH.alternativePath)
    if alternatives is not None:
        return "(" + "|".join(sparql_path(shapes, p) for p in Collection(shapes, alternatives)) + ")"
    raise Unsupported(f"the property path {path!r}")


class ShapeCompiler:
    """Turns the shapes of one shapes graph into `Check`s."""

    def __init__(self, shapes: Graph):
        self.shapes = shapes
        self._names = itertools.count()

    def fresh(self) -> str:
        return f"?v{next(self._names)}"

    # -- conditions: a boolean SPARQL expression saying that the node in `var` conforms ---------------------

    def value_condition(self, shape: Node, component: URIRef, argument: Node, var: str) -> str:
        """Whether the node in `var` satisfies one value-type component of `shape`."""
        if component == SH.datatype:
            check = f"(isLiteral({var}) && datatype({var}) = <{argument}>"
            if str(argument) in CASTABLE:
                check += f" && COALESCE(<{argument}>(STR({var})) = {var}, false)"
            return check + ")"
        if component == SH["class"]:
            return f"EXISTS {{ {var} {INSTANCE_OF} <{argument}> }}"
        if component == SH.nodeKind:
            if argument not in _NODE_KINDS:
                raise Unsupported(f"sh:nodeKind {argument}")
            return _NODE_KINDS[argument].format(v=var)
        if component == SH.pattern:
            flags = self.shapes.value(shape, SH.flags)
            extra = f", {Literal(str(flags)).n3()}" if flags is not None else ""
            return f"(!isBlank({var}) && REGEX(STR({var}), {Literal(str(argument)).n3()}{extra}))"
        if component == SH["in"]:
            members = [f"sameTerm({var}, {sparql_term(m)})" for m in Collection(self.shapes, argument)]
            return "(" + (" || ".join(members) or "false") + ")"
        if component in _COMPARISON:
            return f"COALESCE({var} {_COMPARISON[component]} {sparql_term(argument)}, false)"
        if component in (SH.minLength, SH.maxLength):
            op = ">=" if component == SH.minLength else "<="
            return f"(!isBlank({var}) && STRLEN(STR({var})) {op} {_int(argument)})"
        if component == SH["or"]:
            return "(" + " || ".join(self.conforms(m, var) for m in Collection(self.shapes, argument)) + ")"
        if component == SH["and"]:
            return "(" + " && ".join(self.conforms(m, var) for m in Collection(self.shapes, argument)) + ")"
        if component == SH["not"]:
            return f"!{self.conforms(argument, var)}"
        if component == SH.node:
            return self.conforms(argument, var)
        raise Unsupported(f"the component {component}")

    def components(self, shape: Node) -> Iterator[tuple[URIRef, Node]]:
        """The constraint parameters of `shape`; raises Unsupported on any it cannot translate."""
        for predicate, argument in self.shapes.predicate_objects(shape):
            if not str(predicate).startswith(str(SH)) or predicate in _DESCRIPTIVE:
                continue
            if predicate not in _VALUE_COMPONENTS | _COUNT_COMPONENTS:
                raise Unsupported(f"{predicate} on shape {shape}")
            assert isinstance(predicate, URIRef)
            yield predicate, argument

    def conforms(self, shape: Node, var: str) -> str:
        """Whether the node in `var` conforms to `shape` (used inside sh:or, sh:node, qualified shapes)."""
        if self.shapes.value(shape, SH.sparql) is not None:
            raise Unsupported("a SPARQL constraint inside a logical or qualified shape")
        parts = []
        path_node = self.shapes.value(shape, SH.path)
        for component, argument in self.components(shape):
            if path_node is None:
                if component in _COUNT_COMPONENTS and component != SH.hasValue:
                    raise Unsupported(f"{component} on a node shape")
                parts.append(
                    f"sameTerm({var}, {sparql_term(argument)})"
                    if component == SH.hasValue
                    else self.value_condition(shape, component, argument, var)
                )
                continue
            path = sparql_path(self.shapes, path_node)
            value = self.fresh()
            if component == SH.minCount and _int(argument) <= 1:
                parts.append(f"EXISTS {{ {var} {path} {value} }}" if _int(argument) == 1 else "true")
            elif component == SH.maxCount and _int(argument) == 0:
                parts.append(f"NOT EXISTS {{ {var} {path} {value} }}")
            elif component == SH.maxCount and _int(argument) == 1:
                other = self.fresh()
                parts.append(f"NOT EXISTS {{ {var} {path} {value}, {other} FILTER (!sameTerm({value}, {other})) }}")
            elif component == SH.hasValue:
                parts.append(f"EXISTS {{ {var} {path} {sparql_term(argument)} }}")
            elif component in _VALUE_COMPONENTS:
                condition = self.value_condition(shape, component, argument, value)
                parts.append(f"NOT EXISTS {{ {var} {path} {value} FILTER (!{condition}) }}")
            else:
                raise Unsupported(f"{component} {argument} inside a nested shape")
        return "(" + (" && ".join(parts) or "true") + ")"

    # -- checks: one query per constraint of a shape that has targets ---------------------------------------

    def targets(self, shape: Node) -> str | None:
        """A group pattern binding ?this to every focus node of `shape`, or None if it has no targets."""
        patterns = [f"{{ ?this {INSTANCE_OF} <{c}> }}" for c in self.shapes.objects(shape, SH.targetClass)]
        if (shape, RDF.type, RDFS.Class) in self.shapes or (shape, RDF.type, OWL.Class) in self.shapes:
            patterns.append(f"{{ ?this {INSTANCE_OF} {sparql_term(shape)} }}")
        patterns += [f"{{ ?this <{p}> ?target_o }}" for p in self.shapes.objects(shape, SH.targetSubjectsOf)]
        patterns += [f"{{ ?target_s <{p}> ?this }}" for p in self.shapes.objects(shape, SH.targetObjectsOf)]
        patterns += [f"{{ VALUES ?this {{ {sparql_term(n)} }} }}" for n in self.shapes.objects(shape, SH.targetNode)]
        patterns += [self.sparql_target(target) for target in self.shapes.objects(shape, SH.target)]
        if not patterns:
            return None
        return "{ SELECT DISTINCT ?this WHERE { " + " UNION ".join(patterns) + " } }"

    def sparql_target(self, target: Node) -> str:
        """A SHACL-AF SPARQL-based target (`sh:target [ a sh:SPARQLTarget ; sh:select … ]`) as a sub-select
        binding ?this. Its select may not declare prefixes: a sub-select cannot, and the target is joined
        into queries that have their own."""
        select = self.shapes.value(target, SH.select)
        if (target, RDF.type, SH.SPARQLTarget) not in self.shapes or select is None:
            raise Unsupported(f"the target {target}: only sh:SPARQLTarget with sh:select is compiled")
        if self.shapes.value(target, SH.prefixes) is not None:
            raise Unsupported(f"the SPARQL target {target} declares prefixes; write its IRIs in full")
        return "{ " + re.sub(r"\$this\b", "?this", str(select)) + " }"

    def checks_for(self, shape: Node, focus: str) -> Iterator[Check]:
        """The checks of `shape` applied to the focus nodes that the pattern `focus` binds to ?this."""
        if (shape, SH.deactivated, Literal(True)) in self.shapes:
            return
        severity = str(self.shapes.value(shape, SH.severity) or SH.Violation).rsplit("#", 1)[-1]
        message = self.shapes.value(shape, SH.message)
        text = str(message) if message is not None else None
        path_node = self.shapes.value(shape, SH.path)
        path = sparql_path(self.shapes, path_node) if path_node is not None else None
        for component, argument in self.components(shape):
            if component == SH.qualifiedValueShape:
                yield from self.qualified_checks(
                    shape, argument, focus, path, Check(shape, severity, text, "", path_node, "")
                )
                continue
            name = str(component).rsplit("#", 1)[-1]
            kind = name[0].upper() + name[1:] + "ConstraintComponent"
            query = self.violation_query(shape, component, argument, focus, path)
            yield Check(shape, severity, text, kind, path_node, query)
        for constraint in self.shapes.objects(shape, SH.sparql):
            own = self.shapes.value(constraint, SH.message)
            yield Check(
                shape,
                severity,
                str(own) if own is not None else text,
                "SPARQLConstraintComponent",
                path_node,
                self.sparql_query(constraint, focus),
                from_sparql=True,
            )
        for property_shape in self.shapes.objects(shape, SH.property):
            yield from self.checks_for(property_shape, focus)

    def qualified_checks(
        self, shape: Node, qualified: Node, focus: str, path: str | None, base: Check
    ) -> Iterator[Check]:
        """sh:qualifiedMinCount and sh:qualifiedMaxCount: how many values conform to the qualified shape."""
        if path is None:
            raise Unsupported("sh:qualifiedValueShape on a node shape")
        condition = self.conforms(qualified, "?value")
        for bound, op, kind in (
            (SH.qualifiedMinCount, "<", "QualifiedMinCount"),
            (SH.qualifiedMaxCount, ">", "QualifiedMaxCount"),
        ):
            limit = self.shapes.value(shape, bound)
            if limit is not None:
                query = (
                    f"SELECT ?this WHERE {{ {focus} OPTIONAL {{ ?this {path} ?value FILTER ({condition}) }} }} "
                    f"GROUP BY ?this HAVING (COUNT(DISTINCT ?value) {op} {_int(limit)})"
                )
                yield replace(base, component=kind + "ConstraintComponent", query=query)

    def violation_query(self, shape: Node, component: URIRef, argument: Node, focus: str, path: str | None) -> str:
        """A SELECT of ?this (and ?value) for every violation of one component."""
        if path is None:
            if component == SH.hasValue:
                condition = f"sameTerm(?this, {sparql_term(argument)})"
            elif component in _VALUE_COMPONENTS:
                condition = self.value_condition(shape, component, argument, "?this")
            else:
                raise Unsupported(f"{component} on a node shape")
            return f"SELECT ?this (?this AS ?value) WHERE {{ {focus} FILTER (!{condition}) }}"
        # Oxigraph evaluates FILTER NOT EXISTS far more slowly than MINUS: where the pattern shares exactly one
        # variable that is always bound (?this, ?value), the two mean the same, and MINUS is used.
        if component == SH.minCount:
            if _int(argument) == 1:
                return f"SELECT ?this WHERE {{ {focus} MINUS {{ ?this {path} ?value }} }}"
            return (
                f"SELECT ?this WHERE {{ {focus} OPTIONAL {{ ?this {path} ?value }} }} "
                f"GROUP BY ?this HAVING (COUNT(DISTINCT ?value) < {_int(argument)})"
            )
        if component == SH.maxCount:
            if _int(argument) == 1:  # a self-join beats counting every focus node's values
                return (
                    f"SELECT DISTINCT ?this WHERE {{ {focus} ?this {path} ?value , ?other "
                    "FILTER (!sameTerm(?value, ?other)) }"
                )
            return (
                f"SELECT ?this WHERE {{ {focus} ?this {path} ?value }} "
                f"GROUP BY ?this HAVING (COUNT(DISTINCT ?value) > {_int(argument)})"
            )
        if component == SH.hasValue:
            return f"SELECT ?this WHERE {{ {focus} MINUS {{ ?this {path} {sparql_term(argument)} }} }}"
        if component == SH["class"] and isinstance(argument, URIRef):
            return (
                f"SELECT DISTINCT ?this ?value WHERE {{ {focus} ?this {path} ?value "
                f"MINUS {{ ?value {INSTANCE_OF} <{argument}> }} }}"
            )
        condition = self.value_condition(shape, component, argument, "?value")
        return f"SELECT DISTINCT ?this ?value WHERE {{ {focus} ?this {path} ?value FILTER (!{condition}) }}"

    def sparql_query(self, constraint: Node, focus: str) -> str:
        """A SPARQL-based constraint's SELECT, with $this bound by joining the focus pattern into its WHERE."""
        select = self.shapes.value(constraint, SH.select)
        if select is None:
            raise Unsupported("a SPARQL constraint without sh:select")
        text = re.sub(r"\$this\b", "?this", str(select))
        match = re.search(r"\bWHERE\s*\{|\{", text, re.IGNORECASE)
        if match is None:
            raise Unsupported("a sh:select without a WHERE clause")
        body = text[: match.end()] + f" {focus} " + text[match.end() :]
        return self.prefixes(constraint) + body

    def prefixes(self, constraint: Node) -> str:
        declared = []
        for holder in self.shapes.objects(constraint, SH.prefixes):
            for declaration in self.shapes.objects(holder, SH.declare):
                prefix = self.shapes.value(declaration, SH.prefix)
                namespace = self.shapes.value(declaration, SH.namespace)
                declared.append(f"PREFIX {prefix}: <{namespace}>\n")
        return "".join(sorted(set(declared)))


def compile_shapes(shapes: Graph, *, own: str = "") -> list[Check]:
    """Every check of every targeted shape in `shapes`. `own` is a pattern on ?this that narrows the focus
    nodes (to the subjects of new data, say); empty means every focus node."""
    compiler = ShapeCompiler(shapes)
    checks: list[Check] = []
    candidates = set(shapes.subjects(RDF.type, SH.NodeShape)) | set(shapes.subjects(RDF.type, SH.PropertyShape))
    candidates |= {
        s
        for p in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)
        for s in shapes.subjects(p, None)
    }
    for shape in sorted(candidates, key=str):
        targets = compiler.targets(shape)
        if targets is not None:
            classes = _target_classes(shapes, shape)
            checks += (
                replace(c, classes=classes) for c in compiler.checks_for(shape, targets + (f" {own}" if own else ""))
            )
    return checks


def _target_classes(shapes: Graph, shape: Node) -> frozenset[str] | None:
    """The classes that are a shape's only targets, or None when it also targets nodes some other way."""
    others = (SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)
    if any(shapes.value(shape, p) is not None for p in others):
        return None
    classes = {str(c) for c in shapes.objects(shape, SH.targetClass)}
    if (shape, RDF.type, RDFS.Class) in shapes or (shape, RDF.type, OWL.Class) in shapes:
        classes.add(str(shape))
    return frozenset(classes)
