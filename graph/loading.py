"""Putting data into a store: `init` (ontology, shapes, countries, curated facts) and validated loads.

Every load parses all its files first, validates them together with what the store knows about the nodes
they mention, and only then writes them in one all-or-nothing operation: a bad file leaves the store as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from graph.context import context_for
from graph.errors import ValidationFailed
from graph.namespaces import ONTOLOGY_GRAPH, SHAPES_GRAPH, graph_iri, slug
from graph.parsing import Progress, Staged, stage
from graph.resources import data_dir, ontology_dir, shapes_dir, turtle_files
from graph.store import Store
from graph.validation import ValidationReport, Validator


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
    from graph.formats import rdf_format

    staged = Staged()
    fmt = rdf_format(format) if format else None
    for path in paths:
        stage(path, fmt, graph=graph or default_graph_for(path), into=staged, progress=progress)
    return staged


def validate_staged(store: Store, staged: Staged, validator: Validator) -> ValidationReport:
    """Validate staged data together with what `store` already knows about the nodes it mentions."""
    data = staged.to_rdflib()
    return validator.validate(data, context_for(store, data))


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
    """Parse, validate (unless told not to) and commit files; raise ValidationFailed with nothing written."""
    staged = stage_files(paths, graph=graph, format=format, progress=progress)
    report = None
    if validate:
        report = validate_staged(store, staged, validator or Validator())
        if not report.conforms:
            raise ValidationFailed(report, source=", ".join(staged.sources))
    commit(store, staged)
    return LoadSummary(len(staged), staged.graph_names(), validate, report)


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
    report = validate_staged(store, staged, validator or Validator())
    if not report.conforms:
        raise ValidationFailed(report, source="the bundled data")
    commit(store, staged)
    return LoadSummary(len(staged), staged.graph_names(), True, report)


def is_initialized(store: Store) -> bool:
    """Whether the store already holds the ontology graph."""
    return str(ONTOLOGY_GRAPH) in store.named_graphs()
