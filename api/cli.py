"""The `bilateral` command line: init, load, validate, query, submit, serve, export and network.

Settings come from options and the environment (`BILATERAL_STORE`, `BILATERAL_ENDPOINT`,
`BILATERAL_UPDATE_ENDPOINT`, `BILATERAL_GRAPH_STORE_ENDPOINT`, `BILATERAL_ENDPOINT_TOKEN`) here only, and are
passed down to `graph` as arguments. Exit codes: 0 done, 1 invalid data, 2 usage or runtime error.
"""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path
from typing import IO, Any

import click

from api.cli_options import (
    RDF_FILES,
    STDIN,
    STDIN_GRAPH,
    ctrl_c_ends_at_once,
    end_at_once,
    failed_output,
    finish,
    network_filter,
    network_options,
    on_parser_stack,
    open_from,
    read_files,
    read_query,
    remote_urls,
    reported,
    store_options,
    write_whole,
)
from api.tables import aligned, pointed_at, slashed_name_hint, with_prefixes, write_answer
from graph.embedded import EmbeddedStore
from graph.errors import QuerySyntaxError
from graph.loading import init_store, is_initialized, load_files, load_staged
from graph.model_graphs import model_update_report, update_model_graphs
from graph.sparql_text import projected_as_written, query_form, selects_all
from graph.store import Store


def run() -> None:
    """The console script `bilateral`: `main`, whose commands end the process as soon as they are done
    (`cli_options.finish`)."""
    end_at_once()
    main()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="bilateral")
def main() -> None:
    """bilateral: a knowledge graph of bilateral relations between states."""


@main.command()
@store_options
@reported
def init(store_dir: Path, endpoint: str | None) -> None:
    """Create the store: ontology, shapes, countries and the seed articles' facts. A store made by another
    release gets this release's ontology and shapes."""
    with open_from(store_dir, endpoint, create=True) as store:
        if is_initialized(store):
            click.echo(model_update_report(store.description, update_model_graphs(store)))
            return
        summary = init_store(store)
        click.echo(f"Initialized {store.description}: {summary.quads} quads in {len(summary.graphs)} graphs.")


@main.command()
@click.argument("files", nargs=-1, required=True, type=RDF_FILES)
@click.option("--graph", metavar="IRI", help="Named graph for triples (default: graph/source/{file name}).")
@click.option("--format", "fmt", metavar="F", help="Format of the files (default: from the extension).")
@click.option("--no-validate", is_flag=True, help="Skip SHACL validation: only for trusted bulk data.")
@store_options
@reported
def load(
    files: tuple[Path, ...],
    graph: str | None,
    fmt: str | None,
    no_validate: bool,
    store_dir: Path,
    endpoint: str | None,
) -> None:
    """Load RDF files (Turtle, N-Triples, N-Quads, TriG, JSON-LD, RDF/XML; gzipped as .nt.gz, …), validated,
    all or nothing. `-` reads standard input, with --format (and --graph for triples)."""
    total = sum(p.stat().st_size for p in files if p.is_file())
    with open_from(store_dir, endpoint) as store:
        if STDIN in files:
            staged = read_files(files, fmt, graph)
            if graph is None and STDIN_GRAPH in staged.graph_names():  # triples, or a TriG default graph
                raise click.UsageError("Name the graph for the triples read from standard input: --graph IRI.")
            summary = load_staged(store, staged, validate=not no_validate)
        elif sys.stderr.isatty():
            with click.progressbar(length=total, label="Reading", file=sys.stderr) as bar:
                summary = load_files(
                    store, files, graph=graph, format=fmt, validate=not no_validate, progress=bar.update
                )
        else:
            summary = load_files(store, files, graph=graph, format=fmt, validate=not no_validate)
    if summary.report and summary.report.warnings:
        click.echo(summary.report.text(), err=True)
    note = "validated" if summary.validated else "NOT validated (--no-validate)"
    click.echo(f"Loaded {summary.quads} quads into {', '.join(summary.graphs)}; {note}.")


@main.command()
@click.argument("files", nargs=-1, type=RDF_FILES)
@click.option("--format", "fmt", metavar="F", help="Format of the files (default: from the extension).")
@store_options
@reported
def validate(files: tuple[Path, ...], fmt: str | None, store_dir: Path, endpoint: str | None) -> None:
    """Validate files (in the context of the store; `-` reads standard input, with --format), or with no
    file the whole store; print the report."""
    from graph.validation import Validator

    with open_from(store_dir, endpoint) as store:
        if files:
            report = Validator().validate_staged(read_files(files, fmt), store)
        else:
            report = Validator().validate_store(store)
    click.echo(report.text())
    finish(0 if report.conforms else 1)


