"""Whether a SPARQL server reads the union of its named graphs as its default graph, as bilateral needs.

Asked by reading: one triple of one named graph, and whether the default graph holds it. A server without
a triple cannot be asked so; before the first write into one, a probe triple is written into a graph of
its own, asked about, and dropped again, so that nothing is written into a server that would then be
refused (and nothing is queried wrongly meanwhile: an empty store's queries ask again until it can tell).
"""

from __future__ import annotations

from collections.abc import Callable

from graph.errors import StoreMisconfigured
from graph.store import Store

PROBE_GRAPH = "https://w3id.org/bilateral/graph/union-check"
_PROBE = f'<{PROBE_GRAPH}> <{PROBE_GRAPH}> "union"'


def misconfigured(query_url: str) -> StoreMisconfigured:
    return StoreMisconfigured(
        f"{query_url} does not use the union of its named graphs as the default graph. Start Oxigraph with "
        "`oxigraph serve --union-default-graph`, or set the equivalent option (Fuseki: tdb2:unionDefaultGraph "
        "true)."
    )


def reads_union(store: Store) -> bool | None:
    """Whether the default graph holds a triple of a named graph; None for a store without one to ask about."""
    probe = store.select("SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } FILTER(!isBlank(?s) && !isBlank(?o)) } LIMIT 1")
    if not probe.rows:
        return None
    s, p, o = (term.n3() for term in probe.rows[0] if term is not None)
    return store.ask(f"ASK {{ {s} {p} {o} }}")


def reads_union_of_a_probe(store: Store, update: Callable[[str], object]) -> bool:
    """Whether the default graph holds a triple written into a named graph for the question (by `update`,
    which sends a SPARQL update as it is); the graph is dropped again either way."""
    update(f"INSERT DATA {{ GRAPH <{PROBE_GRAPH}> {{ {_PROBE} }} }}")
    try:
        return store.ask(f"ASK {{ {_PROBE} }}")
    finally:
        update(f"DROP SILENT GRAPH <{PROBE_GRAPH}>")
