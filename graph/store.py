"""The one `Store` interface every feature goes through, its result types, and how a store is opened.

Two implementations: `EmbeddedStore` (pyoxigraph in-process, `graph/embedded.py`) and `RemoteStore` (any
SPARQL 1.1 server over the Protocol and the Graph Store Protocol, `graph/remote.py`). On both, the default
graph of a query is the union of the named graphs, and every write of several graphs is all-or-nothing.
"""

from __future__ import annotations

import io
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, TypeAlias

import pyoxigraph as ox
from pyoxigraph import RdfFormat

from graph.errors import UnsupportedFormat
from graph.formats import is_results_format, rdf_format, results_format
from graph.namespaces import graph_node
from graph.sparql_names import query_dataset
from graph.sparql_text import query_form

if TYPE_CHECKING:  # rdflib is imported by what uses its terms, not by opening a store
    from rdflib import Graph
    from rdflib.term import Node


@dataclass(frozen=True)
class Solutions:
    """The answer to a SELECT query: variable names, then one tuple of rdflib terms (or None) per row."""

    variables: list[str]
    rows: list[tuple[Node | None, ...]]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[tuple[Node | None, ...]]:
        return iter(self.rows)

    def dicts(self) -> list[dict[str, Node]]:
        """The rows as dictionaries from variable name to term, leaving unbound variables out."""
        return [
            {name: value for name, value in zip(self.variables, row, strict=True) if value is not None}
            for row in self.rows
        ]


@dataclass(frozen=True)
class SolutionStream:
    """The answer to a SELECT query read as the engine gives it, for answers too large to hold: variable
    names, then one row of pyoxigraph terms (or None) at a time. Read it once."""

    variables: list[str]
    rows: Iterator[ox.QuerySolution]


@dataclass(frozen=True)
class Dataset:
    """An RDF dataset named by the request rather than the query: the protocol's default-graph-uri and
    named-graph-uri for a query, or using-graph-uri and using-named-graph-uri for an update."""

    default: tuple[str, ...] = ()
    named: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in (*self.default, *self.named):
            graph_node(name)

    def __bool__(self) -> bool:
        return bool(self.default or self.named)


def own_dataset(query: str, base_iri: str | None = None) -> Dataset | None:
    """The dataset a query's own FROM and FROM NAMED clauses name, or None. A store whose default graph is
    the union of its named graphs must be told: Oxigraph, embedded or served, reads the union for any query
    once that option is on, FROM or not."""
    found = query_dataset(query, base_iri)
    return None if found is None else Dataset(*found)


RdfInput = Path | bytes | IO[bytes]
"""What `Store.load` reads: a file path, bytes, or a binary stream."""
GraphData: TypeAlias = "Graph | bytes"
"""The triples of a graph to write: an rdflib Graph, or N-Triples (what staged data already is)."""


