"""The bytes of an RDF file as a parser should see them: decompressed when the file is gzipped (`data.nt.gz`,
as `oxigraph load` reads it), past a UTF-8 byte order mark, counted for a progress bar, and, for N-Triples
without blank nodes, in slices of whole lines; a gzip failure as a ParseError naming the file.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from graph.errors import ParseError

SLICE_BYTES = 16 * 2**20
"""N-Triples is read in slices of about this size: Oxigraph indexes several small batches faster than one."""
_SCAN_BYTES = 64 * 2**20

Progress = Callable[[int], None]
"""Called with the number of bytes read since the last call."""


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


def is_gzipped(path: Path) -> bool:
    """Whether a file is read through gzip: its name ends in `.gz`."""
    return path.suffix.lower() == ".gz"


def decompressed(path: Path) -> io.BufferedIOBase:
    """A file opened for reading its content: through gzip when `is_gzipped`."""
    return gzip.open(path, "rb") if is_gzipped(path) else path.open("rb")


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


def without_bom(data: bytes | IO[bytes]) -> bytes | IO[bytes]:
    """Bytes, or a stream, past a byte order mark at their start; a stream that can neither be looked into
    (`peek`) nor rewound is read as it is.

    >>> without_bom(BOM + b"<a:s> <a:p> <a:o> ."), without_bom(io.BytesIO(BOM + b"<a:s>")).read()
    (b'<a:s> <a:p> <a:o> .', b'<a:s>')
    """
    if isinstance(data, bytes):
        return data.removeprefix(BOM)
    if isinstance(data, io.BufferedReader):
        if data.peek(len(BOM)).startswith(BOM):
            data.read(len(BOM))
    elif data.seekable():
        start = data.tell()
        if data.read(len(BOM)) != BOM:
            data.seek(start)
    return data


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
