"""Putting data into a store: `init` (ontology, shapes, countries, curated facts) and validated loads.

Every load parses all its files first, validates them together with what the store knows about the nodes
they mention, and writes them in one all-or-nothing operation: a bad file leaves the store as it was. One
file of triples of moderate size into an empty graph of the embedded store is written while its checks run,
and dropped again if it is refused (`_load_while_validating`).
"""

from __future__ import annotations

import ctypes
import gc
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from graph.bulk import Signature, bulk_load_file, journaled, signature, unchanged
from graph.embedded import EmbeddedStore
from graph.errors import ParseError, ValidationFailed
from graph.formats import rdf_format, rdf_format_for_path
from graph.namespaces import ONTOLOGY_GRAPH, SHAPES_GRAPH, graph_iri, slug
from graph.parsing import Progress, Staged, refuse_url, stage, starts_with_bom
from graph.resources import data_dir, ontology_dir, shapes_dir, turtle_files
from graph.store import Store
from graph.validation import ValidationReport, Validator

OVERLAP_BYTES = 32 * 2**20
"""A validated file of triples up to this size (about 200,000 triples) is bulk-loaded while its checks run.
Refused by them, dropping what was written costs a few seconds."""


@dataclass(frozen=True)
class LoadSummary:
    """What a load wrote: quads, the graphs they went into, and the warnings validation raised."""

    quads: int
    graphs: list[str]
    validated: bool
    report: ValidationReport | None


def default_graph_for(path: Path) -> str:
    """The named graph a file of triples goes into when no --graph is given: `graph/source/{file stem}`."""
    return str(graph_iri("source", slug(path.name.split(".")[0])))


def stage_files(
    paths: Sequence[Path], *, graph: str | None = None, format: str | None = None, progress: Progress | None = None
) -> Staged:
    """Parse files into one staging dataset; the first file that does not parse stops everything."""
    staged = Staged()
    fmt = rdf_format(format) if format else None  # else each file's own extension
    for path in paths:
        stage(path, fmt, graph=graph or default_graph_for(path), into=staged, progress=progress)
    return staged


def commit(store: Store, staged: Staged) -> None:
    """Write a staging dataset into the store in one all-or-nothing bulk load."""
    if len(staged):
        store.load(staged.nquads(), ox.RdfFormat.N_QUADS)


def load_files(
    store: Store,
    paths: Sequence[Path],
    *,
    graph: str | None = None,
    format: str | None = None,
    validate: bool = True,
    validator: Validator | None = None,
    progress: Progress | None = None,
) -> LoadSummary:
    """Parse, validate (unless told not to) and commit files; raise ValidationFailed with nothing written.

    One file of triples into the embedded store is bulk-loaded by Oxigraph straight from the file: at once
    with `validate=False`; while its checks run if it is at most OVERLAP_BYTES and its graph is empty;
    else after its staged copy has passed validation and been dropped, which halves the peak memory of a
    large load. Anything else is committed from the staged copy.
    """
    direct = store if len(paths) == 1 and isinstance(store, EmbeddedStore) else None
    direct_format = _triples_format(paths[0], format) if direct is not None else None
    if direct is not None and direct_format is not None and not validate:
        return _bulk_load_triples(direct, paths[0], graph=graph, format=direct_format, progress=progress)
    if direct is not None and direct_format is not None and paths[0].is_file():
        target = graph or default_graph_for(paths[0])
        small = paths[0].stat().st_size <= OVERLAP_BYTES
        if small and not direct.has_graph(target) and not starts_with_bom(paths[0]):  # Oxigraph reads the path
            return _load_while_validating(
                direct, paths[0], target, direct_format, validator, format=format, progress=progress
            )
    parsed_as = signature(paths[0]) if direct_format is not None and paths[0].is_file() else None
    staged = stage_files(paths, graph=graph, format=format, progress=progress)
    report = None
    if validate:
        report = (validator or Validator()).validate_staged(staged, store)
        if not report.conforms:
            raise ValidationFailed(report, source=", ".join(staged.sources))
    if direct is not None and direct_format is not None:
        del staged
        release_memory()
        summary = _bulk_load_triples(direct, paths[0], graph=graph, format=direct_format, parsed_as=parsed_as)
        return LoadSummary(summary.quads, summary.graphs, True, report)
    commit(store, staged)
    return LoadSummary(len(staged), staged.graph_names(), validate, report)


