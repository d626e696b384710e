"""`/store`: the SPARQL 1.1 Graph Store HTTP Protocol, by `?graph=IRI`, `?default` or the request's own URL.

The protocol's default graph is the named graph `graph/default`: every fact lives in a named graph, and a
query's default graph is the union of them all, so what is PUT to `?default` is read back unchanged.
"""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import pyoxigraph as ox
from flask import Blueprint, Response, jsonify, request

from api.auth import require_writer
from api.context import app_state
from api.exports import spooled
from api.negotiation import RDF as RDF_TYPES
from api.negotiation import choose, content_type
from api.parameters import only_parameters
from api.problems import Problem
from api.what_remains import REMAINING_GRAPH, stage_what_remains
from graph.errors import InputError, UnsupportedFormat, ValidationFailed
from graph.formats import rdf_format, rdf_format_for_path
from graph.namespaces import graph_iri, refuse_unwritable
from graph.parsing import Staged, stage
from graph.store import Store

DEFAULT_GRAPH = graph_iri("default")
blueprint = Blueprint("graph_store", __name__)
METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE"]


def graph_response(store: Store, graph: str, media_type: str) -> Response:
    """A named graph written in `media_type`, as the answer to a request that negotiated it."""
    output = io.BytesIO()
    store.dump_graph(graph, rdf_format(media_type), output)
    response = Response(output.getvalue(), content_type=content_type(media_type))
    response.vary.add("Accept")
    return response


def target_graph(direct: bool) -> str | None:
    """The graph a request names; None for a POST to the store itself (create a graph)."""
    if direct:
        return request.base_url
    named, default = request.args.getlist("graph"), "default" in request.args
    if len(named) > 1 or (named and default):
        raise Problem(400, "Bad request", "Name one graph: either ?graph=IRI or ?default.")
    if default:
        return DEFAULT_GRAPH
    return named[0] if named else None


def _format_of(media_type: str, filename: str | None = None) -> ox.RdfFormat:
    try:
        if media_type and media_type not in ("application/octet-stream", "text/plain"):
            return rdf_format(media_type)
        if filename:
            return rdf_format_for_path(Path(filename))
        return rdf_format(media_type or "")
    except UnsupportedFormat:
        raise Problem(
            415,
            "Unsupported media type",
            f"{media_type or 'An untyped body'} is not an RDF format read "
            "here; send text/turtle, application/n-triples, application/ld+json, application/rdf+xml, "
            "application/n-quads or application/trig.",
        ) from None


def staged_body(graph: str) -> Staged:
    """The request body (or each part of a multipart body) parsed into `graph`, which takes triples: a
    TriG or N-Quads body that names graphs of its own is refused (as `oxigraph serve` refuses it), never
    folded into `graph`."""
    staged = _staged_parts(graph)
    refuse_other_graphs(
        staged,
        graph,
        "but a Graph Store write goes into one graph. Send that graph's triples (Turtle, N-Triples, or TriG's "
        "default graph), or each graph in a request of its own with ?graph=.",
    )
    return staged


def refuse_other_graphs(staged: Staged, graph: str, fix: str) -> None:
    """Refuse staged data (a request body, a fetched document) that names graphs besides `graph`, the one
    it is written into, saying which and then `fix`."""
    if others := [name for name in staged.graph_names() if name != graph]:
        named = ", ".join(f"<{name}>" for name in others[:3]) + (", …" if len(others) > 3 else "")
        raise InputError(f"{', '.join(staged.sources)} names graphs of its own ({named}), {fix}")


def _staged_parts(graph: str) -> Staged:
    staged = Staged()
    if request.mimetype == "multipart/form-data":
        if request.form:
            raise Problem(
                415,
                "Unsupported media type",
                "Each part of a multipart body must be an RDF file with a "
                "Content-Type or a file name such as data.ttl; "
                f"these parts have neither: {', '.join(request.form)}.",
            )
        for part in request.files.values():
            fmt = _format_of(part.mimetype, part.filename)
            stage(part.read(), fmt, graph=graph, into=staged, source=part.filename or part.name)
        return staged
    fmt = _format_of(request.mimetype)
    return stage(request.get_data(), fmt, graph=graph, into=staged)


