"""The graph as a network: states, persons and organizations as nodes, the relations between them as typed,
dated, sourced edges, projected from RDF through SPARQL on any Store into a networkx MultiDiGraph.

Edges: `met` (two states whose representatives took part in one meeting; one edge per meeting), `dispute`
(parties of one dispute), `allied` (members of one alliance), `holds-office` (person to the state of the
office) and `member-of` (state to organization); with `include_events`, events are nodes too and persons
and states are linked to them by `participated-in`. Parallel edges of different types (or different facts)
between the same two nodes are kept: each edge's key is the fact it stands for. The edges are read by
`graph.network_edges`; here they are filtered and put together with the nodes.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import networkx as nx

from graph.namespaces import instance_iri
from graph.network_edges import PREFIXES, RELATIONS, edges_of, text_of
from graph.store import Store

NODES = (
    PREFIXES
    + """
SELECT ?n ?kind (SAMPLE(?name) AS ?label) (SAMPLE(?alpha3) AS ?code)
       (GROUP_CONCAT(DISTINCT STR(?source); separator=" ") AS ?sources) WHERE {
  { ?n a bl:State BIND ("State" AS ?kind) }
  UNION { ?n a bl:Country FILTER NOT EXISTS { ?n a bl:State } BIND ("Country" AS ?kind) }
  UNION { ?n a bl:Person BIND ("Person" AS ?kind) }
  UNION { ?n a bl:InternationalOrganization BIND ("Organization" AS ?kind) }
  OPTIONAL { ?n rdfs:label ?name } OPTIONAL { ?n bl:iso3166Alpha3 ?alpha3 } OPTIONAL { ?n bl:source ?source }
} GROUP BY ?n ?kind"""
)

EVENT_NODES = (
    PREFIXES
    + """SELECT ?n (SAMPLE(?name) AS ?label) (MIN(STR(?e)) AS ?from) (MAX(STR(?l)) AS ?to) WHERE {
  ?n a/rdfs:subClassOf* bl:Event . OPTIONAL { ?n rdfs:label ?name }
  OPTIONAL { ?n bl:earliest ?e } OPTIONAL { ?n bl:latest ?l }
} GROUP BY ?n"""
)


def each_value(values: Iterable[str]) -> tuple[str, ...]:
    """Values given one by one or comma-separated, stripped, empty ones left out.

    >>> each_value(["KOR,JPN", " USA "])
    ('KOR', 'JPN', 'USA')
    """
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


@dataclass(frozen=True)
class NetworkFilter:
    """What every export and measure may narrow the network to. `countries`, `relations` and `sources` may
    each be given as comma-separated lists too (`KOR,JPN`), as a URL or a command line writes them."""

    countries: tuple[str, ...] = ()
    """ISO 3166-1 alpha-3 codes; with `depth`, the nodes within that many hops of them."""
    depth: int = 1
    start: str | None = None
    """Keep dated facts that overlap [start, end] (ISO dates, or a month or a year: its first and last day);
    undated ones stay."""
    end: str | None = None
    relations: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    min_sources: int = 0
    include_events: bool = False

    def __post_init__(self) -> None:
        for name in ("countries", "relations", "sources"):  # frozen: set through object.__setattr__
            object.__setattr__(self, name, each_value(getattr(self, name)))
        unknown = [r for r in self.relations if r not in RELATIONS]
        if unknown:
            raise ValueError(f"Unknown relation type(s) {', '.join(unknown)}; use {', '.join(RELATIONS)}.")
        if self.depth < 0:
            raise ValueError("depth is 0 or more.")
        if self.min_sources < 0:
            raise ValueError("min_sources is 0 or more.")
        start = day_bound(self.start, "from", last=False) if self.start is not None else None
        end = day_bound(self.end, "to", last=True) if self.end is not None else None
        if start is not None and end is not None and start > end:
            raise ValueError(f"from ({start}) is after to ({end}); swap them.")
        object.__setattr__(self, "start", start)  # frozen: the bounds as the days they stand for
        object.__setattr__(self, "end", end)


_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def day_bound(value: str, name: str, *, last: bool) -> str:
    """A date filter as the day it stands for: `2025-08-23` itself; `2025-08` and `2025` as their first day,
    or their last (`last`) for the end of a range.

    >>> day_bound("2024-02", "to", last=True), day_bound("2025", "from", last=False)
    ('2024-02-29', '2025-01-01')
    """
    found = _DATE.fullmatch(value.strip())
    try:
        if found is None:
            raise ValueError(value)
        year, month = int(found[1]), int(found[2] or (12 if last else 1))
        day = int(found[3]) if found[3] else calendar.monthrange(year, month)[1] if last else 1
        return date(year, month, day).isoformat()
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a date; write YYYY-MM-DD, YYYY-MM or YYYY.") from None


def _overlaps(attributes: dict[str, str], start: str | None, end: str | None) -> bool:
    begins, finishes = attributes.get("start") or None, attributes.get("end") or None
    if begins is None and finishes is None:
        return True
    if end is not None and begins is not None and begins > end:
        return False
    return not (start is not None and finishes is not None and finishes < start)


def project(store: Store, selection: NetworkFilter | None = None) -> nx.MultiDiGraph:
    """The network of the store, narrowed by `selection`."""
    chosen = selection or NetworkFilter()
    network = nx.MultiDiGraph()
    for row in store.select(NODES).dicts():
        iri = str(row["n"])
        network.add_node(
            iri,
            label=text_of(row.get("label")) or iri.rsplit("/", 1)[-1],
            type=str(row["kind"]),
            iri=iri,
            code=text_of(row.get("code")),
            sources=text_of(row.get("sources")),
        )
    if chosen.include_events:
        for row in store.select(EVENT_NODES).dicts():
            iri = str(row["n"])
            network.add_node(
                iri,
                label=text_of(row.get("label")) or iri.rsplit("/", 1)[-1],
                type="Event",
                iri=iri,
                start=text_of(row.get("from"))[:10],
                end=text_of(row.get("to"))[:10],
            )
    relations = chosen.relations or tuple(r for r in RELATIONS if r != "participated-in" or chosen.include_events)
    for relation in relations:
        for edge in edges_of(store, relation):
            if edge.source not in network or edge.target not in network:
                continue
            sources = edge.attributes["sources"].split()
            if chosen.sources and not set(sources) & set(chosen.sources):
                continue
            if len(sources) < chosen.min_sources or not _overlaps(edge.attributes, chosen.start, chosen.end):
                continue
            # unique across the whole network: exporters use it as the edge id
            key = f"{relation}|{edge.fact or ''}|{edge.source}|{edge.target}"
            network.add_edge(edge.source, edge.target, key=key, id=key, **edge.attributes)
    if chosen.countries:
        network = _neighbourhood(network, chosen.countries, chosen.depth)
    return _in_order(network)


def _in_order(network: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """The network with its nodes in IRI order and its edges in key order, so that the same data exports
    to the same bytes: a neighbourhood's subgraph otherwise follows the order of a Python set, which
    changes from one process to the next."""
    ordered = nx.MultiDiGraph(**network.graph)
    ordered.add_nodes_from(sorted(network.nodes(data=True), key=lambda node: node[0]))
    ordered.add_edges_from(sorted(network.edges(keys=True, data=True), key=lambda edge: edge[2]))
    return ordered


def state_iri(code: str) -> str:
    """The IRI of a state from its ISO 3166-1 alpha-3 code."""
    return str(instance_iri("country", code.upper()))


def _neighbourhood(network: nx.MultiDiGraph, countries: Iterable[str], depth: int) -> nx.MultiDiGraph:
    starts = {state_iri(code) for code in countries}
    missing = sorted(s for s in starts if s not in network)
    if missing:
        raise ValueError(f"No state with code {', '.join(m.rsplit('/', 1)[-1] for m in missing)} in the graph.")
    within = nx.multi_source_dijkstra_path_length(network.to_undirected(as_view=True), starts, cutoff=depth)
    return network.subgraph(within).copy()
