"""Bulk loading of large files of triples into the embedded store: chunked, journaled, undone on failure.

Oxigraph's bulk loader holds a whole batch of up to a million quads in memory and sorts it once per index;
fed an N-Triples file in slices of a few megabytes (`graph.file_content.line_slices`) it needs a fifth of the
memory and less time. Each slice is its own atomic write, so a load in slices is journaled: a marker naming
the target graph is written first and removed last, and a store opened with a marker still in it (the
process died mid-load) drops that graph. Slicing is used only where it cannot change the data
(`graph.file_content.sliceable`), into a graph that was empty, so that undoing the load is dropping the graph.
Anything else is one atomic bulk load. Undoing is `drop_graph`, in bounded memory; it costs time (about
45 s for a million quads), which only a file refused by its checks pays: a file of triples is loaded while
its checks run (`graph.loading`), in the same journal (`journaled`), and dropped again if it is refused.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from graph.errors import FREE_SPACE, RefusedInput, StoreFull
from graph.file_content import SLICE_BYTES, Progress, is_gzipped, sliceable
from graph.namespaces import graph_node
from graph.parsing import load_path, oxigraph_reads, read_into

PENDING_GRAPH = ox.NamedNode("urn:bilateral:pending-loads")
_LOADING = ox.NamedNode("urn:bilateral:loading")
UNDO_BATCH = 20_000
ROOM_A_BYTE = 2
"""The disk space a load takes, at least, per byte of its files' content: a million triples in 156 MB of
N-Triples peak at 273 MB in the store, and undoing a refused load writes more (a more compact syntax takes
more a byte)."""
Signature = tuple[int, int]
"""A file's size and modification time (see `signature`)."""
log = logging.getLogger(__name__)


def check_room(folder: Path, paths: Sequence[Path]) -> None:
    """Refuse a load that cannot fit on the store's disk (`ROOM_A_BYTE`) before anything is written: a
    disk filled half-way through a large load needs more space still to undo it, and the store cannot even
    be opened before it is undone."""
    content = sum(_content_bytes(p) for p in paths if p.is_file())
    free = shutil.disk_usage(folder).free
    if free < ROOM_A_BYTE * content:
        names = ", ".join(p.name for p in paths)
        raise StoreFull(
            f"The disk of the store at {folder} has {free / 1e6:,.0f} MB free, and loading {names} "
            f"({content / 1e6:,.0f} MB of RDF) takes about {ROOM_A_BYTE * content / 1e6:,.0f} MB; {FREE_SPACE}, or "
            "create the store on a larger disk (bilateral init --store DIR). Nothing was written."
        )


def _content_bytes(path: Path) -> int:
    """A file's size, or for a gzipped one the size of its content as its last member records it (modulo
    4 GiB), or ten times its size if that says less."""
    size = path.stat().st_size
    if not is_gzipped(path) or size < 4:
        return size
    with path.open("rb") as file:
        file.seek(-4, os.SEEK_END)
        recorded = int.from_bytes(file.read(4), "little")
    return recorded if recorded >= size else 10 * size


def bulk_load_file(
    store: ox.Store,
    path: Path,
    format: ox.RdfFormat,
    graph: str,
    *,
    parsed_as: Signature | None = None,
    progress: Progress | None = None,
) -> None:
    """Bulk-load a file of triples into `graph`, all or nothing.

    `parsed_as` is the file's `signature` when it was parsed strictly (to be validated): the loader then
    skips checking IRIs a second time, and refuses the file if it has changed since.
    """
    target = graph_node(graph)
    if parsed_as is not None:
        unchanged(path, parsed_as)

    def load(text: bytes | IO[bytes]) -> None:
        store.bulk_load(input=text, format=format, to_graph=target, lenient=parsed_as is not None)

    def by_path() -> None:  # no bytes through Python, no scan for blank-node labels
        load_path(store.bulk_load, path, str(path), format=format, to_graph=target, lenient=parsed_as is not None)

    whole = oxigraph_reads(path, format, progress)
    one_slice = whole and path.stat().st_size <= SLICE_BYTES
    if store.contains_named_graph(target) or not (one_slice or sliceable(path, format)):
        by_path() if whole else read_into(path, load, source=str(path), sliced=False, progress=progress)
        return
    with journaled(store, target):
        by_path() if one_slice else read_into(path, load, source=str(path), sliced=True, progress=progress)
        if parsed_as is not None:
            unchanged(path, parsed_as)


