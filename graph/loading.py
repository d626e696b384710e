"""Putting data into a store: `init` (ontology, shapes, countries, curated facts) and validated loads.

Every load parses all its files first, validates them together with what the store knows about the nodes
they mention, and writes them in one all-or-nothing operation: a bad file leaves the store as it was. One
file of triples into an empty graph of the embedded store is written while its checks run, and dropped
again if it is refused (`_load_while_validating`).
"""

from __future__ import annotations

import ctypes
import gc
import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

import pyoxigraph as ox

from graph.bulk import Signature, bulk_load_file, check_room, journaled, signature, unchanged
from graph.embedded import EmbeddedStore
from graph.errors import ValidationFailed
from graph.file_content import Progress, is_gzipped, sliceable, starts_with_bom
from graph.formats import rdf_format, rdf_format_for_path
from graph.model_graphs import model_files
from graph.namespaces import ONTOLOGY_GRAPH, graph_iri, refuse_unwritable, slug
from graph.parsing import Staged, not_a_file, read_into, refuse_url, stage
from graph.resources import data_dir
from graph.store import Store

if TYPE_CHECKING:
    from graph.validation import ValidationReport, Validator

log = logging.getLogger(__name__)
WHOLE_BYTES = 32 * 2**20
"""A file of triples up to this size (about 200,000 triples) written while its checks run is bulk-loaded
whole; a larger one in slices, which bounds the loader's memory beside the staged copy."""
SLICE_BYTES_BESIDE_CHECKS = 32 * 2**20
"""The slices of a file written while its checks run: larger than a plain bulk load's (`graph.bulk`), since
fewer batches cost Oxigraph less CPU, which the checks share. A million triples (156 MB) beside their checks,
against `oxigraph load`: 1.41x in slices of 16 MB, 1.14x of 32 MB, 1.02x of 48 MB at a 0.96 GB peak."""


@dataclass(frozen=True)
class LoadSummary:
    """What a load wrote: quads, the graphs they went into, and the warnings validation raised."""

    quads: int
    graphs: list[str]
    validated: bool
    report: ValidationReport | None


