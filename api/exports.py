"""`/export/{format}`: the network for visualization tools, and the RDF dumps, with the shared filters.

Filters (query parameters): `country` (alpha-3, repeatable or comma-separated) with `depth`, `from`/`to`
(ISO dates: facts overlapping them), `type` (relation types), `source` (source IRIs), `min_sources`, and
`events=true` to make events nodes too.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from typing import IO

from flask import Blueprint, Response, request, send_file

from api.context import app_state
from api.parameters import only_parameters, whole_number
from api.problems import Problem
from graph.export_formats import WRITERS
from graph.formats import rdf_format
from graph.network import NetworkFilter, project

blueprint = Blueprint("exports", __name__)
DUMPS = {"nquads": ("nquads", "nq"), "trig": ("trig", "trig"), "turtle": ("turtle", "ttl")}


FILTERS = ("country", "depth", "from", "to", "type", "source", "min_sources", "events")
"""The query parameters of `network_filter`."""


def network_filter() -> NetworkFilter:
    try:
        return NetworkFilter(
            countries=tuple(request.args.getlist("country")),  # comma-separated too
            depth=whole_number("depth", 1),
            start=request.args.get("from"),
            end=request.args.get("to"),
            relations=tuple(request.args.getlist("type")),
            sources=tuple(request.args.getlist("source")),
            min_sources=whole_number("min_sources", 0),
            include_events=request.args.get("events", "false").lower() in ("1", "true", "yes"),
        )
    except ValueError as error:
        raise Problem(400, "Bad request", str(error)) from None


@blueprint.route("/export/<name>")
def export(name: str) -> Response:
    store = app_state().store()
    if name in DUMPS:
        only_parameters("graph")
        fmt, extension = DUMPS[name]
        graph = request.args.get("graph")
        if name == "turtle" and not graph:
            raise Problem(400, "Bad request", "Turtle holds one graph: pass graph=IRI (or ask for nquads or trig).")
        media_type = rdf_format(fmt).media_type

        def write(out: IO[bytes]) -> None:
            if graph:
                store.dump_graph(graph, rdf_format(fmt), out)
            else:
                store.dump_dataset(rdf_format(fmt), out)

    elif name in WRITERS:
        writer, media_type, extension = WRITERS[name]
        only_parameters(*FILTERS)
        try:
            network = project(store, network_filter())
        except ValueError as error:
            raise Problem(400, "Bad request", str(error)) from None

        def write(out: IO[bytes]) -> None:
            writer(network, out)

    else:
        raise Problem(404, "Not found", f"No export named {name!r}; use one of {', '.join([*WRITERS, *DUMPS])}.")
    return spooled(write, media_type, download_name=f"bilateral.{extension}")


def spooled(write: Callable[[IO[bytes]], None], media_type: str, *, download_name: str | None = None) -> Response:
    """An answer written to disk first, then sent in chunks, never whole in memory; a file to save when it
    has a `download_name`."""
    spool = tempfile.TemporaryFile()
    try:
        write(spool)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    response = send_file(
        spool, mimetype=media_type, as_attachment=download_name is not None, download_name=download_name
    )
    response.call_on_close(spool.close)
    return response
