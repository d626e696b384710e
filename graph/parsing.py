"""Reading RDF from outside into a staging dataset, with errors that name the file, line and column.

Parsing is Oxigraph's: it never fetches a remote JSON-LD `@context` or an external entity. A staged
dataset is an in-memory pyoxigraph store, so nothing reaches the real store before it has been checked.
A file whose name ends in `.gz` is read through gzip, as `oxigraph load` does (`data.nt.gz`).
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, TYPE_CHECKING, cast

import pyoxigraph as ox

from graph.errors import ParseError, RefusedInput
from graph.formats import rdf_format_for_path
from graph.namespaces import graph_node

if TYPE_CHECKING:
    from rdflib import Graph

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(//|/)")
_CONTEXT = re.compile(r"remote context|LoadDocumentCallback", re.IGNORECASE)

SLICE_BYTES = 16 * 2**20
"""N-Triples is read in slices of about this size: Oxigraph indexes several small batches faster than one."""
_SCAN_BYTES = 64 * 2**20

Progress = Callable[[int], None]
"""Called with the number of bytes read since the last call."""


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


class CountingReader:
    """A binary file wrapper that reports how many bytes were read, for a progress bar."""

    def __init__(self, raw: IO[bytes], progress: Progress):
        self._raw = raw
        self._progress = progress

    def read(self, size: int = -1) -> bytes:
        chunk = self._raw.read(size)
        self._progress(len(chunk))
        return chunk

    def readinto(self, buffer: bytearray) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


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


def is_gzipped(path: Path) -> bool:
    """Whether a file is read through gzip: its name ends in `.gz`."""
    return path.suffix.lower() == ".gz"


def decompressed(path: Path) -> io.BufferedIOBase:
    """A file opened for reading its content: through gzip when `is_gzipped`."""
    return gzip.open(path, "rb") if is_gzipped(path) else path.open("rb")


def load_file(load: Callable[..., None], path: Path, **options: object) -> None:
    """Call an Oxigraph loader (`Store.load`, `Store.bulk_load`) on a file: on its path, which Oxigraph
    reads itself, or on its decompressed content when it `is_gzipped`; JSON-LD read whole (`shallow_json`)."""
    if not is_gzipped(path) and options.get("format") != ox.RdfFormat.JSON_LD:
        load(path=str(path), **options)
        return
    with gzip_errors_named(str(path)), decompressed(path) if is_gzipped(path) else path.open("rb") as stream:
        load(input=checked_input(cast(IO[bytes], stream), options.get("format"), str(path)), **options)


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


GZIP_ERRORS = (gzip.BadGzipFile, EOFError, zlib.error)
"""What reading gzip data that is not gzip, or is cut short, raises."""


def gzip_failure(error: BaseException) -> str:
    """Why gzip data could not be read, from one of GZIP_ERRORS, for a message."""
    return "it ends before its compressed data does" if isinstance(error, EOFError) else str(error)


@contextmanager
def gzip_errors_named(source: str) -> Iterator[None]:
    """Turn a failure to decompress a gzipped file into a ParseError naming it."""
    try:
        yield
    except GZIP_ERRORS as error:
        raise ParseError(
            f"the file is named .gz but cannot be read as gzip ({gzip_failure(error)}); check the file, or "
            "rename it if it is not compressed.",
            source=source,
        ) from None


def sliceable(path: Path, format: ox.RdfFormat) -> bool:
    """Whether a file can be parsed in slices of lines: N-Triples (one statement per line) without blank
    nodes, whose labels are scoped to one parse (`_:` anywhere, literals included, counts, to be safe)."""
    if format != ox.RdfFormat.N_TRIPLES:
        return False
    status = path.stat()
    return _without_blank_node_labels(path, status.st_size, status.st_mtime_ns)


@lru_cache(maxsize=8)
def _without_blank_node_labels(path: Path, _size: int, _mtime_ns: int) -> bool:
    """Whether a file never contains `_:`: read once per size and modification time (staging and the bulk
    load after it both ask, and a million triples take a third of a second to scan)."""
    after_underscore = False
    with gzip_errors_named(str(path)), decompressed(path) as raw:
        while block := raw.read(_SCAN_BYTES):
            if b"_:" in block or (after_underscore and block.startswith(b":")):
                return False
            after_underscore = block.endswith(b"_")
    return True


BOM = b"\xef\xbb\xbf"
"""The UTF-8 byte order mark some editors write at the start of a text file; skipped, as Jena does (Oxigraph
reads it as content: "The subject of a triple must be an IRI" at line 1, column 1)."""


def starts_with_bom(path: Path) -> bool:
    with gzip_errors_named(str(path)), decompressed(path) as raw:
        return raw.read(len(BOM)) == BOM


@contextmanager
def content(path: Path, progress: Progress | None = None) -> Iterator[IO[bytes]]:
    """A file's content: decompressed when `is_gzipped`, past a byte order mark at its start; `progress`
    is told the bytes read from the disk (of the file as it is stored, compressed or not)."""
    skip = starts_with_bom(path)
    with path.open("rb") as raw:
        stream: IO[bytes] = CountingReader(raw, progress) if progress else raw  # type: ignore[assignment]
        if is_gzipped(path):
            stream = gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[assignment]
        if skip:
            stream.read(len(BOM))
        yield stream


def line_slices(raw: IO[bytes], size: int | None = None) -> Iterator[tuple[int, bytes]]:
    """Whole lines of a file in slices of about `size` bytes (SLICE_BYTES by default), each with the number
    of its first line."""
    line, rest = 1, b""
    while block := raw.read(size or SLICE_BYTES):
        block = rest + block
        end = block.rfind(b"\n") + 1
        if end == 0:  # no line ends in this block: read on
            rest = block
            continue
        yield line, block[:end]
        line += block.count(b"\n", 0, end)
        rest = block[end:]
    if rest:
        yield line, rest


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
        if isinstance(data, bytes):
            data = data.removeprefix(BOM)
        elif isinstance(data, io.BufferedReader) and data.peek(len(BOM)).startswith(BOM):
            data.read(len(BOM))
        try:
            staged.dataset.load(
                input=checked_input(data, format, name), format=format, to_graph=target, base_iri=base_iri
            )
        except SyntaxError as error:
            raise parse_error(error, name) from None
    staged.sources.append(name)
    return staged