@main.command()
@click.argument("query")
@click.option("--format", "fmt", metavar="F", help="json, xml, csv, tsv (SELECT/ASK); turtle, ntriples, … (CONSTRUCT).")
@store_options
@reported
def query(query: str, fmt: str | None, store_dir: Path, endpoint: str | None) -> None:
    """Run a SPARQL query given as text, @FILE or - (stdin); a table on a terminal, a standard format otherwise.

    Common prefixes (bl:, rdfs:, skos:, prov:, xsd:, …, and country:KOR, person:…, event:… for the
    instances) may be used without declaring them.
    """
    text = read_query(query)
    try:
        form = query_form(text)
    except QuerySyntaxError as error:
        if not text.strip():
            raise
        raise QuerySyntaxError(
            f"{error} Here, `bilateral query` runs queries; data goes in with `bilateral load` or "
            "`bilateral submit`, and updates go to POST /sparql of a running `bilateral serve`."
        ) from None
    full, added_lines = with_prefixes(text)
    with open_from(store_dir, endpoint) as store:
        try:
            out = sys.stdout.buffer
            with ctrl_c_ends_at_once():
                on_parser_stack(lambda: _answer(store, full, form, fmt, out))
                out.flush()
        except BrokenPipeError:  # the reader took what it wanted (`| head`): not an error
            failed_output()  # what is left goes nowhere: nothing to fail at the end
            return
        except QuerySyntaxError as error:
            if error.line is not None:
                line = error.line - added_lines
                raise QuerySyntaxError(
                    f"SPARQL syntax error at line {line}, column {error.column}: {str(error).split(': ', 2)[-1]}"
                    + slashed_name_hint(text)
                    + pointed_at(text, line, error.column),
                    line=line,
                    column=error.column,
                ) from None
            raise


def _answer(store: Store, query: str, form: str, fmt: str | None, out: IO[bytes]) -> None:
    """Write a query's answer: a table on a terminal, else `fmt` or the form's usual format."""
    if fmt == "table" or (fmt is None and sys.stdout.isatty()):
        write_answer(store, query, form, out)
        return
    default = "turtle" if form in ("CONSTRUCT", "DESCRIBE") else ("json" if form == "ASK" else "tsv")
    if form == "SELECT" and isinstance(store, EmbeddedStore) and selects_all(query):
        query = projected_as_written(query, store.stream_select(query).variables)  # not yet run
    store.serialize(query, fmt or default, out)


@main.command()
@store_options
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="The port to listen on.")
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(min=1),
    help="Request threads in fours: on a store folder one process with 4 x N threads, with --endpoint "
    "N processes of 4 threads.",
)
@reported
def serve(store_dir: Path, endpoint: str | None, host: str, port: int, workers: int) -> None:
    """Serve SPARQL, the Graph Store Protocol and the pages over HTTP (creates the store on first run)."""
    from api.serve import listenable
    from api.serve import serve as run_server
    from api.settings import settings_from_env

    try:
        settings = settings_from_env()
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    try:
        listenable(host, port)
    except OSError as error:
        raise click.BadParameter(
            f"cannot listen on {host}:{port} ({error.strerror or error}); stop what uses it, or choose another "
            "--port (or --host).",
            param_hint="'--host' / '--port'",
        ) from None
    update_endpoint, graph_store_endpoint = remote_urls()
    run_server(
        settings,
        store_dir=store_dir,
        endpoint=endpoint,
        update_endpoint=update_endpoint,
        graph_store_endpoint=graph_store_endpoint,
        host=host,
        port=port,
        workers=workers,
    )


