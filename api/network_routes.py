"""`/network/…`: centrality of states, shortest relation paths, and a dyad's timeline, as JSON (or CSV with
`format=csv`), over the same filters as the exports."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, Response, jsonify, request

from api.context import app_state
from api.exports import FILTERS, network_filter
from api.parameters import only_parameters, whole_number
from api.problems import Problem
from graph.analytics import centrality, dyad_timeline, shortest_paths

blueprint = Blueprint("network", __name__)


def _answer(rows: list[dict[str, Any]], key: str) -> Response:
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "csv"):
        raise Problem(400, "Bad request", f"format={fmt!r} is not available here; use json (the default) or csv.")
    if fmt == "csv":
        buffer = io.StringIO()
        if rows:
            writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        return Response(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    return jsonify({key: rows})


@blueprint.route("/network/centrality")
def rank() -> Response:
    only_parameters(*FILTERS, "measure", "top", "format")
    try:
        rows = centrality(
            app_state().store(),
            request.args.get("measure", "degree"),
            network_filter(),
            top=whole_number("top", 20),
        )
    except ValueError as error:
        raise Problem(400, "Bad request", str(error)) from None
    return _answer(rows, "states")


@blueprint.route("/network/path")
def path() -> Response:
    only_parameters("from", "to")
    origin, target = request.args.get("from"), request.args.get("to")
    if not origin or not target:
        raise Problem(400, "Bad request", "Name both states: /network/path?from=KOR&to=PRK (alpha-3 codes).")
    try:
        found = shortest_paths(app_state().store(), origin, target)
    except ValueError as error:  # a code that cannot be one; an unknown state is a NotFound (404)
        raise Problem(400, "Bad request", str(error)) from None
    return jsonify(paths=[{"states": p.states, "steps": p.steps} for p in found])


@blueprint.route("/network/dyad/<a>/<b>/timeline")
def timeline(a: str, b: str) -> Response:
    only_parameters("from", "to", "by", "format")
    try:
        rows = dyad_timeline(
            app_state().store(),
            a,
            b,
            start=request.args.get("from"),
            end=request.args.get("to"),
            by=request.args.get("by", "month"),
        )
    except ValueError as error:
        raise Problem(400, "Bad request", str(error)) from None
    return _answer(rows, "timeline")
