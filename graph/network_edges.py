"""The edges of the network, read from any Store: which nodes each fact relates, with the fact's label,
dates, precision and sources as the edge's attributes.

A relation between states through shared facts (meetings, disputes, alliances) is read as two plain tables,
the states each fact involves and the details each fact states, and put together here: grouped in one
SPARQL query per relation, Oxigraph looked every detail up once per pair of states (6-8 s for the 40,000
meetings of the 1M-triple synthetic store, against some 2.5 s as tables). The other relations are one
query each, grouped by the engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import combinations

import pyoxigraph as ox

from graph.namespaces import BL
from graph.store import Store

RELATIONS = ("met", "dispute", "allied", "holds-office", "member-of", "participated-in")
PREFIXES = f"PREFIX bl: <{BL}>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"

SHARED_FACTS = {
    "met": "?fact a/rdfs:subClassOf* bl:Meeting",
    "dispute": "?fact a/rdfs:subClassOf* bl:Dispute",
    "allied": "?fact a bl:Alliance",
}
"""The facts of each relation whose states are related pairwise: each pair of states a fact involves."""
INVOLVED = {
    # Sub-selects, which Oxigraph joins by hashing, not by one lookup per participation (0.57 s against
    # 1.72 s for the 80,000 participations of the 1M-triple store).
    "met": "{ SELECT ?fact ?p WHERE { ?fact a/rdfs:subClassOf* bl:Meeting ; bl:hasParticipation ?p } } "
    "{ SELECT ?p ?state WHERE { ?p bl:actsFor ?state } }",
    "dispute": "?fact a/rdfs:subClassOf* bl:Dispute ; bl:party ?state",
    "allied": "?fact a bl:Alliance ; bl:member ?state",
}
"""The pattern that binds `?fact` to each state `?state` it involves, per relation of SHARED_FACTS."""

_DETAILS = (
    ("labels", "factLabel", ("http://www.w3.org/2000/01/rdf-schema#label",)),
    ("earliest", "earliest", (f"{BL}earliest",)),
    ("latest", "latest", (f"{BL}latest",)),
    ("start", "startDate", (f"{BL}startDate",)),
    ("end", "endDate", (f"{BL}endDate",)),
    ("precision", "precision", (f"{BL}datePrecision",)),
    ("sources", "source", (f"{BL}source", f"{BL}claimedBy")),
)
"""The details of a fact read for its edges: the field of `_Details` each goes to, the variable of the
grouped queries that binds it, and the predicates that state it."""
_FIELD_OF = {iri: name for name, _variable, iris in _DETAILS for iri in iris}
_DETAIL_PREDICATES = ", ".join(f"<{iri}>" for iri in _FIELD_OF)
_FACT_DETAILS = "".join(
    f"\n  OPTIONAL {{ ?fact {'|'.join(f'<{iri}>' for iri in iris)} ?{variable} }}" for _name, variable, iris in _DETAILS
)
_FACT_SELECT = """SELECT ?fact ?a ?b (SAMPLE(?factLabel) AS ?label) (MIN(STR(?earliest)) AS ?from)
  (MAX(STR(?latest)) AS ?to) (MIN(STR(?startDate)) AS ?start) (MAX(STR(?endDate)) AS ?end)
  (SAMPLE(?precision) AS ?prec) (GROUP_CONCAT(DISTINCT STR(?source); separator=" ") AS ?sources)"""
GROUPED = {
    "holds-office": f"""{PREFIXES}{_FACT_SELECT} WHERE {{
  ?fact bl:holder ?a ; bl:office ?office . ?office bl:officeOf ?b . OPTIONAL {{ ?office rdfs:label ?factLabel }}
  {_FACT_DETAILS} }} GROUP BY ?fact ?a ?b""",
    "member-of": f"{PREFIXES}SELECT ?a ?b WHERE {{ ?a bl:memberOf ?b }}",
    "participated-in": f"""{PREFIXES}{_FACT_SELECT} WHERE {{
  ?fact a/rdfs:subClassOf* bl:Event . {{ ?fact bl:participant ?a }} UNION {{ ?fact bl:hasParticipation/bl:actsFor ?a }}
  BIND (?fact AS ?b) {_FACT_DETAILS} }} GROUP BY ?fact ?a ?b""",
}
"""The relations read in one query each, a row per edge with its attributes grouped by the engine."""


@dataclass
class Edge:
    source: str
    target: str
    relation: str
    fact: str | None
    attributes: dict[str, str] = field(default_factory=dict)


def edges_of(store: Store, relation: str) -> Iterable[Edge]:
    """The edges of one relation in `store`."""
    if relation in SHARED_FACTS:
        return _pairwise(store, relation)
    return (_edge(relation, row.get("a"), row.get("b"), row) for row in store.select(GROUPED[relation]).dicts())


def _edge(relation: str, a: object, b: object, row: Mapping[str, object]) -> Edge:
    fact = text_of(row.get("fact")) or None
    start = text_of(row.get("start")) or text_of(row.get("from"))
    end = text_of(row.get("end")) or text_of(row.get("to"))
    attributes = {
        "label": text_of(row.get("label")) or relation,
        "type": relation,
        "iri": fact or "",
        "start": start[:10],
        "end": end[:10],
        "precision": text_of(row.get("prec")).rsplit("#", 1)[-1],
        "sources": text_of(row.get("sources")),
    }
    return Edge(str(a), str(b), relation, fact, attributes)


def text_of(value: object) -> str:
    """A term's text (an IRI, a literal's lexical form, a blank node's label), rdflib's or Oxigraph's; "" for
    none."""
    if value is None:
        return ""
    return value.value if isinstance(value, ox.NamedNode | ox.Literal | ox.BlankNode) else str(value)


@dataclass
class _Details:
    """What one fact states of its label, dates, precision and sources, folded as the grouped queries fold
    them: the earliest start, the latest end, every source once."""

    labels: set[str] = field(default_factory=set)
    earliest: set[str] = field(default_factory=set)
    latest: set[str] = field(default_factory=set)
    start: set[str] = field(default_factory=set)
    end: set[str] = field(default_factory=set)
    precision: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)

    def row(self, fact: str) -> dict[str, object]:
        return {
            "fact": fact,
            "label": min(self.labels, default=None),
            "from": min(self.earliest, default=None),
            "to": max(self.latest, default=None),
            "start": min(self.start, default=None),
            "end": max(self.end, default=None),
            "prec": min(self.precision, default=None),
            "sources": " ".join(sorted(self.sources)),
        }


def _pairwise(store: Store, relation: str) -> Iterator[Edge]:
    """An edge for each pair of states a fact of `relation` involves, the lesser IRI first (as text). The
    two tables come in one answer, so that a fact that is a blank node is the same node in both."""
    tables = (
        f"{PREFIXES}SELECT ?fact ?state ?p ?o WHERE {{ {{ {INVOLVED[relation]} }} "
        f"UNION {{ {SHARED_FACTS[relation]} . ?fact ?p ?o FILTER (?p IN ({_DETAIL_PREDICATES})) }} }}"
    )
    involved: dict[str, set[str]] = {}
    details: dict[str, _Details] = {}
    for fact, state, predicate, value in store.stream_select(tables).rows:
        if state is not None:
            involved.setdefault(fact.value, set()).add(state.value)
        else:
            getattr(details.setdefault(fact.value, _Details()), _FIELD_OF[predicate.value]).add(value.value)
    for fact, states in involved.items():
        row = (details.get(fact) or _Details()).row(fact)
        for a, b in combinations(sorted(states), 2):
            yield _edge(relation, a, b, row)
