"""Network questions about states: who is central, how two states are connected, and what happened between a
pair over time. Centrality and paths run with networkx on the projection (`graph/network.py`); the dyad
timeline is one SPARQL aggregation on the store, counting events per period and type and summing the
Goldstein scores of their CAMEO codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import networkx as nx

from graph.errors import NotFound
from graph.namespaces import BL
from graph.network import NetworkFilter, project, state_iri
from graph.store import Store

MEASURES = ("degree", "betweenness", "eigenvector")
STATE_TYPES = ("State", "Country")


def unknown_state(code: str) -> NotFound:
    return NotFound(f"No state with code {code.upper()} in the graph; states go by ISO 3166-1 alpha-3 codes.")


def states_graph(network: nx.MultiDiGraph) -> nx.Graph:
    """States only, one undirected edge per related pair, weighted by the number of facts between them."""
    simple = nx.Graph()
    states = [n for n, d in network.nodes(data=True) if d.get("type") in STATE_TYPES]
    simple.add_nodes_from((n, network.nodes[n]) for n in states)
    for a, b, data in network.edges(data=True):
        if a in simple and b in simple and a != b:
            facts = simple.get_edge_data(a, b, default={"weight": 0, "facts": []})
            simple.add_edge(a, b, weight=facts["weight"] + 1, facts=[*facts["facts"], data])
    return simple


def centrality(
    store: Store, measure: str, selection: NetworkFilter | None = None, top: int = 20
) -> list[dict[str, Any]]:
    """States ranked by a centrality measure over the relations between them (isolated states left out)."""
    if measure not in MEASURES:
        raise ValueError(f"Unknown measure {measure!r}; use {', '.join(MEASURES)}.")
    if top < 1:
        raise ValueError("top is 1 or more.")
    simple = states_graph(project(store, selection))
    simple.remove_nodes_from([n for n in list(simple) if simple.degree(n) == 0])
    if simple.number_of_nodes() == 0:
        return []
    if measure == "degree":
        scores = nx.degree_centrality(simple)
    elif measure == "betweenness":
        scores = nx.betweenness_centrality(simple)
    else:
        scores = nx.eigenvector_centrality(simple, max_iter=1000, tol=1e-8, weight="weight")
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:top]
    return [
        {
            "state": n,
            "code": simple.nodes[n].get("code", ""),
            "label": simple.nodes[n].get("label", ""),
            "score": round(float(s), 6),
        }
        for n, s in ranked
    ]


@dataclass(frozen=True)
class Path:
    states: list[str]
    steps: list[list[dict[str, str]]]
    """For each hop, the facts that connect its two states."""


def shortest_paths(
    store: Store, origin: str, target: str, selection: NetworkFilter | None = None, limit: int = 5
) -> list[Path]:
    """The shortest chains of relations between two states, with the facts along each hop."""
    simple = states_graph(project(store, selection))
    start, end = state_iri(origin), state_iri(target)
    for code, node in ((origin, start), (target, end)):
        if node not in simple:
            raise unknown_state(code)
    try:
        found = list(nx.all_shortest_paths(simple, start, end))[:limit]
    except nx.NetworkXNoPath:
        return []
    return [
        Path(
            path,
            [
                [{k: v for k, v in f.items() if k != "id"} for f in simple.edges[a, b]["facts"]]
                for a, b in zip(path, path[1:], strict=False)
            ],
        )
        for path in found
    ]


PERIODS = {"year": 4, "month": 7, "day": 10}


def dyad_timeline(
    store: Store, a: str, b: str, *, start: str | None = None, end: str | None = None, by: str = "month"
) -> list[dict[str, Any]]:
    """Events involving both states, per period (by their earliest day) and type, with Goldstein sums."""
    if by not in PERIODS:
        raise ValueError(f"by must be one of {', '.join(PERIODS)}.")
    bounds = NetworkFilter(start=start, end=end)  # checked days: nothing else is written into the query
    start, end = bounds.start, bounds.end
    types = " ".join(f"<{BL[kind]}>" for kind in STATE_TYPES)
    for code in (a, b):
        if not store.ask(f"ASK {{ VALUES ?type {{ {types} }} <{state_iri(code)}> a ?type }}"):
            raise unknown_state(code)
    window = "".join(
        (
            f' FILTER (?latest >= "{start}"^^xsd:date)' if start else "",
            f' FILTER (?earliest <= "{end}"^^xsd:date)' if end else "",
        )
    )
    query = f"""PREFIX bl: <{BL}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT ?period ?type (COUNT(DISTINCT ?event) AS ?events) (SUM(?score) AS ?goldstein) (COUNT(?score) AS ?coded) WHERE {{
  {{ SELECT DISTINCT ?event ?type ?earliest ?latest ?score WHERE {{
    ?event a ?type ; bl:earliest ?earliest ; bl:latest ?latest .
    ?type rdfs:subClassOf* bl:Event .
    {{ ?event bl:dyad ?dyad . ?dyad bl:side <{state_iri(a)}> , <{state_iri(b)}> }}
    UNION {{ ?event bl:hasParticipation/bl:actsFor <{state_iri(a)}> ; bl:hasParticipation/bl:actsFor <{state_iri(b)}> }}
    OPTIONAL {{ ?event bl:eventType/bl:goldstein ?score }}
    FILTER NOT EXISTS {{ ?sub rdfs:subClassOf ?type . ?event a ?sub FILTER (?sub != ?type) }}{window}
  }} }}
  BIND (SUBSTR(STR(?earliest), 1, {PERIODS[by]}) AS ?period)
}} GROUP BY ?period ?type ORDER BY ?period ?type"""
    rows = []
    for row in store.select(query).dicts():
        coded = int(str(row["coded"]))
        rows.append(
            {
                "period": str(row["period"]),
                "type": str(row["type"]).rsplit("#", 1)[-1],
                "events": int(str(row["events"])),
                "goldstein": float(str(row["goldstein"])) if coded else None,
            }
        )
    return rows