@contextmanager
def journaled(store: ox.Store, target: ox.NamedNode) -> Iterator[None]:
    """Writes into `target`, a graph that was empty, made all or nothing: a marker naming the graph is
    written first and removed last; an exception drops the graph, and a process that dies leaves the marker
    for `undo_interrupted_loads` to find."""
    marker = ox.Quad(target, _LOADING, ox.Literal(str(os.getpid())), PENDING_GRAPH)
    store.add(marker)
    try:
        yield
    except BaseException:
        drop_graph(store, target)
        _unmark(store, marker)
        raise
    _unmark(store, marker)


def drop_graph(store: ox.Store, graph: ox.NamedNode) -> None:
    """Remove a graph a load wrote, UNDO_BATCH quads at a time: Oxigraph's `remove_graph` deletes in one
    transaction that holds every quad in memory (1.5 GB for a million), and a batch of `DELETE DATA` is
    the fastest way it has to delete (a million quads: 45 s, against 52 s a quad at a time)."""
    quads = store.quads_for_pattern(None, None, None, graph)  # reads a snapshot: one pass, deleting behind it
    while batch := list(islice(quads, UNDO_BATCH)):
        if any(isinstance(term, ox.BlankNode | ox.Triple) for quad in batch for term in (quad.subject, quad.object)):
            _remove_each(store, batch)  # DELETE DATA takes no blank nodes
            continue
        triples = "\n".join(f"{quad.subject} {quad.predicate} {quad.object} ." for quad in batch)
        try:
            store.update(f"DELETE DATA {{ GRAPH {graph} {{\n{triples}\n}} }}")
        except SyntaxError:  # a lenient load keeps what SPARQL cannot spell (a relative IRI)
            _remove_each(store, batch)
    store.remove_graph(graph)  # its name, now that it is empty


def _remove_each(store: ox.Store, quads: list[ox.Quad]) -> None:
    for quad in quads:
        store.remove(quad)


def _unmark(store: ox.Store, marker: ox.Quad) -> None:
    store.remove(marker)
    if next(iter(store.quads_for_pattern(None, None, None, PENDING_GRAPH)), None) is None:
        store.remove_graph(PENDING_GRAPH)  # an empty named graph would still be listed


def signature(path: Path) -> Signature:
    """A file's size and modification time, to tell whether it changed between two reads."""
    status = path.stat()
    return status.st_size, status.st_mtime_ns


def unchanged(path: Path, parsed_as: Signature) -> None:
    """Refuse a file that changed since it was parsed (see `signature`)."""
    if signature(path) != parsed_as:
        raise RefusedInput(f"{path} changed after it was validated; nothing of it was stored. Load it again.")


def undo_interrupted_loads(store: ox.Store) -> list[str]:
    """Drop the graphs of loads that never finished (their marker is still there); return their names."""
    if not store.contains_named_graph(PENDING_GRAPH):
        return []
    undone = []
    for quad in store.quads_for_pattern(None, _LOADING, None, PENDING_GRAPH):
        if isinstance(quad.subject, ox.NamedNode):
            drop_graph(store, quad.subject)
            undone.append(quad.subject.value)
            log.warning("A load into <%s> was interrupted; its half-written graph was dropped.", quad.subject.value)
    store.remove_graph(PENDING_GRAPH)
    return undone
