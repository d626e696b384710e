"""What the commands of `bilateral` share: the options that choose the store and filter the network, the
turning of errors into messages and exit codes, reading a query or RDF files (or standard input), and
writing a file whole."""

from __future__ import annotations

import functools
import logging
import os
import signal
import socket
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, NoReturn, TypeVar, cast

import click
from click.core import ParameterSource

from api.tables import pointed_at
from graph.embedded import EmbeddedStore
from graph.errors import BilateralError, ParseError, StoreUnavailable, ValidationFailed, disk_error
from graph.file_content import is_gzipped
from graph.formats import rdf_format
from graph.loading import stage_files
from graph.parsing import Staged, stage
from graph.sparql_syntax import PARSER_STACK_BYTES
from graph.store import Store, open_store

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


REMOTE_URLS = (
    (
        "--update-endpoint",
        "BILATERAL_UPDATE_ENDPOINT",
        "where updates go (default: the query URL if the server's service description offers updates there, "
        "else the sibling /update; GraphDB and RDF4J take them at …/repositories/NAME/statements)",
    ),
    (
        "--graph-store-endpoint",
        "BILATERAL_GRAPH_STORE_ENDPOINT",
        "the Graph Store Protocol URL (default: the sibling /store)",
    ),
)
"""The URLs of a remote store that its query URL does not imply. They go to `open_from` through the
command's context, not as arguments of every command."""


def _remember(context: click.Context, parameter: click.Parameter, value: str | None) -> None:
    if value:
        context.meta[f"bilateral.{parameter.name}"] = value
        if context.get_parameter_source(parameter.name or "") is ParameterSource.COMMANDLINE:
            context.meta.setdefault("bilateral.remote_options_given", []).append(parameter.opts[0])


def remote_urls() -> tuple[str | None, str | None]:
    """The --update-endpoint and --graph-store-endpoint of the command being run; a usage error if one was
    given on the command line without --endpoint (from the environment it is ignored, as the token is)."""
    context = click.get_current_context(silent=True)
    if context is None:
        return None, None
    if not context.params.get("endpoint") and (given := context.meta.get("bilateral.remote_options_given")):
        raise click.UsageError(f"{' and '.join(given)} go with --endpoint URL (a remote store); add it, or drop them.")
    return context.meta.get("bilateral.update_endpoint"), context.meta.get("bilateral.graph_store_endpoint")


def store_options(command: F) -> F:
    """The options that choose the store, shared by every command that opens one."""
    for option, variable, meaning in reversed(REMOTE_URLS):
        command = click.option(
            option,
            envvar=variable,
            metavar="URL",
            expose_value=False,
            callback=_remember,
            help=f"With --endpoint: {meaning} (env {variable}).",
        )(command)
    command = click.option(
        "--endpoint",
        envvar="BILATERAL_ENDPOINT",
        metavar="URL",
        help="Use a remote SPARQL 1.1 server instead of a folder (its query URL, or its base URL for Oxigraph); "
        "requests carry $BILATERAL_ENDPOINT_TOKEN as a bearer token when it is set (writes need one).",
    )(command)
    return click.option(
        "--store",
        "store_dir",
        envvar="BILATERAL_STORE",
        default="bilateral-data",
        show_default=True,
        type=click.Path(file_okay=False, path_type=Path),
        help="The store folder (env BILATERAL_STORE).",
    )(command)


_ENDING = {"at_once": False}
"""Whether `finish` ends the process at once: set by the console script (`end_at_once`), never in-process."""


def end_at_once() -> None:
    """Have `finish` end the process without the interpreter's teardown: for the console script only."""
    _ENDING["at_once"] = True


def failed_output() -> OSError | ValueError | None:
    """The error standard output fails with now (a full disk, a reader that has gone, a closed stream), or
    None. What it could not write is dropped then (the stream is sent to /dev/null), so that nothing tries
    again and fails at the process's end. An unbuffered output (PYTHONUNBUFFERED) keeps nothing to fail
    with again: a write that failed while the command ran goes on as an error of its own, with its
    traceback."""
    try:
        sys.stdout.flush()
        return None
    except (OSError, ValueError) as error:
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return error


def _told(failed: OSError | ValueError, code: int) -> int:
    """The exit status of a command whose output failed (`failed_output`), said on stderr: 2 (or the
    command's own) for a full disk or a closed stream; `code` as it is for a reader that has gone (`| head`),
    which is no error."""
    if isinstance(failed, BrokenPipeError):
        return code
    click.echo(f"error: the output could not be written: {failed}", err=True)
    return code or 2