def default_graph_for(path: Path) -> str:
    """The named graph a file of triples goes into when no --graph is given: `graph/source/{file stem}`."""
    return graph_iri("source", slug(path.name.split(".")[0]))


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
        store.load_dataset(staged.dataset)


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
    with `validate=False`; into an empty graph, while its checks run (see `_load_while_validating` for
    which files); else after its staged copy has passed validation and been dropped, which halves the peak
    memory of a large load. Anything else is committed from the staged copy.
    """
    refuse_unwritable([graph] if graph else [])
    if isinstance(store, EmbeddedStore) and store.path is not None:
        check_room(store.path, paths)
    direct = store if len(paths) == 1 and isinstance(store, EmbeddedStore) else None
    direct_format = _triples_format(paths[0], format) if direct is not None else None
    if direct is not None and direct_format is not None and not validate:
        return _bulk_load_triples(direct, paths[0], graph=graph, format=direct_format, progress=progress)
    if direct is not None and direct_format is not None and paths[0].is_file():
        target = graph or default_graph_for(paths[0])
        if not direct.has_graph(target) and _writable_while_validating(paths[0], direct_format):
            return _load_while_validating(
                direct, paths[0], target, direct_format, validator, format=format, progress=progress
            )
    parsed_as = signature(paths[0]) if direct_format is not None and paths[0].is_file() else None
    staged = stage_files(paths, graph=graph, format=format, progress=progress)
    if direct is None or direct_format is None:
        return load_staged(store, staged, validate=validate, validator=validator)
    report = _checked(staged, store, validator)
    del staged
    release_memory()
    summary = _bulk_load_triples(direct, paths[0], graph=graph, format=direct_format, parsed_as=parsed_as)
    return LoadSummary(summary.quads, summary.graphs, True, report)


def load_staged(
    store: Store, staged: Staged, *, validate: bool = True, validator: Validator | None = None
) -> LoadSummary:
    """Validate (unless told not to) and commit parsed data (a stream's, say); raise ValidationFailed with
    nothing written."""
    refuse_unwritable(staged.graph_names())
    report = _checked(staged, store, validator) if validate else None
    commit(store, staged)
    return LoadSummary(len(staged), staged.graph_names(), validate, report)


def _validator(given: Validator | None) -> Validator:
    """`given`, or a validator of the shipped shapes. `graph.validation`, and rdflib with it, is imported
    here, when data is checked: a file loaded while it is checked starts loading a tenth of a second sooner."""
    if given is not None:
        return given
    from graph.validation import Validator

    return Validator()


def _checked(staged: Staged, store: Store, validator: Validator | None) -> ValidationReport:
    """The report on staged data that conforms; ValidationFailed if it does not."""
    report = _validator(validator).validate_staged(staged, store)
    if not report.conforms:
        raise ValidationFailed(report, source=", ".join(staged.sources))
    return report


def _loaded_whole(path: Path) -> bool:
    """Whether a file of triples written while its checks run is bulk-loaded whole by Oxigraph, which reads
    the path itself: up to WHOLE_BYTES, and not gzipped (whose size on disk says little of its content's)."""
    return not is_gzipped(path) and path.stat().st_size <= WHOLE_BYTES


def _writable_while_validating(path: Path, format: ox.RdfFormat) -> bool:
    """Whether a file of triples can be bulk-loaded beside its staged copy: whole (`_loaded_whole`; Oxigraph
    reads the path, so no byte order mark), else in slices, which only a plain N-Triples file allows. Any
    other file is validated before it is written."""
    if _loaded_whole(path):
        return not starts_with_bom(path)
    return sliceable(path, format)


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
    killed meanwhile leaves nothing behind once the store is opened again. A refused file stops a load in
    slices at the next slice; undoing what was written costs time (about 45 s for a million triples),
    which only refused files pay, where validating first would make every large load wait for its checks.
    """
    parsed_as = signature(path)
    node = ox.NamedNode(target)
    refused = threading.Event()
    # Leaving the pool waits for the load to end; leaving the journal then drops the graph on any error.
    with journaled(store.oxigraph, node), ThreadPoolExecutor(1, thread_name_prefix="bulk-load") as pool:
        loading = pool.submit(_bulk_load_unless, refused, store.oxigraph, path, direct_format, node)
        try:
            quads, report = _staged_and_checked(path, target, store, validator, format=format, progress=progress)
        except BaseException:
            refused.set()
            if not _loaded_whole(path) and path.stat().st_size > WHOLE_BYTES // 16:  # gzip: some 10-20x as large
                log.warning("%s is not loaded; dropping what was written of it (some 45 s a million triples).", path)
            raise
        loading.result()
        unchanged(path, parsed_as)
    return LoadSummary(quads, [target], True, report)  # the graph was empty: what was staged


def _staged_and_checked(
    path: Path,
    target: str,
    store: EmbeddedStore,
    validator: Validator | None,
    *,
    format: str | None,
    progress: Progress | None,
) -> tuple[int, ValidationReport]:
    """Stage a file into `target` and check it against what the store knows but `target`: the number of
    quads and the report, or ValidationFailed. The staged copy of a file not `_loaded_whole` is freed before
    this returns or raises, for the rest of the load or the dropping of a refused file's graph (a traceback
    would keep it alive). The file is parsed on another thread while the shapes are compiled, since Oxigraph
    parses without the GIL."""
    with ThreadPoolExecutor(1, thread_name_prefix="staging") as pool:
        staging = pool.submit(stage_files, [path], graph=target, format=format, progress=progress)
        checks = _validator(validator)
        staged = staging.result()
    report = checks.validate_staged(staged, store, ignoring=(target,))
    quads, source = len(staged), ", ".join(staged.sources)
    del staged
    if not _loaded_whole(path):
        release_memory()
    if not report.conforms:
        raise ValidationFailed(report, source=source)
    return quads, report


class _Refused(Exception):
    """Stops a load in slices once its file has been refused."""


def _bulk_load_unless(
    refused: threading.Event, store: ox.Store, path: Path, format: ox.RdfFormat, target: ox.NamedNode
) -> None:
    """Bulk-load a file of triples into `target`, whole or slice by slice until `refused` is set. Lenient:
    the staging beside it is the strict parse, and refuses the file."""
    if _loaded_whole(path):
        store.bulk_load(path=str(path), format=format, to_graph=target, lenient=True)
        return

    def load(text: bytes | IO[bytes]) -> None:
        if refused.is_set():
            raise _Refused
        store.bulk_load(input=text, format=format, to_graph=target, lenient=True)

    try:
        read_into(path, load, source=str(path), sliced=True, progress=None, slice_bytes=SLICE_BYTES_BESIDE_CHECKS)
    except _Refused:
        pass


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
        raise not_a_file(path, str(path))
    target = graph or default_graph_for(path)
    before = store.count(target) if store.has_graph(target) else 0
    bulk_load_file(store.oxigraph, path, format, target, parsed_as=parsed_as, progress=progress)
    return LoadSummary(store.count(target) - before, [target], False, None)


def bundled_files() -> list[tuple[Path, str | None]]:
    """The files `init` loads, each with the graph its triples go into (None: the file names its graphs)."""
    files: list[tuple[Path, str | None]] = [*model_files()]
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
        graph=COUNTRIES_GRAPH,
        into=staged,
        source="ISO 3166-1 (pycountry)",
    )
    report = _validator(validator).validate_staged(staged, store)
    if not report.conforms:
        raise ValidationFailed(report, source="the bundled data")
    commit(store, staged)
    return LoadSummary(len(staged), staged.graph_names(), True, report)


def is_initialized(store: Store) -> bool:
    """Whether the store already holds the ontology graph."""
    return ONTOLOGY_GRAPH in store.named_graphs()
