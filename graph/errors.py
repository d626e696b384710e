"""The exception tree of `bilateral`. No HTTP here: `api/` maps these to statuses in one place.

BilateralError
├── InputError (also ValueError)          bad input from outside: fix the input
│   ├── ParseError                         RDF that does not parse (file, line, column)
│   ├── QuerySyntaxError                   SPARQL that does not parse (line, column)
│   ├── UnsupportedFormat                  a format name or media type we do not read or write
│   └── RefusedInput                       network access asked for: SERVICE, LOAD, remote @context, URLs
├── ValidationFailed                       data that violates the shapes; carries the report
├── NotFound (also LookupError)            an unknown graph, submission or resource
└── StoreError                             the store could not do what was asked
    ├── StoreUnavailable                   a remote endpoint that does not answer, a store held by another process
    ├── StoreMisconfigured                 a remote endpoint whose default graph is not the union of named graphs
    ├── StoreFull                          an embedded store whose disk has no room left for a write
    └── QueryTimeout                       a query that ran past its time limit
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from graph.report import ValidationReport


class BilateralError(Exception):
    """Base class of every error this package raises on purpose."""


class InputError(BilateralError, ValueError):
    """Input from outside is wrong; the message says what and how to fix it."""


class ParseError(InputError):
    """RDF input does not parse; carries where."""

    def __init__(self, message: str, *, source: str, line: int | None = None, column: int | None = None):
        where = source
        if line is not None:
            where += f", line {line}" + (f", column {column}" if column is not None else "")
        super().__init__(f"{where}: {message}")
        self.source = source
        self.line = line
        self.column = column


class QuerySyntaxError(InputError):
    """A SPARQL query or update does not parse; carries where."""

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.line = line
        self.column = column


class UnsupportedFormat(InputError):
    """A format name or media type that is not read or written here."""


class RefusedInput(InputError):
    """Input that would make the server reach the network or the file system."""


class ValidationFailed(BilateralError):
    """Data violates the shapes; nothing was written."""

    def __init__(self, report: ValidationReport, source: str = "the data"):
        n = len(report.violations)
        super().__init__(
            f"{source} does not conform to the shapes: {n} violation{'s' if n != 1 else ''}; nothing was stored."
        )
        self.report = report


class NotFound(BilateralError, LookupError):
    """The thing asked for does not exist."""


class StoreError(BilateralError):
    """The store could not perform the operation."""


class StoreUnavailable(StoreError):
    """The store cannot be reached or opened."""


class StoreMisconfigured(StoreError):
    """The store is reachable but not set up as `bilateral` needs."""


class StoreFull(StoreError):
    """The embedded store's disk has no room left for a write."""


FREE_SPACE = "free some space on that disk and run it again"
_NO_SPACE = "No space left on device"


_GRAPH_EXISTENCE = re.compile(r"graph <[^>]*> (?:does not exist|already exists)", re.IGNORECASE)


def graph_existence_error(message: str) -> InputError | None:
    """An engine's refusal of DROP or CLEAR of a graph it lacks, or CREATE of one it has (Oxigraph's "The
    graph <…> does not exist"), as an InputError that says how to go on; None for any other message."""
    if not _GRAPH_EXISTENCE.search(message):
        return None
    if "SILENT" in message:  # told so already (by a bilateral server)
        return InputError(message)
    return InputError(
        f"{message.strip().rstrip('.')}, so the update was not run. Add SILENT after the keyword (DROP SILENT "
        "GRAPH <…>) to go on when it is so, doing nothing."
    )


def disk_error(error: OSError) -> StoreError | None:
    """The engine's failure to read or write its own files (RocksDB's "IO error: …", which names the file)
    as a StoreError that says what to do; None for any other OSError. A write that fails so is not kept:
    a transaction is not committed, and a bulk load's graph is dropped (or, when the disk is still too
    full for that, when the store is next opened: `graph.bulk.undo_interrupted_loads`)."""
    text = str(error)
    if not text.startswith("IO error:"):
        return None
    if _NO_SPACE in text:
        return StoreFull(f"The store's disk is full ({text}); {FREE_SPACE}: nothing of this write was kept.")
    return StoreError(f"The store could not read or write its files: {text}")


class QueryTimeout(StoreError):
    """A query ran past its time limit and was stopped."""
