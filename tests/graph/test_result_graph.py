"""The store under construct() results answers every triple pattern as rdflib's own store does, before and
after its indexes exist, through additions and removals."""

from __future__ import annotations

import itertools
import random

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.plugins.stores.memory import SimpleMemory
from rdflib.term import Node

from graph.result_graph import ResultTriples

X = "http://example.org/"
TERMS: list[Node] = [
    URIRef(X + "a"),
    URIRef(X + "b"),
    URIRef(X + "p"),
    URIRef(X + "q"),
    BNode("n1"),
    Literal("a"),  # the same text as an IRI's, and as a typed and a tagged literal: all different terms
    Literal("1", datatype=URIRef("http://www.w3.org/2001/XMLSchema#integer")),
    Literal("01", datatype=URIRef("http://www.w3.org/2001/XMLSchema#integer")),
    Literal("a", lang="en"),
]


def random_triples(seed: int, count: int) -> list[tuple[Node, Node, Node]]:
    rng = random.Random(seed)
    subjects, predicates = TERMS[:2] + [TERMS[4]], TERMS[:4]
    return [(rng.choice(subjects), rng.choice(predicates), rng.choice(TERMS)) for _ in range(count)]


def every_pattern(triples: list[tuple[Node, Node, Node]]) -> list[tuple[Node | None, Node | None, Node | None]]:
    """Each of the eight bound/unbound shapes, with terms that occur and terms that do not."""
    patterns = []
    for triple in triples[:12] + [(URIRef(X + "none"), TERMS[2], Literal("none"))]:
        for mask in itertools.product((True, False), repeat=3):
            patterns.append(tuple(term if keep else None for term, keep in zip(triple, mask, strict=True)))
    return patterns  # type: ignore[return-value]


def assert_same(ours: Graph, reference: Graph) -> None:
    assert len(ours) == len(reference)
    assert set(ours) == set(reference)
    for pattern in every_pattern(sorted(reference)):
        assert set(ours.triples(pattern)) == set(reference.triples(pattern)), pattern


def test_every_pattern_matches_as_in_rdflib() -> None:
    triples = random_triples(1, 120)
    ours, reference = Graph(store=ResultTriples(triples)), Graph(store=SimpleMemory())
    for triple in triples:
        reference.add(triple)
    assert len(ours) < len(triples)  # the sample repeats triples: each is kept once
    assert_same(ours, reference)


def test_additions_and_removals_before_and_after_the_indexes_exist() -> None:
    ours, reference = Graph(store=ResultTriples(random_triples(2, 40))), Graph(store=SimpleMemory())
    for triple in random_triples(2, 40):
        reference.add(triple)
    for round_ in range(3):  # round 0 changes a graph never searched; later rounds change indexed ones
        for triple in random_triples(10 + round_, 15):
            ours.add(triple)
            reference.add(triple)
        a_subject = sorted(reference)[0][0]
        ours.remove((a_subject, None, None))
        reference.remove((a_subject, None, None))
        assert (a_subject, None, None) not in ours
        assert_same(ours, reference)


def test_a_graph_can_be_changed_while_its_matches_are_read() -> None:
    a, p, q = TERMS[0], TERMS[2], TERMS[3]
    graph = Graph(store=ResultTriples([(a, p, Literal(n)) for n in range(5)]))
    for subject, _predicate, value in graph.triples((a, p, None)):
        graph.add((subject, q, value))
        graph.remove((subject, p, value))
    assert len(graph) == 5
    assert set(graph.predicates()) == {q}


def test_graph_operations_used_on_results() -> None:
    triples = random_triples(3, 60)
    ours = Graph(store=ResultTriples(triples))
    reference = Graph()
    reference += triples  # type: ignore[arg-type]
    merged = Graph()
    merged += ours
    assert merged.isomorphic(reference)
    assert len(ours - reference) == 0
    assert Graph().parse(data=ours.serialize(format="nt"), format="nt").isomorphic(reference)
    rows = ours.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert [int(row[0]) for row in rows] == [len(reference)]  # type: ignore[index, call-overload]
