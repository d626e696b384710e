"""`/sparql`: the SPARQL 1.1 Protocol. Queries by GET, form POST and direct POST; updates by form POST and
direct POST with a token; the protocol's dataset parameters; results in every standard format; and a
Service Description for a GET without a query."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, current_app, request
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF

from api.auth import require_writer
from api.context import app_state
from api.load_operation import run_if_a_load
from api.negotiation import RDF as RDF_TYPES
from api.negotiation import choose, content_type
from api.problems import Problem
from api.query_answers import QueryRequest, answer_query, check_reach, requested_timeout
from api.update_gate import check_update
from graph.sparql_text import DATASET_CLAUSE, blank_literals, with_dataset
from graph.store import Dataset

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")

blueprint = Blueprint("sparql", __name__)


def _single(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise Problem(400, "Bad request", f"The request has {len(values)} '{name}' parameters; send exactly one.")
    return values[0] if values else None


def _body_text() -> str:
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise Problem(415, "Unsupported media type", f"charset={charset} is not accepted: SPARQL requests are UTF-8.")
    try:
        return request.get_data().decode("utf-8")
    except UnicodeDecodeError as error:
        raise Problem(400, "Bad request", f"The body is not valid UTF-8 (byte {error.start}).") from None


def read_operation() -> tuple[str, str | None, Dataset]:
    """('query' | 'update' | 'none', the text, the protocol dataset) of this request."""
    if request.method in ("GET", "HEAD"):  # HEAD: what GET would answer, without the body
        if request.args.getlist("update"):
            raise Problem(405, "Method not allowed", "Updates are sent by POST, never GET.", {"Allow": "POST"})
        text = _single(request.args.getlist("query"), "query")
        return ("query" if text is not None else "none"), text, _dataset(request.args.getlist, "query")
    kind = request.mimetype
    if kind == "application/x-www-form-urlencoded":
        _body_text()
        queries, updates = request.form.getlist("query"), request.form.getlist("update")
        if queries and updates:
            raise Problem(400, "Bad request", "Send either a 'query' or an 'update' parameter, not both.")
        op = "update" if updates else "query"
        text = _single(updates or queries, op)
        if text is None:
            raise Problem(400, "Bad request", "The form has no 'query' or 'update' parameter.")
        return op, text, _dataset(lambda n: request.form.getlist(n) + request.args.getlist(n), op)
    if kind in ("application/sparql-query", "application/sparql-update"):
        op = "query" if kind.endswith("query") else "update"
        return op, _body_text(), _dataset(request.args.getlist, op)
    raise Problem(
        415,
        "Unsupported media type",
        f"A POST to /sparql is application/sparql-query, application/sparql-update or "
        f"application/x-www-form-urlencoded; this one is {kind or 'untyped'}. Set Content-Type.",
    )


def _dataset(values: Callable[[str], list[str]], op: str) -> Dataset:
    if op == "update":
        return Dataset(tuple(values("using-graph-uri")), tuple(values("using-named-graph-uri")))
    return Dataset(tuple(values("default-graph-uri")), tuple(values("named-graph-uri")))


@blueprint.route("/sparql", methods=["GET", "POST"])
def sparql() -> Response:
    op, text, dataset = read_operation()
    if op == "none" or text is None:
        return service_description()
    state = app_state()
    if op == "update":
        store = state.store()
        check_reach(state.settings, store, text, dataset, is_query=False)
        require_writer()
        if dataset and DATASET_CLAUSE.search(blank_literals(text)):
            raise Problem(
                400,
                "Bad request",
                "The update names its own graphs with USING or WITH and the request "
                "adds using-graph-uri / using-named-graph-uri; keep only one of the two.",
            )
        if run_if_a_load(store, text, state.settings, request.base_url, state.one_write_at_a_time):
            return Response(status=204)  # fetched and checked here, not by the engine
        with state.one_write_at_a_time():
            # Judged as the engine runs it: the protocol's using-graph-uri as USING clauses.
            judged = with_dataset(text, list(dataset.default), list(dataset.named)) if dataset else text
            check_update(store, judged, state.validator(), base_iri=request.base_url)
            store.update(text, dataset or None, base_iri=request.base_url)
        return Response(status=204)
    store = state.store(timeout=requested_timeout(state.settings, request.values.get("timeout")))
    asked = QueryRequest(
        text, dataset, request.values.get("format"), request.headers.get("Accept", ""), request.base_url
    )
    answer = answer_query(state.settings, store, asked)
    response = Response(answer.body, status=200, content_type=content_type(answer.media_type), headers=answer.headers)
    response.vary.add("Accept")
    return response


def service_description() -> Response:
    graph = Graph()
    graph.bind("sd", SD)
    service = BNode()
    endpoint = URIRef(request.base_url)
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, endpoint))
    for language in (SD.SPARQL11Query, SD.SPARQL11Update):
        graph.add((service, SD.supportedLanguage, language))
    graph.add((service, SD.feature, SD.UnionDefaultGraph))
    for name in (
        "SPARQL_Results_JSON",
        "SPARQL_Results_XML",
        "SPARQL_Results_CSV",
        "SPARQL_Results_TSV",
        "Turtle",
        "N-Triples",
        "N-Quads",
        "TriG",
        "JSON-LD",
        "RDF_XML",
    ):
        graph.add((service, SD.resultFormat, FORMATS[name]))
    graph.add((service, SD.defaultEntailmentRegime, URIRef("http://www.w3.org/ns/entailment/Simple")))
    graph.add((service, URIRef("http://purl.org/dc/terms/title"), Literal(current_app.name)))
    media_type = choose(RDF_TYPES)
    fmt = {v: k for k, v in RDF_TYPES.items()}[media_type]
    rdflib_names = {
        "turtle": "turtle",
        "ntriples": "nt",
        "nquads": "nquads",
        "trig": "trig",
        "jsonld": "json-ld",
        "rdfxml": "xml",
    }
    body = graph.serialize(format=rdflib_names[fmt], encoding="utf-8")
    return Response(body, content_type=content_type(media_type))
