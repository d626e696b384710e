"""The embedded store: pyoxigraph in this process, on disk (RocksDB, transactional) or in memory.

Queries see the union of the named graphs as their default graph; results are serialized by Oxigraph.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, TypeVar

import pyoxigraph as ox

from graph.bulk import undo_interrupted_loads
from graph.errors import (
    FREE_SPACE,
    NotFound,
    StoreError,
    StoreFull,
    StoreUnavailable,
    disk_error,
    graph_existence_error,
)
from graph.file_content import without_bom
from graph.formats import rdf_format, results_format
from graph.namespaces import graph_node
from graph.parsing import checked_input, load_file
from graph.sparql_names import prologue_of, query_dataset
from graph.sparql_syntax import refuse_deep_nesting, syntax_error
from graph.sparql_text import has_where, lone_where, reads_default_graph, with_dataset
from graph.store import (
    Dataset,
    GraphData,
    RdfInput,
    Solutions,
    SolutionStream,
    Store,
    count_query,
    graphs_update,
)

if TYPE_CHECKING:
    from rdflib import Graph

UNION_CHECKED_FROM = 64
"""From this many named graphs on, an update is parsed to tell whether it needs the union (`_union_needed`),
and one that does is given its solutions rather than the union (`_bound`)."""
BOUND_AT_MOST = 100_000
"""The most solutions `_bound` writes into an update."""
_T = TypeVar("_T")


class EmbeddedStore(Store):
    """A pyoxigraph store opened in-process: `EmbeddedStore(path)` on disk, `EmbeddedStore()` in memory.

    >>> store = EmbeddedStore()
    >>> store.load(b'<http://x/a> <http://x/p> "1" .', ox.RdfFormat.N_TRIPLES, graph="http://x/g")
    >>> store.count(), store.named_graphs()
    (1, ['http://x/g'])
    """

    def __init__(self, path: Path | None = None):
        self.path = path
        self.description = str(path) if path else "memory"
        try:
            if path is None:
                self._store = ox.Store()
            else:
                path.mkdir(parents=True, exist_ok=True)
                self._store = ox.Store(str(path))
        except OSError as error:
            if "temporarily unavailable" in str(error) or "lock" in str(error).lower():
                raise StoreUnavailable(
                    f"The store at {path} is open in another process (a running `bilateral serve`?). "
                    "Stop that process, or query through it with --endpoint http://HOST:PORT/sparql (writes go "
                    "to its HTTP routes, with a token)."
                ) from None
            hint = f"; {FREE_SPACE}" if isinstance(disk_error(error), StoreFull) else ""
            raise StoreUnavailable(f"The store at {path} cannot be opened: {error}{hint}.") from None
        self.undone_loads = undo_interrupted_loads(self._store) if path is not None else []
        """Graphs of loads that a killed process left half-written, dropped when the store was opened."""

    @staticmethod
    def exists_at(path: Path) -> bool:
        """Whether `path` holds a store (RocksDB's `CURRENT` file), without opening or creating it."""
        return (path / "CURRENT").is_file()

    @classmethod
    def around(cls, store: ox.Store, description: str = "staged data") -> EmbeddedStore:
        """The Store interface over an existing pyoxigraph store (staged data, say), without copying it."""
        wrapper = cls.__new__(cls)
        wrapper.path = None
        wrapper.description = description
        wrapper._store = store
        wrapper.undone_loads = []
        return wrapper

    @property
    def oxigraph(self) -> ox.Store:
        """The underlying pyoxigraph store, for benchmarks and bulk paths that need it."""
        return self._store

    def _run(
        self, query: str, dataset: Dataset | None = None, base_iri: str | None = None
    ) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        refuse_deep_nesting(query)
        try:
            if dataset:
                return self._store.query(
                    query,
                    base_iri=base_iri,
                    default_graph=[ox.NamedNode(g) for g in dataset.default],
                    named_graphs=[ox.NamedNode(g) for g in dataset.named] or None,
                )
            # the union is the default graph unless the query names its own (FROM, FROM NAMED)
            union = query_dataset(query) is None
            return self._store.query(query, base_iri=base_iri, use_default_graph_as_union=union)
        except SyntaxError as error:
            raise syntax_error(str(error), query, without_base=base_iri is None) from None
        except (OSError, RuntimeError) as error:
            raise evaluation_error(error) from None

    def select(self, query: str) -> Solutions:
        result = self._run(query)
        if not isinstance(result, ox.QuerySolutions):
            raise TypeError("select() takes a SELECT query; use ask() or construct() for other forms.")
        from graph.terms import converter  # with rdflib: not imported by opening a store

        names = [v.value for v in result.variables]
        convert = converter()
        try:
            rows = [tuple([None if t is None else convert(t) for t in solution]) for solution in result]
        except (OSError, RuntimeError) as error:
            raise evaluation_error(error) from None
        return Solutions(names, rows)

    def ask(self, query: str) -> bool:
        result = self._run(query)
        if not isinstance(result, ox.QueryBoolean):
            raise TypeError("ask() takes an ASK query.")
        return bool(result)

    def construct(self, query: str) -> Graph:
        result = self._run(query)
        if not isinstance(result, ox.QueryTriples):
            raise TypeError("construct() takes a CONSTRUCT or DESCRIBE query.")
        from rdflib import Graph

        from graph.result_graph import ResultTriples
        from graph.terms import converter

        convert = converter()
        try:  # the triples are evaluated as the table takes them
            table = ResultTriples((convert(t.subject), convert(t.predicate), convert(t.object)) for t in result)
        except (OSError, RuntimeError) as error:
            raise evaluation_error(error) from None
        return Graph(store=table)

    def stream_select(self, query: str) -> SolutionStream:
        result = self._run(query)
        if not isinstance(result, ox.QuerySolutions):
            raise TypeError("stream_select() takes a SELECT query.")
        return SolutionStream([v.value for v in result.variables], _evaluated(result))

    def stream_construct(self, query: str) -> Iterator[ox.Triple]:
        result = self._run(query)
        if not isinstance(result, ox.QueryTriples):
            raise TypeError("stream_construct() takes a CONSTRUCT or DESCRIBE query.")
        return _evaluated(result)

    def _serialize(
        self,
        query: str,
        form: str,
        media_type: str,
        output: IO[bytes],
        dataset: Dataset | None = None,
        base_iri: str | None = None,
    ) -> None:
        result = self._run(query, dataset, base_iri)
        # Oxigraph writes to a Python file through the GIL, taken again for each of its buffers, which waits
        # behind every other busy thread of a server; into memory it takes the GIL once. A file or a pipe
        # is written to, however large the results.
        into = None if isinstance(output, io.BytesIO) else output
        try:
            if isinstance(result, ox.QueryTriples):
                written = result.serialize(into, rdf_format(media_type))
            else:
                written = result.serialize(into, results_format(media_type))
        except BrokenPipeError:
            raise  # the reader has gone (`bilateral query … | head`): the command line ends quietly
        except (OSError, RuntimeError) as error:
            raise evaluation_error(error) from None
        if written is not None:
            output.write(written)

    def update(self, update: str, dataset: Dataset | None = None, base_iri: str | None = None) -> None:
        refuse_deep_nesting(update)
        written = update
        if dataset:  # the protocol's using-graph-uri / using-named-graph-uri
            update = with_dataset(update, list(dataset.default), list(dataset.named))
        elif has_where(update) and (graphs := self.named_graphs()) and self._union_needed(update, len(graphs)):
            # pyoxigraph's updates read only the real default graph: a WHERE is given every named graph, as
            # USING (the union) and USING NAMED (GRAPH patterns), or over many graphs its solutions. Listing
            # the graphs costs some 5 ms a thousand, so updates without a WHERE (INSERT DATA, the
            # submissions' writes) skip it.
            bound = self._bound(update, base_iri) if len(graphs) >= UNION_CHECKED_FROM else None
            update = bound or with_dataset(update, graphs, graphs)
        try:
            self._store.update(update, base_iri=base_iri)
        except SyntaxError as error:
            raise syntax_error(str(error), written, without_base=base_iri is None) from None
        except RuntimeError as error:  # DROP or CLEAR of a graph the store lacks, CREATE of one it has
            raise graph_existence_error(str(error)) or evaluation_error(error) from None
        except OSError as error:  # its files, or a SERVICE an allow-list lets it reach
            raise disk_error(error) or evaluation_error(error) from None

    @staticmethod
    def _union_needed(update: str, graphs: int) -> bool:
        """Whether an update with a WHERE must be given the union as USING: when it reads the default graph.
        Oxigraph matches a pattern once per USING graph (0.25 s for a one-triple update over 5,000 graphs, a
        store of 5,000 submissions), so from UNION_CHECKED_FROM graphs on an update is parsed first (some
        13 ms), and one whose patterns all sit in GRAPH groups (rdflib's SPARQLUpdateStore writes so) runs on
        the store as it is: its GRAPH patterns see every named graph without being told."""
        return graphs < UNION_CHECKED_FROM or reads_default_graph(update)

    def _bound(self, update: str, base_iri: str | None) -> str | None:
        """The update with its WHERE group replaced by its solutions over the union, as a VALUES block: the
        WHERE is run as a query (the union is the default graph), and the update, left with nothing to match,
        runs without USING clauses, whose cost grows with the graphs (0.25 s over 5,000 for one triple).
        The two steps are one write as long as no other write runs between them: the server judges and
        commits its writes one at a time, and the command line holds the store alone. None, for the USING
        clauses, when the update is not one DELETE/INSERT … WHERE, or has a solution holding a blank node
        (VALUES cannot name one) or more than BOUND_AT_MOST solutions."""
        span = lone_where(update)
        if span is None:
            return None
        start, end = span
        prologue = prologue_of(update[:start])
        try:
            solutions = self._store.query(
                f"{prologue}\nSELECT * WHERE {update[start:end]}", base_iri=base_iri, use_default_graph_as_union=True
            )
            assert isinstance(solutions, ox.QuerySolutions)
            rows: list[str] = []
            for solution in solutions:
                if len(rows) == BOUND_AT_MOST or any(isinstance(t, ox.BlankNode | ox.Triple) for t in solution):
                    return None
                rows.append(f"({' '.join('UNDEF' if term is None else str(term) for term in solution)})")
        except SyntaxError:
            return None  # the update itself will say where
        except (OSError, RuntimeError) as error:
            raise evaluation_error(error) from None
        names = " ".join(str(variable) for variable in solutions.variables)
        return f"{update[:start]}{{ VALUES ({names}) {{ {' '.join(rows)} }} }}{update[end:]}"

    def load(self, data: RdfInput, format: ox.RdfFormat, graph: str | None = None) -> None:
        target = graph_node(graph) if graph else None
        if isinstance(data, Path):
            load_file(self._store.bulk_load, data, format=format, to_graph=target)
        else:
            self._store.bulk_load(
                input=checked_input(without_bom(data), format, "the data"), format=format, to_graph=target
            )

    def write_graphs(self, graphs: Mapping[str, GraphData], *, replace: bool = False) -> None:
        if graphs:
            self._store.update(graphs_update(graphs, replace=replace))

    def drop_graph(self, graph: str) -> None:
        node = graph_node(graph)
        if not self._store.contains_named_graph(node):
            raise NotFound(f"There is no graph <{graph}> in the store; list them with `bilateral graphs`.")
        self._store.remove_graph(node)

    def dump_graph(self, graph: str, format: ox.RdfFormat, output: IO[bytes]) -> None:
        node = graph_node(graph)
        if not self._store.contains_named_graph(node):
            raise NotFound(f"There is no graph <{graph}> in the store.")
        self._store.dump(output, format, from_graph=node)

    def dump_dataset(self, format: ox.RdfFormat, output: IO[bytes]) -> None:
        self._store.dump(output, format)

    def count(self, graph: str | None = None) -> int:
        """As `Store.count`, read from Oxigraph's answer as it is: no rdflib terms (nor rdflib) for a number."""
        answer = self._run(count_query(graph))
        assert isinstance(answer, ox.QuerySolutions)
        return int(next(iter(answer))[0].value)

    def has_graph(self, graph: str) -> bool:
        return bool(self._store.contains_named_graph(graph_node(graph)))

    def named_graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def close(self) -> None:
        if self.path is not None:
            self._store.flush()
        del self._store


def _evaluated(answer: Iterable[_T]) -> Iterator[_T]:
    """An answer read as the engine evaluates it, its failures told as `evaluation_error`s."""
    try:
        yield from answer
    except (OSError, RuntimeError) as error:
        raise evaluation_error(error) from None


def evaluation_error(error: Exception) -> StoreError:
    """What Oxigraph raises while it evaluates a query or writes its results (a SERVICE that cannot be
    reached, a failed read, an output that cannot be written), as a StoreError that says so."""
    return StoreError(f"The query failed while it ran or while its results were written: {error}")