def finish(code: int) -> NoReturn:
    """End a command with exit status `code`. Run as the console script, the process ends once standard
    output and error are flushed, without the interpreter's teardown, which frees every object and module
    one by one (30-50 ms after a load, a tenth of a small command's time): the command has closed its
    store and files by then. Output that cannot be written (a full disk) is an error, exit 2; a reader
    that has gone (`| head`) is not. Else by SystemExit."""
    if not _ENDING["at_once"]:
        sys.exit(code)
    if (failed := failed_output()) is not None:
        code = _told(failed, code)
    try:
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    logging.shutdown()
    os._exit(code)


def reported(command: F) -> F:
    """Turn the package's errors into a message on stderr and the architecture's exit codes (and Ctrl-C
    into 130), each through `finish`; a command that returns ends there too when run as the console script."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            command(*args, **kwargs)
        except ValidationFailed as failure:
            click.echo(failure.report.text(), err=True)
            click.echo(f"\nerror: {failure}", err=True)
            finish(1)
        except BilateralError as error:
            click.echo(f"error: {error}{_source_line(error)}", err=True)
            finish(2)
        except OSError as error:
            if (on_disk := disk_error(error)) is not None:
                click.echo(f"error: {on_disk}", err=True)
                finish(2)
            if (failed := failed_output()) is None:  # not the command's output: a bug, with its traceback
                raise
            finish(_told(failed, 0))
        except KeyboardInterrupt:  # 130, as shells report it: not 1, which says the data is invalid
            click.echo("\nInterrupted.", err=True)
            finish(130)
        if _ENDING["at_once"]:
            finish(0)  # else it returns, as a command called in-process does

    return wrapper  # type: ignore[return-value]


def _source_line(error: BilateralError) -> str:
    """The line of a plain file a parse error names, with a caret under its column; "" for other errors.
    Read a megabyte at a time, so that a file of one enormous line is not read whole."""
    if not isinstance(error, ParseError) or error.line is None or error.column is None:
        return ""
    path = Path(error.source)
    if not path.is_file() or is_gzipped(path):
        return ""
    with path.open("rb") as lines:
        number = 1
        while number < error.line:
            if not (part := lines.readline(1 << 20)):
                return ""
            number += part.endswith(b"\n")
        line = lines.readline(1 << 20).decode("utf-8", "replace").rstrip("\r\n")
    return pointed_at(line, 1, error.column) if error.column <= len(line) + 1 else ""


def on_parser_stack(call: Callable[[], T]) -> T:
    """`call()` on a thread whose stack takes what Oxigraph's SPARQL parser may need (PARSER_STACK_BYTES):
    on the main thread's 8 MB a query summing 8,000 terms ended the process. Its exception is raised here,
    without the frames it was raised through (pyoxigraph's results refuse to be freed on another thread):
    their text goes with an error that is not one of ours."""
    outcome: list[tuple[bool, Any]] = []

    def run() -> None:
        try:
            outcome.append((True, call()))
        except BaseException as error:  # noqa: BLE001 - handed to the caller, whatever it is
            if not isinstance(error, BilateralError | OSError):
                error.add_note("".join(traceback.format_exception(error)).rstrip())
            error.__traceback__ = error.__context__ = None
            outcome.append((False, error))

    previous = threading.stack_size(PARSER_STACK_BYTES)
    try:
        thread = threading.Thread(target=run, name="query", daemon=True)
        thread.start()  # the size is taken when the thread starts
    finally:
        threading.stack_size(previous)
    thread.join()
    done, value = outcome[0]
    if done:
        return cast(T, value)
    raise value


@contextmanager
def ctrl_c_ends_at_once() -> Iterator[None]:
    """Within the block, Ctrl-C ends the command at once with 130, even while the engine is inside one long
    call (a query counting a cross product answers nothing until it is done, and Python runs its handler
    only when the engine returns). The signal's wake-up byte is read on a thread of its own, which exits
    the process without unwinding: only for blocks that write nothing to the store."""
    reader, writer = socket.socketpair()
    writer.setblocking(False)
    previous = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    handler = signal.signal(signal.SIGINT, lambda *_: None)  # the watcher alone answers it

    def watch() -> None:
        with reader:  # closed here, once the block has closed the other end
            while received := reader.recv(64):
                if signal.SIGINT in received:  # one byte per signal: its number
                    sys.stderr.write("\nInterrupted.\n")
                    sys.stderr.flush()
                    os._exit(130)

    threading.Thread(target=watch, name="ctrl-c", daemon=True).start()
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, handler)
        signal.set_wakeup_fd(previous)
        writer.close()  # the watcher reads the end and returns


def open_from(store_dir: Path, endpoint: str | None, *, create: bool = False) -> Store:
    """The store the options name. A folder that holds none is created by `init` only: elsewhere a mistyped
    --store would answer from a new, empty store."""
    if endpoint is None and not create and not EmbeddedStore.exists_at(store_dir):
        raise StoreUnavailable(
            f"There is no store at {store_dir}. Create it with `bilateral init --store {store_dir}`, or name "
            "the right one with --store DIR (or $BILATERAL_STORE), or --endpoint URL."
        )
    update_endpoint, graph_store_endpoint = remote_urls()
    return open_store(
        store_dir,
        endpoint=endpoint,
        update_endpoint=update_endpoint,
        store_endpoint=graph_store_endpoint,
        token=os.environ.get("BILATERAL_ENDPOINT_TOKEN") or None,
    )


def read_query(argument: str) -> str:
    """A query given as text, @FILE or - (stdin)."""
    if argument == "-":
        return sys.stdin.read()
    if argument.startswith("@"):
        path = Path(argument[1:])
        if not path.is_file():
            raise click.BadParameter(f"{path} is not a file; write @FILE with the path of a .rq file.")
        return path.read_text(encoding="utf-8")
    return argument


STDIN = Path("-")
RDF_FILES = click.Path(dir_okay=False, allow_dash=True, path_type=Path)
"""The files of load, validate and submit: `-` is standard input."""


def read_files(files: Sequence[Path], fmt: str | None, graph: str | None = None) -> Staged:
    """Parse the files given, or standard input (`-`, alone, in the --format given) into `graph`."""
    if STDIN not in files:
        return stage_files(files, graph=graph, format=fmt)
    if len(files) > 1:
        raise click.UsageError("- (standard input) is read alone: give files, or - by itself.")
    if fmt is None:
        raise click.UsageError("Reading standard input needs --format: turtle, ntriples, nquads, trig, jsonld, rdfxml.")
    return stage(sys.stdin.buffer, rdf_format(fmt), graph=graph or STDIN_GRAPH, source="standard input")


STDIN_GRAPH = "urn:bilateral:standard-input"
"""Where triples read from standard input are staged to be validated or submitted (a load names its graph)."""


def network_options(command: F) -> F:
    """The filters shared by exports and network measures."""
    for option in reversed(
        [
            click.option("--country", multiple=True, metavar="ISO3", help="Keep these states and their neighbourhood."),
            click.option("--depth", default=1, show_default=True, help="Hops around --country."),
            click.option("--from", "start", metavar="DATE", help="Keep facts from this day, month or year on."),
            click.option("--to", "end", metavar="DATE", help="Keep facts up to this day, month or year."),
            click.option("--type", "relations", multiple=True, metavar="RELATION", help="met, dispute, allied, …"),
            click.option("--source", "sources", multiple=True, metavar="IRI", help="Keep facts from these sources."),
            click.option("--min-sources", default=0, help="Keep facts with at least this many sources."),
            click.option("--events", is_flag=True, help="Make events nodes too."),
        ]
    ):
        command = option(command)
    return command


def write_whole(path: Path, write: Callable[[IO[bytes]], None]) -> None:
    """Write a file whole or not at all: into a temporary file beside it, renamed over it at the end, so that
    a failure leaves the file that was there (or none)."""
    if not path.parent.is_dir():
        raise click.UsageError(f"Cannot write {path}: there is no folder {path.parent}.")
    temporary: Path | None = None
    try:
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, prefix=f".{path.name}.", delete=False) as out:
            temporary = Path(out.name)
            write(out)
        mask = os.umask(0)  # a temporary file is private; the file written gets the usual permissions
        os.umask(mask)
        temporary.chmod(0o666 & ~mask)
        temporary.replace(path)
    except BaseException as error:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise click.UsageError(f"Cannot write {path}: {error.strerror or error}.") from None
        raise


def network_filter(**given: Any) -> Any:
    from graph.network import NetworkFilter

    try:
        return NetworkFilter(
            countries=tuple(given["country"]),
            depth=given["depth"],
            start=given["start"],
            end=given["end"],
            relations=tuple(given["relations"]),
            sources=tuple(given["sources"]),
            min_sources=given["min_sources"],
            include_events=given["events"],
        )
    except ValueError as error:
        raise click.UsageError(str(error)) from None
