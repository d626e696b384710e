"""The edges between states through shared facts, read as two tables (`graph.network_edges`), are those a
query per relation grouping them in SPARQL gives: on the seed store on both engines, and on a synthetic
graph of meetings and disputes, a fact that is a blank node, with several sources and dates."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from graph.embedded import EmbeddedStore
from graph.loading import init_store
from graph.network_edges import _FACT_DETAILS, _FACT_SELECT, PREFIXES, SHARED_FACTS, Edge, _edge, edges_of
from graph.store import Store
from tests.bench.synthetic import triples

PAIRS = {
    "met": "?fact a/rdfs:subClassOf* bl:Meeting ; bl:hasParticipation ?pa , ?pb . ?pa bl:actsFor ?a . "
    "?pb bl:actsFor ?b .",
    "dispute": "?fact a/rdfs:subClassOf* bl:Dispute ; bl:party ?a , ?b .",
    "allied": "?fact a bl:Alliance ; bl:member ?a , ?b .",
}
"""Each relation as the projection read it before `graph.network_edges`: pairs grouped by the engine."""


def grouped(store: Store, relation: str) -> list[Edge]:
    query = f"""{PREFIXES}{_FACT_SELECT} WHERE {{ {PAIRS[relation]} FILTER (STR(?a) < STR(?b))
        {_FACT_DETAILS} }} GROUP BY ?fact ?a ?b"""
    return [_edge(relation, row["a"], row["b"], row) for row in store.select(query).dicts()]


def comparable(edges: list[Edge], blank_ids: bool = True) -> list[tuple[object, ...]]:
    """Edges as sortable tuples, sources as a set (the engine's GROUP_CONCAT has an order of its own), the
    fact's name left out for blank nodes (labelled afresh by each answer of a remote server)."""
    rows = []
    for edge in edges:
        attributes = {**edge.attributes, "sources": " ".join(sorted(edge.attributes["sources"].split()))}
        fact = edge.fact if edge.fact and ":" in edge.fact else "blank"
        attributes["iri"] = attributes["iri"] if fact != "blank" else "blank"
        rows.append((edge.source, edge.target, edge.relation, fact, tuple(sorted(attributes.items()))))
    return sorted(rows)


def test_the_seed_edges_are_those_grouped_by_the_engine(store: Store) -> None:
    init_store(store)
    assert set(SHARED_FACTS) == set(PAIRS)
    met = comparable(list(edges_of(store, "met")))
    assert met == comparable(grouped(store, "met")) and len(met) >= 3
    for relation in ("dispute", "allied"):
        assert comparable(list(edges_of(store, relation))) == comparable(grouped(store, relation))


@pytest.fixture(scope="module")
def synthetic() -> EmbeddedStore:
    store = EmbeddedStore()
    init_store(store)  # the ontology's classes: a summit is a meeting
    lines = "\n".join(triples(20_000, countries=12)) + "\n"
    bl, source = "https://w3id.org/bilateral/ontology#", "https://w3id.org/bilateral/id/source/"
    more = (  # a meeting that is a blank node, of three states, with two sources and two earliest days
        f"_:m <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{bl}Summit> .\n"
        '_:m <http://www.w3.org/2000/01/rdf-schema#label> "a" .\n'
        f'_:m <{bl}earliest> "2020-01-02"^^<http://www.w3.org/2001/XMLSchema#date> .\n'
        f'_:m <{bl}earliest> "2020-01-01"^^<http://www.w3.org/2001/XMLSchema#date> .\n'
        f"_:m <{bl}source> <{source}synthetic-1> .\n_:m <{bl}claimedBy> <{source}synthetic-2> .\n"
        + "".join(
            f"_:m <{bl}hasParticipation> _:p{code} .\n_:p{code} <{bl}actsFor> <https://w3id.org/bilateral/id/country/{code}> .\n"
            for code in ("KOR", "JPN", "USA")
        )
    )
    store.load((lines + more).encode(), ox.RdfFormat.N_TRIPLES, graph="urn:x:synthetic")
    return store


@pytest.mark.parametrize("relation", ["met", "dispute"])
def test_synthetic_edges_are_those_grouped_by_the_engine(synthetic: EmbeddedStore, relation: str) -> None:
    tables = list(edges_of(synthetic, relation))
    assert comparable(tables) == comparable(grouped(synthetic, relation)) and len(tables) > 50
    blank = [edge for edge in tables if edge.fact and ":" not in edge.fact]
    if relation == "met":
        assert sorted((e.source[-3:], e.target[-3:]) for e in blank) == [("JPN", "KOR"), ("JPN", "USA"), ("KOR", "USA")]
        assert {
            (e.attributes["label"], e.attributes["start"], len(e.attributes["sources"].split())) for e in blank
        } == {("a", "2020-01-01", 2)}