@main.command()
@click.argument("file", type=RDF_FILES)
@click.option("--source", "source_iri", metavar="IRI", help="The source the facts come from.")
@click.option("--source-title", help="The source's title, with --source-url, when it has no IRI yet.")
@click.option("--source-url", help="The source's URL, with --source-title.")
@click.option("--comment", help="A note kept with the submission.")
@click.option(
    "--as",
    "submitter",
    default=lambda: os.environ.get("USER", "cli"),
    show_default="$USER",
    help="The name recorded as submitter.",
)
@click.option("--format", "fmt", metavar="F", help="Format of the file (default: from the extension).")
@store_options
@reported
def submit(
    file: Path,
    source_iri: str | None,
    source_title: str | None,
    source_url: str | None,
    comment: str | None,
    submitter: str,
    fmt: str | None,
    store_dir: Path,
    endpoint: str | None,
) -> None:
    """Submit facts as the server does: checked in context, stored with their record, or refused. `-` reads
    standard input, with --format."""
    from graph.submissions import SourceCitation
    from graph.submissions import submit as submit_facts

    with open_from(store_dir, endpoint) as store:
        outcome = submit_facts(
            store,
            read_files([file], fmt),
            submitter=submitter,
            citation=SourceCitation(source_iri, source_title, source_url),
            comment=comment,
        )
    record = outcome.submission
    state = "accepted" if outcome.created else "already submitted"
    click.echo(f"{state}: submission {record.id} in <{record.graph}>, citing <{record.source}>.")
    for warning in record.warnings:
        click.echo(f"  {warning}")


@main.command()
@click.argument("name", metavar="FORMAT")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default stdout).")
@network_options
@store_options
@reported
def export(name: str, output: Path | None, store_dir: Path, endpoint: str | None, **filters: Any) -> None:
    """Export the network: gexf, graphml, cytoscape, cx2, d3, graphology, dot or csv (a zip)."""
    from graph.export_formats import WRITERS
    from graph.network import project

    if name not in WRITERS:
        raise click.UsageError(f"Unknown format {name!r}; use one of {', '.join(WRITERS)}.")
    with open_from(store_dir, endpoint) as store:
        try:
            network = project(store, network_filter(**filters))
        except ValueError as error:
            raise click.UsageError(str(error)) from None
    if output is None:
        WRITERS[name][0](network, sys.stdout.buffer)
        return
    write_whole(output, lambda out: WRITERS[name][0](network, out))
    click.echo(f"Wrote {network.number_of_nodes()} nodes and {network.number_of_edges()} edges to {output}.", err=True)


@main.command()
@click.argument("question", type=click.Choice(["centrality", "path", "timeline"]))
@click.argument("states", nargs=-1, metavar="[A B]")
@click.option("--measure", default="degree", type=click.Choice(["degree", "betweenness", "eigenvector"]))
@click.option("--by", default="month", type=click.Choice(["year", "month", "day"]))
@click.option("--format", "fmt", default=None, type=click.Choice(["table", "json", "csv"]))
@network_options
@store_options
@reported
def network(
    question: str,
    states: tuple[str, ...],
    measure: str,
    by: str,
    fmt: str | None,
    store_dir: Path,
    endpoint: str | None,
    **filters: Any,
) -> None:
    """Ask the network: centrality of states, paths between two states, or a pair's timeline."""
    import json

    from graph.analytics import centrality, dyad_timeline, shortest_paths

    needs_pair = question in ("path", "timeline")
    if needs_pair and len(states) != 2:
        raise click.UsageError(f"`network {question}` takes two alpha-3 codes, such as KOR JPN.")
    if not needs_pair and states:
        raise click.UsageError(
            f"`network centrality` ranks every state and takes no codes ({' '.join(states)}); "
            "narrow it with --country CODE --depth N."
        )
    with open_from(store_dir, endpoint) as store:
        try:
            if question == "centrality":
                rows = centrality(store, measure, network_filter(**filters))
            elif question == "path":
                rows = [
                    {
                        "states": " > ".join(s.rsplit("/", 1)[-1] for s in p.states),
                        "via": " | ".join(",".join(f["type"] for f in step) for step in p.steps),
                    }
                    for p in shortest_paths(store, states[0], states[1])
                ]
            else:
                rows = dyad_timeline(store, states[0], states[1], start=filters["start"], end=filters["end"], by=by)
        except ValueError as error:
            raise click.UsageError(str(error)) from None
    chosen = fmt or ("table" if sys.stdout.isatty() else "json")
    if chosen == "json":
        click.echo(json.dumps(rows, indent=1, ensure_ascii=False))
    elif chosen == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else ["none"])
        writer.writeheader()
        writer.writerows(rows)
    else:
        names = list(rows[0]) if rows else []
        click.echo(aligned(names, [[str(r[n]) for n in names] for r in rows]))