def _load_while_validating(
    store: EmbeddedStore,
    path: Path,
    target: str,
    direct_format: ox.RdfFormat,
    validator: Validator | None,
    *,
    format: str | None,
    progress: Progress | None,
) -> LoadSummary:
    """Bulk-load a file of triples into the empty graph `target` on another thread while it is staged and
    its shapes are checked; drop the graph if the file is refused. The shapes are compiled (when no
    `validator` is given) after the load has started, so that it does not wait for them.

    Validation reads what the store knows about the file's nodes from every graph but `target`, so what
    the load writes cannot change the verdict. The graph is journaled (`graph.bulk.journaled`): a process
    killed meanwhile leaves nothing behind once the store is opened again.
    """
    parsed_as = signature(path)
    node = ox.NamedNode(target)
    # Leaving the pool waits for the load to end; leaving the journal then drops the graph on any error.
    with journaled(store.oxigraph, node), ThreadPoolExecutor(1, thread_name_prefix="bulk-load") as pool:
        bulk_load = store.oxigraph.bulk_load  # lenient: the staging below is the strict parse, and refuses
        loading = pool.submit(bulk_load, path=str(path), format=direct_format, to_graph=node, lenient=True)
        staged = stage_files([path], graph=target, format=format, progress=progress)
        report = (validator or Validator()).validate_staged(staged, store, ignoring=target)
        if not report.conforms:
            raise ValidationFailed(report, source=", ".join(staged.sources))
        loading.result()
        unchanged(path, parsed_as)
    return LoadSummary(len(staged), [target], True, report)  # the graph was empty: what was staged


def release_memory() -> None:
    """Give freed memory back to the system (glibc keeps it per thread arena otherwise), so that the bulk
    load that follows validation does not stack its peak on the staged copy's."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _triples_format(path: Path, format: str | None) -> ox.RdfFormat | None:
    """The format of a file of triples; None for a dataset format, whose graphs only a parse would tell."""
    refuse_url(str(path))
    fmt = rdf_format_for_path(path, format)
    return None if fmt.supports_datasets else fmt


def _bulk_load_triples(
    store: EmbeddedStore,
    path: Path,
    *,
    graph: str | None,
    format: ox.RdfFormat,
    progress: Progress | None = None,
    parsed_as: Signature | None = None,
) -> LoadSummary:
    """A file of triples bulk-loaded by Oxigraph into one graph of the embedded store (`graph/bulk.py`)."""
    if not path.is_file():
        raise ParseError("no such file; check the path.", source=str(path))
    target = graph or default_graph_for(path)
    before = store.count(target)
    bulk_load_file(store.oxigraph, path, format, target, parsed_as=parsed_as, progress=progress)
    return LoadSummary(store.count(target) - before, [target], False, None)


def bundled_files() -> list[tuple[Path, str | None]]:
    """The files `init` loads, each with the graph its triples go into (None: the file names its graphs)."""
    files: list[tuple[Path, str | None]] = [(p, str(ONTOLOGY_GRAPH)) for p in turtle_files(ontology_dir())]
    files += [(p, str(SHAPES_GRAPH)) for p in turtle_files(shapes_dir())]
    folder = data_dir()
    files += [(p, None) for p in sorted(folder.glob("*.trig"))]
    return files


def init_store(store: Store, *, validator: Validator | None = None) -> LoadSummary:
    """Fill an empty store with the ontology, the shapes, the countries and the curated facts, validated."""
    from graph.countries import countries_graph
    from graph.namespaces import COUNTRIES_GRAPH

    staged = Staged()
    for path, graph in bundled_files():
        stage(path, graph=graph, into=staged)
    countries = countries_graph()
    stage(
        countries.serialize(format="nt", encoding="utf-8"),
        ox.RdfFormat.N_TRIPLES,
        graph=str(COUNTRIES_GRAPH),
        into=staged,
        source="ISO 3166-1 (pycountry)",
    )
    report = (validator or Validator()).validate_staged(staged, store)
    if not report.conforms:
        raise ValidationFailed(report, source="the bundled data")
    commit(store, staged)
    return LoadSummary(len(staged), staged.graph_names(), True, report)


def is_initialized(store: Store) -> bool:
    """Whether the store already holds the ontology graph."""
    return str(ONTOLOGY_GRAPH) in store.named_graphs()