class Store(ABC):
    """A quad store queried with SPARQL 1.1 whose default graph is the union of its named graphs."""

    description: str
    """Where the data lives, for messages (a folder, 'memory', or an endpoint URL)."""

    # -- queries ---------------------------------------------------------------------------------------
    @abstractmethod
    def select(self, query: str) -> Solutions:
        """Run a SELECT query and return its rows as rdflib terms."""

    @abstractmethod
    def ask(self, query: str) -> bool:
        """Run an ASK query."""

    @abstractmethod
    def construct(self, query: str) -> Graph:
        """Run a CONSTRUCT or DESCRIBE query and return the triples as an rdflib Graph."""

    @abstractmethod
    def stream_select(self, query: str) -> SolutionStream:
        """Run a SELECT query and return its rows as they come, in pyoxigraph terms, none of them held."""

    @abstractmethod
    def stream_construct(self, query: str) -> Iterator[ox.Triple]:
        """Run a CONSTRUCT or DESCRIBE query and return its triples as they come, in pyoxigraph terms."""

    @abstractmethod
    def _serialize(
        self,
        query: str,
        form: str,
        media_type: str,
        output: IO[bytes],
        dataset: Dataset | None = None,
        base_iri: str | None = None,
    ) -> None:
        """Run a query of a known form and write its results in the given media type."""

    def serialize(
        self,
        query: str,
        format: str,
        output: IO[bytes],
        dataset: Dataset | None = None,
        base_iri: str | None = None,
    ) -> str:
        """Run any query and write its results to `output` in `format`; return the media type written.

        `format` is a short name (json, xml, csv, tsv for SELECT/ASK; turtle, ntriples, nquads, trig,
        jsonld, rdfxml for CONSTRUCT/DESCRIBE) or a media type. The engine serializes the results itself.
        A `dataset` replaces the query's own FROM and FROM NAMED, and the union default graph. Relative IRIs
        resolve against `base_iri` (an endpoint's URL) where the store decides it; a server uses its own.
        """
        form = query_form(query)
        graph_result = form in ("CONSTRUCT", "DESCRIBE")
        if graph_result == is_results_format(format) or (form == "ASK" and format in ("csv", "tsv")):
            wanted = "turtle, ntriples, nquads, trig, jsonld, rdfxml" if graph_result else "json, xml, csv, tsv"
            if form == "ASK":
                wanted = "json, xml"
            article = "An" if form == "ASK" else "A"
            raise UnsupportedFormat(f"{article} {form} query cannot be written as {format!r}; use one of {wanted}.")
        media_type = (rdf_format(format) if graph_result else results_format(format)).media_type
        self._serialize(query, form, media_type, output, dataset, base_iri)
        return media_type

    def serialize_bytes(
        self, query: str, format: str, dataset: Dataset | None = None, base_iri: str | None = None
    ) -> bytes:
        """`serialize` into bytes, for small results."""
        buffer = io.BytesIO()
        self.serialize(query, format, buffer, dataset, base_iri)
        return buffer.getvalue()

    # -- writes ----------------------------------------------------------------------------------------
    @abstractmethod
    def update(self, update: str, dataset: Dataset | None = None, base_iri: str | None = None) -> None:
        """Run a SPARQL 1.1 Update request in one transaction; `dataset` is the protocol's USING graphs;
        relative IRIs resolve against `base_iri` where the store decides it (a server uses its own)."""

    @abstractmethod
    def load(self, data: RdfInput, format: RdfFormat, graph: str | None = None) -> None:
        """Bulk-load RDF, all or nothing; triples (and a TriG file's default graph) go into `graph`."""

    def load_dataset(self, dataset: ox.Store) -> None:
        """Bulk-load every quad of a pyoxigraph dataset (data staged and checked), all or nothing."""
        self.load(dataset.dump(format=RdfFormat.N_QUADS) or b"", RdfFormat.N_QUADS)

    @abstractmethod
    def write_graphs(self, graphs: Mapping[str, GraphData], *, replace: bool = False) -> None:
        """Add (or with `replace`, set) the contents of several named graphs in one all-or-nothing write."""

    def replace_graph(self, graph: str, data: Graph) -> None:
        """Set the contents of one named graph."""
        self.write_graphs({graph: data}, replace=True)

    @abstractmethod
    def drop_graph(self, graph: str) -> None:
        """Remove a named graph; raise NotFound if it does not exist."""

    # -- reading graphs --------------------------------------------------------------------------------
    @abstractmethod
    def dump_graph(self, graph: str, format: RdfFormat, output: IO[bytes]) -> None:
        """Write one named graph to `output`; raise NotFound if it does not exist."""

    def read_graph(self, graph: str) -> Graph:
        """One named graph as an rdflib Graph; raise NotFound if it does not exist."""
        from rdflib import Graph

        buffer = io.BytesIO()
        self.dump_graph(graph, RdfFormat.N_TRIPLES, buffer)
        return Graph().parse(data=buffer.getvalue(), format="nt")

    @abstractmethod
    def named_graphs(self) -> list[str]:
        """The IRIs of the named graphs that hold at least one triple, sorted."""

    @abstractmethod
    def dump_dataset(self, format: RdfFormat, output: IO[bytes]) -> None:
        """Write every named graph, streamed (N-Quads or TriG)."""

    def has_graph(self, graph: str) -> bool:
        """Whether the store holds a named graph with at least one triple."""
        return graph in self.named_graphs()

    def count(self, graph: str | None = None) -> int:
        """The number of triples in one named graph, or of quads in all named graphs."""
        return int(str(self.select(count_query(graph)).rows[0][0]))

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release what the store holds open."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def count_query(graph: str | None) -> str:
    """The query of `Store.count`: the triples of one named graph, or the quads of all, as ?n."""
    target = str(graph_node(graph)) if graph else "?g"
    return f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {target} {{ ?s ?p ?o }} }}"


def graphs_update(graphs: Mapping[str, GraphData], *, replace: bool) -> str:
    """One SPARQL Update that (re)writes several named graphs: the all-or-nothing write of both stores."""
    parts = [f"DROP SILENT GRAPH {graph_node(name)}" for name in graphs] if replace else []
    blocks = []
    for name, data in graphs.items():
        triples = (data if isinstance(data, bytes) else data.serialize(format="nt", encoding="utf-8")).decode("utf-8")
        blocks.append(f"GRAPH {graph_node(name)} {{\n{triples}}}")
    parts.append("INSERT DATA {\n" + "\n".join(blocks) + "\n}")
    return " ;\n".join(parts)


def open_store(
    location: str | Path | None = None,
    *,
    endpoint: str | None = None,
    update_endpoint: str | None = None,
    store_endpoint: str | None = None,
    token: str | None = None,
    timeout: float | None = None,
) -> Store:
    """Open the store a configuration names: a remote endpoint if given, else a folder (None: in memory)."""
    if endpoint:
        from graph.remote import RemoteStore

        return RemoteStore(endpoint, update_url=update_endpoint, store_url=store_endpoint, token=token, timeout=timeout)
    from graph.embedded import EmbeddedStore

    return EmbeddedStore(Path(location) if location is not None else None)
