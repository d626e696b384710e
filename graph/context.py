"""What the store already knows about the nodes new data mentions: the context validation sees.

A submission may cite `id/person/lee-jae-myung` without restating him; validating it needs his types and
his office holdings from the store. The neighbourhood is extracted by CONSTRUCT for the mentioned IRIs only,
so its cost follows the size of the new data, not of the store.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from rdflib import Graph, URIRef

from graph.namespaces import BL
from graph.store import Store

_BATCH = 400


def mentioned_iris(data: Graph) -> list[URIRef]:
    """The IRIs used as subject or object in `data`, sorted."""
    found = {t for s, _p, o in data for t in (s, o) if isinstance(t, URIRef)}
    return sorted(found)


MENTIONED_IRIS_QUERIES = (
    "SELECT DISTINCT ?n WHERE { ?n ?p ?o FILTER isIRI(?n) }",
    "SELECT DISTINCT ?n WHERE { ?s ?p ?n FILTER isIRI(?n) }",
)
"""SELECTs of the IRIs used as subject, and as object, in staged data (two DISTINCTs beat one over a UNION)."""


KNOWN_LIMIT = 50_000


def known_iris_query(graphs: Sequence[str] | None = None, limit: int = KNOWN_LIMIT) -> str:
    """The SELECT of the IRIs a store may hold context about (what `context_query` can match), up to
    `limit` of them, from every graph or only from `graphs`. When a store knows fewer IRIs than new data
    mentions, looking its IRIs up in the new data is the cheaper way."""
    pattern = f"{{ ?n ?p ?o }} UNION {{ ?h <{BL.holder}> ?n }}"
    if graphs is not None:
        pattern = f"VALUES ?g {{ {' '.join(f'<{g}>' for g in graphs)} }} GRAPH ?g {{ {pattern} }}"
    return f"SELECT DISTINCT ?n WHERE {{ {pattern} FILTER isIRI(?n) }} LIMIT {limit}"


def mentioned_among_queries(iris: Sequence[str]) -> Iterator[str]:
    """SELECTs of which of `iris` staged data uses as subject or object, in batches."""
    for start in range(0, len(iris), 5 * _BATCH):
        values = " ".join(f"<{iri}>" for iri in iris[start : start + 5 * _BATCH])
        yield f"SELECT DISTINCT ?n WHERE {{ VALUES ?n {{ {values} }} {{ ?n ?p ?o }} UNION {{ ?s ?p ?n }} }}"


def context_query(iris: Sequence[str], ignoring: tuple[str, ...] = ()) -> str:
    """The CONSTRUCT of what a store knows about `iris`: their triples, the types of what they point to,
    their office holdings and those holdings' offices; in every named graph but those `ignoring` names (a
    graph being written meanwhile, or one a write empties: each pattern is then matched graph by graph,
    which costs the same)."""
    values = " ".join(f"<{iri}>" for iri in iris)
    count = iter(range(1, 9))

    def known(pattern: str) -> str:
        return kept(pattern, ignoring, f"?g{next(count)}")

    return f"""
        CONSTRUCT {{ ?n ?p ?o . ?o a ?type . ?h ?hp ?ho . ?office ?op ?oo . ?oo a ?otype }}
        WHERE {{
          VALUES ?n {{ {values} }}
          {{ {known("?n ?p ?o")} OPTIONAL {{ {known("?o a ?type")} }} }}
          UNION {{ {known(f"?h <{BL.holder}> ?n")} {known("?h ?hp ?ho")} }}
          UNION {{ {known(f"?h <{BL.holder}> ?n")} {known(f"?h <{BL.office}> ?office")} {known("?office ?op ?oo")}
                   OPTIONAL {{ {known("?oo a ?otype")} }} }}
        }}"""


def kept(pattern: str, ignoring: tuple[str, ...], graph: str = "?kept") -> str:
    """A triple pattern matched in the union of the named graphs, or, when `ignoring` names some, in every
    named graph but those (`graph` names the variable that ranges over them)."""
    if not ignoring:
        return f"{pattern} ."
    left_out = ", ".join(f"<{name}>" for name in ignoring)
    return f"GRAPH {graph} {{ {pattern} }} FILTER ({graph} NOT IN ({left_out}))"


def meetings_of_agent(ignoring: tuple[str, ...] = ()) -> str:
    """The pattern binding ?m to the meetings ?agent takes part in (through a participation), in every named
    graph but those `ignoring` names."""
    takes_part = kept(f"?part <{BL.agent}> ?agent", ignoring, "?ga")
    return f"{takes_part} {kept(f'?m <{BL.hasParticipation}> ?part', ignoring, '?gm')}"


def value_batches(iris: Sequence[str]) -> Iterator[str]:
    """IRIs written for a VALUES block, _BATCH of them at a time."""
    for start in range(0, len(iris), _BATCH):
        yield " ".join(f"<{iri}>" for iri in iris[start : start + _BATCH])


def context_queries(iris: Sequence[str], ignoring: tuple[str, ...] = ()) -> Iterator[str]:
    """The context CONSTRUCTs for `iris`, one per batch of 400."""
    for start in range(0, len(iris), _BATCH):
        yield context_query(iris[start : start + _BATCH], ignoring)


def context_for(store: Store, data: Graph, ignoring: tuple[str, ...] = ()) -> Graph:
    """The context of an rdflib graph of new data, as an rdflib graph."""
    context = Graph()
    for query in context_queries([str(iri) for iri in mentioned_iris(data)], ignoring):
        context += store.construct(query)
    return context