def _write(graph: str, *, replace: bool) -> None:
    """Validate the body in context (the same gate as a submission), then write it in one update. A graph
    replaced is judged by what the store holds besides it, with what remains of the nodes it described."""
    staged = staged_body(graph)
    store = app_state().store()
    with app_state().one_write_at_a_time():
        emptied = (graph,) if replace and store.has_graph(graph) else ()
        check_staged(store, staged, emptied=emptied, source="the request body")
        store.write_graphs({graph: staged.ntriples()}, replace=replace)


def check_staged(store: Store, staged: Staged, *, emptied: tuple[str, ...], source: str) -> None:
    """Validate staged data in the store without the `emptied` graphs, with what remains of the nodes those
    described (staged beside it for the time of the check: only the data itself is written)."""
    try:
        if emptied:
            stage_what_remains(store, None, emptied, into=staged)
        if len(staged):
            report = app_state().validator().validate_staged(staged, store, ignoring=emptied)
            if not report.conforms:
                raise ValidationFailed(report, source=source)
    finally:
        staged.dataset.remove_graph(ox.NamedNode(REMAINING_GRAPH))


STORE_TYPES = {"json": "application/json", "trig": "application/trig", "nquads": "application/n-quads"}
"""What GET /store without a graph answers: the list of named graphs, or every graph in a dataset format."""


def _the_store(store: Store) -> Response:
    """The named graphs as a JSON list, or the whole dataset when a dataset format is asked for (as `GET`
    on Oxigraph's store does)."""
    media_type = choose(STORE_TYPES)
    if media_type == STORE_TYPES["json"]:
        response = jsonify(graphs=store.named_graphs())
    else:
        response = spooled(lambda out: store.dump_dataset(rdf_format(media_type), out), media_type)
    response.vary.add("Accept")
    return response


@blueprint.route("/store", methods=METHODS, defaults={"rest": None})
@blueprint.route("/store/<path:rest>", methods=METHODS)
def graph_store(rest: str | None) -> Response:
    only_parameters("graph", "default")
    graph = target_graph(direct=rest is not None)
    store = app_state().store()
    if request.method in ("GET", "HEAD"):
        if graph is None:
            return _the_store(store)
        if not store.has_graph(graph):
            raise Problem(404, "Not found", f"There is no graph <{graph}> in this store.")
        return graph_response(store, graph, choose(RDF_TYPES))
    require_writer()
    refuse_unwritable([graph] if graph else [])
    existed = graph is not None and store.has_graph(graph)
    if request.method == "DELETE":
        if graph is None:
            raise Problem(400, "Bad request", "DELETE names a graph: ?graph=IRI or ?default.")
        if not existed:
            raise Problem(404, "Not found", f"There is no graph <{graph}> to delete.")
        with app_state().one_write_at_a_time():
            check_staged(store, Staged(), emptied=(graph,), source=f"what deleting <{graph}> leaves")
            store.drop_graph(graph)
        return Response(status=204)
    if graph is None and request.method == "PUT":
        raise Problem(400, "Bad request", "PUT names the graph it replaces: ?graph=IRI or ?default.")
    if graph is None:  # POST to the store itself: a new graph, named by the server
        graph = f"{request.host_url}store/graph/{uuid.uuid4()}"
        _write(graph, replace=False)
        return _created(graph)
    _write(graph, replace=request.method == "PUT")
    return Response(status=204) if existed else _created(graph)


def _created(graph: str) -> Response:
    """201 for a new graph: its IRI as `Location` and as a JSON body (an empty body would go out typed
    text/html)."""
    response = jsonify(graph=graph)
    response.status_code = 201
    response.headers["Location"] = graph
    return response
