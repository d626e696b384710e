"""The model's graphs of a store, the ontology and the shapes, kept as the installed release ships them.

Nothing but `bilateral init` writes them (`graph.namespaces.refuse_unwritable`), from the release's files;
validation reads the shapes and the ontology from those files, and queries read the hierarchy from the
store's ontology graph (`a/rdfs:subClassOf* bl:Meeting`, the exports' projection). A store made by an older
release kept its older model after an upgrade: a class the new ontology adds was accepted by validation
and missed by every query over the hierarchy. `update_model_graphs` replaces the graphs that differ from
the release's, in one all-or-nothing write; `bilateral init` and the start of `bilateral serve` call it.

Two versions are compared as their N-Triples lines, sorted, with blank-node labels set aside (each parse
labels them afresh): the shapes hold their property shapes in blank nodes, and a changed message or count
inside one changes a line.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pyoxigraph as ox

from graph.namespaces import MODEL_GRAPHS, ONTOLOGY_GRAPH, SHAPES_GRAPH
from graph.parsing import Staged, stage
from graph.resources import ontology_dir, shapes_dir, turtle_files
from graph.store import Store

_LABEL = re.compile(rb"_:\S+")


def model_files() -> list[tuple[Path, str]]:
    """The release's ontology and shapes files, each with the graph it goes into."""
    files = [(path, ONTOLOGY_GRAPH) for path in turtle_files(ontology_dir())]
    return files + [(path, SHAPES_GRAPH) for path in turtle_files(shapes_dir())]


def update_model_graphs(store: Store) -> dict[str, int]:
    """Replace the model's graphs that differ from the release's, all in one write; the triples of each
    graph replaced, by name (empty when the store's model is the release's)."""
    shipped = Staged()
    for path, graph in model_files():
        stage(path, graph=graph, into=shipped)
    release = {graph: _dumped(shipped.dataset, graph) for graph in MODEL_GRAPHS}
    outdated = {graph: triples for graph, triples in release.items() if not _same(triples, _stored(store, graph))}
    store.write_graphs(outdated, replace=True)
    return {graph: triples.count(b"\n") for graph, triples in outdated.items()}


def model_update_report(place: str, replaced: dict[str, int]) -> str:
    """What `update_model_graphs` did, for people."""
    if not replaced:
        return f"{place} already holds this release's ontology and shapes; nothing to do."
    graphs = " and ".join(f"<{graph}> ({triples} triples)" for graph, triples in replaced.items())
    return (
        f"{place} held another release's model: {graphs} replaced with this release's. Facts stored before "
        "were checked against the shapes of their time; `bilateral validate` checks them against these."
    )


def _dumped(dataset: ox.Store, graph: str) -> bytes:
    return dataset.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph)) or b""


def _stored(store: Store, graph: str) -> bytes:
    if not store.has_graph(graph):
        return b""
    output = io.BytesIO()
    store.dump_graph(graph, ox.RdfFormat.N_TRIPLES, output)
    return output.getvalue()


def _same(one: bytes, other: bytes) -> bool:
    """Whether two graphs in N-Triples hold the same lines, blank-node labels aside.

    >>> _same(b'_:a <x:p> "1" .\\n<x:s> <x:q> _:a .\\n', b'<x:s> <x:q> _:b7 .\\n_:b7 <x:p> "1" .\\n')
    True
    >>> _same(b'_:a <x:p> "1" .\\n', b'_:a <x:p> "2" .\\n')
    False
    """
    return sorted(_LABEL.sub(b"_:", line) for line in one.splitlines() if line.strip()) == sorted(
        _LABEL.sub(b"_:", line) for line in other.splitlines() if line.strip()
    )
