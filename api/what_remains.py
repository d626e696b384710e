"""What a write leaves of the nodes it takes triples from, staged to be judged with what it adds.

A write that deletes triples (`DELETE DATA`, `DELETE … WHERE`), or empties whole graphs (`DROP`/`CLEAR
GRAPH`, `COPY`/`MOVE` onto a graph, a Graph Store `PUT` or `DELETE`), can leave the store violating the
shapes without adding anything: a meeting with one participant, a participation that acts for a state no
graph types any more. The nodes it can break are judged again, as they would be after it:
- the subjects of the deleted triples, and the subjects of an emptied graph that other graphs describe too;
- the nodes of the graphs kept that point at the subjects of either (one hop in: a class or type
  constraint on a value);
- the meetings of the holders of the office holdings it deletes from or empties a graph of:
  `MeetingOutOfOfficeShape` reads their dates three hops away (the validator itself judges those meetings
  again when a write adds to a holding: `graph.engine_validation`).
Their triples from every graph but the emptied ones, less the deleted triples, go into a graph of their
own in the staged data; validation then reads the store's context without the emptied graphs
(`validate_staged(…, ignoring=…)`). Other shapes that reach a node from further away are not followed.
"""

from __future__ import annotations

from collections.abc import Callable

import pyoxigraph as ox

from graph.context import kept, meetings_of_agent, value_batches
from graph.namespaces import BL
from graph.parsing import Staged, stage
from graph.store import Store

REMAINING_GRAPH = "urn:bilateral:update:remaining"
_SUBJECTS = "SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s ?p ?o } FILTER isIRI(?s) }"


def stage_what_remains(
    store: Store, deleted: Staged | None, emptied: tuple[str, ...] = (), *, into: Staged, gone: Staged | None = None
) -> None:
    """Stage into `into` (the data a write adds, if any) what remains of the nodes that the `deleted`
    triples and the `emptied` graphs touch, of the nodes pointing at them, and of the meetings of the
    holders of the office holdings among them, in REMAINING_GRAPH (a graph of its own, so that a triple
    deleted and inserted again stays): without the triples `gone` (by default the deleted ones; fewer when
    some are deleted from one graph and kept by another)."""
    gone = deleted if gone is None else gone
    touched = _subjects(deleted) if deleted is not None else set()
    touched |= _pointing_at(store, sorted(touched), emptied)
    touched |= _meetings_of_holders_of(store, sorted(touched), emptied)
    for graph in emptied:
        touched |= _remaining_around(store, graph, emptied)
    for batch in value_batches(sorted(touched)):
        triples = store.serialize_bytes(
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?s {{ {batch} }} {kept('?s ?p ?o', emptied)} }}",
            "nt",
        )
        if triples:
            stage(triples, ox.RdfFormat.N_TRIPLES, graph=REMAINING_GRAPH, into=into, source="what the write leaves")
    if gone is not None and len(gone) and into.dataset.contains_named_graph(ox.NamedNode(REMAINING_GRAPH)):
        into.take_out(REMAINING_GRAPH, gone.ntriples())


def _subjects(staged: Staged) -> set[str]:
    if not len(staged):
        return set()
    solutions = staged.dataset.query(_SUBJECTS)
    assert isinstance(solutions, ox.QuerySolutions)
    return {row[0].value for row in solutions}


def _meetings_of_holders(holdings: str, emptied: tuple[str, ...]) -> str:
    """The pattern binding ?m to the meetings of the holders of `holdings` (a pattern binding ?h): the nodes
    `MeetingOutOfOfficeShape` judges by those holdings' dates, three hops from them."""
    return f"{holdings} {kept(f'?h <{BL.holder}> ?agent', emptied, '?gh')} {meetings_of_agent(emptied)}"


def _remaining_around(store: Store, graph: str, emptied: tuple[str, ...]) -> set[str]:
    """The subjects of `graph` that a graph kept describes as well (the only ones of it that remain), and
    the nodes of the graphs kept that point at any subject of it; each found by one join over the graph."""
    described = f"""SELECT DISTINCT ?n WHERE {{
      GRAPH <{graph}> {{ ?n ?p ?o }} FILTER isIRI(?n) {kept("?n ?q ?x", emptied)} }}"""
    pointing = f"""SELECT DISTINCT ?n WHERE {{
      GRAPH <{graph}> {{ ?s ?p ?o }} {kept("?n ?q ?s", emptied)} FILTER isIRI(?n) }}"""
    meetings = f"SELECT DISTINCT ?m WHERE {{ {_meetings_of_holders(f'GRAPH <{graph}> {{ ?h ?p ?o }}', emptied)} }}"
    return {str(row[0]) for query in (described, pointing, meetings) for row in store.select(query)}


def _pointing_at(store: Store, nodes: list[str], emptied: tuple[str, ...]) -> set[str]:
    """The IRIs that, in a graph kept, have one of `nodes` as a value."""

    def query(batch: str) -> str:
        return f"SELECT DISTINCT ?x WHERE {{ VALUES ?n {{ {batch} }} {kept('?x ?p ?n', emptied)} FILTER isIRI(?x) }}"

    return _found(store, nodes, query)


def _meetings_of_holders_of(store: Store, nodes: list[str], emptied: tuple[str, ...]) -> set[str]:
    """The meetings of the holders of those of `nodes` that are office holdings in a graph kept."""

    def query(batch: str) -> str:
        return f"SELECT DISTINCT ?m WHERE {{ {_meetings_of_holders(f'VALUES ?h {{ {batch} }}', emptied)} }}"

    return _found(store, nodes, query)


def _found(store: Store, nodes: list[str], query: Callable[[str], str]) -> set[str]:
    """The IRIs a SELECT of one variable finds, run for each batch of `nodes` (`query` writes it from the
    batch's VALUES)."""
    return {str(row[0]) for batch in value_batches(nodes) for row in store.select(query(batch))}
