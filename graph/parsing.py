"""Reading RDF from outside into a staging dataset, with errors that name the file, line and column.

Parsing is Oxigraph's: it never fetches a remote JSON-LD `@context` or an external entity. A staged
dataset is an in-memory pyoxigraph store, so nothing reaches the real store before it has been checked.
A file's bytes come through `graph.file_content` (gzip, a byte order mark, progress, slices of lines),
unless Oxigraph may read the file itself (`oxigraph_reads`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

import pyoxigraph as ox

from graph.errors import ParseError, RefusedInput
from graph.file_content import (
    Progress,
    content,
    gzip_errors_named,
    is_gzipped,
    line_slices,
    sliceable,
    starts_with_bom,
    without_bom,
)
from graph.formats import rdf_format_for_path
from graph.namespaces import graph_node

if TYPE_CHECKING:
    from rdflib import Graph

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(//|/)")
_CONTEXT = re.compile(r"remote context|LoadDocumentCallback", re.IGNORECASE)

SCRATCH_GRAPH = "urn:bilateral:staging:scratch"
"""A graph `Staged.take_out` fills and drops again."""


@dataclass
class Staged:
    """Parsed input held in memory until it is validated and committed."""

    dataset: ox.Store = field(default_factory=ox.Store)
    sources: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.dataset)

    def graph_names(self) -> list[str]:
        return sorted(g.value for g in self.dataset.named_graphs() if isinstance(g, ox.NamedNode))

    def take_out(self, graph: str, triples: bytes) -> None:
        """Remove from one staged graph those of `triples` (N-Triples) it holds, in one update over a scratch
        graph that is dropped again."""
        scratch = ox.NamedNode(SCRATCH_GRAPH)
        if self.dataset.contains_named_graph(scratch):
            raise RefusedInput(f"The graph name <{SCRATCH_GRAPH}> is reserved for staging; use another one.")
        if not triples:
            return
        self.dataset.load(triples, ox.RdfFormat.N_TRIPLES, to_graph=scratch)
        try:
            self.dataset.update(
                f"DELETE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <{SCRATCH_GRAPH}> {{ ?s ?p ?o }} }}"
            )
        finally:
            self.dataset.remove_graph(scratch)

    def ntriples(self) -> bytes:
        """All staged triples, whatever their graph, in N-Triples. Blank nodes keep the dataset's own labels:
        one node held by two graphs stays one, and nodes of separate documents stay apart."""
        graphs = [ox.DefaultGraph(), *self.dataset.named_graphs()]
        return b"".join(self.dataset.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=name) or b"" for name in graphs)

    def to_rdflib(self) -> Graph:
        """All staged triples, whatever their graph, as one rdflib Graph (the data graph to validate, a
        submission's facts), its terms converted from Oxigraph's rather than parsed again (a ninth of the
        time: 100,000 triples in 0.55 s) and kept in a `ResultTriples` table."""
        from rdflib import Graph

        from graph.result_graph import ResultTriples
        from graph.terms import converter

        convert = converter()
        try:
            return Graph(
                store=ResultTriples((convert(q.subject), convert(q.predicate), convert(q.object)) for q in self.dataset)
            )
        except TypeError:  # a triple term
            raise RefusedInput(
                f"{', '.join(self.sources)} holds an RDF 1.2 triple term (<<( … )>>), which submissions and "
                "pySHACL cannot take (rdflib reads RDF 1.1); state the triple itself, or describe it with a node "
                "of its own."
            ) from None


def refuse_url(name: str) -> None:
    """Refuse a file argument that is a URL: data is read from local files only."""
    if _URL.match(name):
        raise RefusedInput(
            f"{name} is a URL; `bilateral` reads local files only, so it never fetches from the network. "
            "Download the file first and pass its path."
        )


def parse_error(error: SyntaxError, source: str, first_line: int = 1) -> ParseError | RefusedInput:
    """The error to show for a parse failure; `first_line` is where the parsed text starts in the file."""
    message = str(error)
    if _CONTEXT.search(message):
        return RefusedInput(
            f"{source}: JSON-LD with a remote @context is refused (it would be fetched from the network); "
            "inline the context object in the document instead."
        )
    message = re.sub(r"^Parser error (at|between) [^:]*: ", "", message)
    message = re.sub(r" \((?:[^()]*, )?line \d+\)$", "", message)  # the file, and the line in a slice: given apart
    if message.startswith("No scheme found in an absolute IRI"):
        message += (
            " (a relative IRI: declare its base in the data, @base in Turtle, TriG or a JSON-LD @context, "
            "xml:base in RDF/XML; N-Triples and N-Quads take absolute IRIs only)"
        )
    line = None if error.lineno is None else error.lineno + first_line - 1
    return ParseError(message, source=source, line=line, column=error.offset)


def load_file(load: Callable[..., None], path: Path, **options: object) -> None:
    """Call an Oxigraph loader (`Store.load`, `Store.bulk_load`) on a file: on its path when Oxigraph may read
    it itself (`oxigraph_reads`), else on its `content`: decompressed, past a byte order mark, JSON-LD read
    whole (`shallow_json`)."""
    if oxigraph_reads(path, cast(ox.RdfFormat, options.get("format")), None):
        load(path=str(path), **options)
        return
    with gzip_errors_named(str(path)), content(path) as stream:
        load(input=checked_input(stream, options.get("format"), str(path)), **options)


def oxigraph_reads(path: Path, format: ox.RdfFormat, progress: Progress | None) -> bool:
    """Whether Oxigraph may read a file itself, from its path, no bytes going through Python: one not
    gzipped, without a byte order mark (which Oxigraph reads as content), not JSON-LD (whose nesting is
    checked on its bytes first: `checked_input`), and with no progress to report."""
    return progress is None and format != ox.RdfFormat.JSON_LD and not is_gzipped(path) and not starts_with_bom(path)


def load_path(load: Callable[..., None], path: Path, source: str, **options: object) -> None:
    """`load(path=…)`, an Oxigraph loader reading the file itself (`oxigraph_reads`); a parse failure as the
    ParseError that names `source` and the line."""
    try:
        load(path=path, **options)
    except SyntaxError as error:
        raise parse_error(error, source) from None


def checked_input(data: bytes | IO[bytes], format: object, source: str) -> bytes | IO[bytes]:
    """The input of an Oxigraph parser: JSON-LD read whole and `shallow_json`, anything else as it is."""
    return shallow_json(data, source) if format == ox.RdfFormat.JSON_LD else data


JSON_NESTING = 500
"""The deepest JSON-LD read: Oxigraph's JSON-LD parser takes time growing with the square of the depth of
nested objects (0.16 s at 500, 2.6 s at 3,000) and overflows an 8 MB stack at some 5,000, which ends the
process (SIGSEGV)."""
_JSON_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def shallow_json(data: bytes | IO[bytes], source: str) -> bytes:
    """JSON-LD read whole, once it is known to nest objects and arrays at most JSON_NESTING deep; a
    ParseError naming the place otherwise.

    >>> shallow_json(b'{"a": [1, {"b": "[[{{"}]}', "x.jsonld")
    b'{"a": [1, {"b": "[[{{"}]}'
    >>> shallow_json(b'{"a":\\n' + b'[' * 501 + b']' * 501 + b'}', "x.jsonld")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    graph.errors.ParseError: x.jsonld, line 2, column 500: the JSON-LD nests objects and arrays more than 500 deep...
    """
    text = data if isinstance(data, bytes) else data.read()
    if text.count(b"{") + text.count(b"[") <= JSON_NESTING:
        return text
    depth = 0
    for token in _JSON_TOKEN.finditer(text):
        bracket = token.group()
        if len(bracket) != 1:
            continue  # a string
        depth += 1 if bracket in b"{[" else -1
        if depth > JSON_NESTING:
            at = token.start()
            raise ParseError(
                f"the JSON-LD nests objects and arrays more than {JSON_NESTING} deep, which the parser reads too "
                "slowly or not at all; give nested nodes an @id and list them at the top level (in @graph).",
                source=source,
                line=text.count(b"\n", 0, at) + 1,
                column=at - (text.rfind(b"\n", 0, at) + 1) + 1,
            )
    return text


def read_into(
    path: Path,
    load: Callable[[bytes | IO[bytes]], None],
    *,
    source: str,
    sliced: bool,
    progress: Progress | None,
    slice_bytes: int | None = None,
) -> None:
    """Feed a file's `content` to `load` (a parser), whole or in slices of lines (of `line_slices`), turning a
    parse failure into an error that names the line in the file."""
    with gzip_errors_named(source), content(path, progress) as stream:
        if not sliced:
            try:
                load(stream)
            except SyntaxError as error:
                raise parse_error(error, source) from None
            return
        for first_line, chunk in line_slices(stream, slice_bytes):
            try:
                load(chunk)
            except SyntaxError as error:
                raise parse_error(error, source, first_line) from None


def not_a_file(path: Path, source: str) -> ParseError:
    """The error for a path that names no regular file: none at all, or a device or a pipe."""
    if path.exists():
        return ParseError(
            "is not a regular file (a device or a pipe); give a file, or - with --format to read standard input "
            "(a gzipped file is read as it is: data.nt.gz).",
            source=source,
        )
    return ParseError("no such file; check the path.", source=source)


def stage(
    data: Path | bytes | IO[bytes],
    format: ox.RdfFormat | None = None,
    *,
    graph: str | None,
    into: Staged | None = None,
    source: str | None = None,
    progress: Progress | None = None,
    base_iri: str | None = None,
) -> Staged:
    """Parse a file, bytes or a binary stream (read as it comes: standard input) into a staging dataset;
    triples (and a TriG default graph) go to `graph`."""
    staged = into if into is not None else Staged()
    target = graph_node(graph) if graph else None
    if isinstance(data, Path):
        refuse_url(str(data))
        name = source or str(data)
        fmt = format or rdf_format_for_path(data)
        if not data.is_file():
            raise not_a_file(data, name)
        if oxigraph_reads(data, fmt, progress):  # a sixth less time than through Python, no slices
            load_path(staged.dataset.load, data, name, format=fmt, to_graph=target)
        else:
            read_into(
                data,
                lambda text: staged.dataset.load(input=checked_input(text, fmt, name), format=fmt, to_graph=target),
                source=name,
                sliced=sliceable(data, fmt),
                progress=progress,
            )
    else:
        name = source or "the request body"
        if format is None:
            raise ValueError("stage() needs a format for bytes input.")
        try:
            staged.dataset.load(
                input=checked_input(without_bom(data), format, name), format=format, to_graph=target, base_iri=base_iri
            )
        except SyntaxError as error:
            raise parse_error(error, name) from None
    staged.sources.append(name)
    return staged
