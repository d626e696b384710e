"""`/submissions` and `/validate`: facts sent by researchers, checked in context, stored with their record
or refused with the reasons. The work is `graph/submissions.py`; this is its HTTP face."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request, url_for

from api.auth import require_writer
from api.context import app_state
from api.graph_store import graph_response
from api.negotiation import RDF as RDF_TYPES
from api.negotiation import content_type
from api.parameters import only_parameters, whole_number
from api.problems import Problem
from graph.errors import UnsupportedFormat, ValidationFailed
from graph.formats import rdf_format
from graph.parsing import Staged, stage
from graph.submissions import SourceCitation, get_submission, list_submissions, retract, submit

blueprint = Blueprint("submissions", __name__)
BODY_TYPES = ("text/turtle", "application/trig", "application/n-triples", "application/ld+json")
REPORT_TYPES = {"text/turtle": "turtle", "application/ld+json": "json-ld"}


def staged_request() -> Staged:
    kind = request.mimetype
    if kind not in BODY_TYPES:
        raise Problem(
            415,
            "Unsupported media type",
            f"A submission is one of {', '.join(BODY_TYPES)}; this one is {kind or 'untyped'}. Set Content-Type.",
        )
    try:
        fmt = rdf_format(kind)
    except UnsupportedFormat as error:
        raise Problem(415, "Unsupported media type", str(error)) from None
    return stage(request.get_data(), fmt, graph="urn:bilateral:submission", source="the request body")


def refusal(failure: ValidationFailed) -> Response:
    """422 with the report: problem+json, or the W3C report graph when the client asks for Turtle/JSON-LD."""
    wanted = request.accept_mimetypes.best_match(["application/problem+json", *REPORT_TYPES])
    if wanted in REPORT_TYPES and request.accept_mimetypes[wanted] > request.accept_mimetypes["application/json"]:
        body = failure.report.graph.serialize(format=REPORT_TYPES[wanted], encoding="utf-8")
        return Response(body, status=422, content_type=content_type(wanted))
    raise failure


@blueprint.route("/submissions", methods=["POST"])
def create() -> Response:
    only_parameters("source", "source_title", "source_url", "comment")
    submitter = require_writer()
    staged = staged_request()
    citation = SourceCitation(
        request.args.get("source"), request.args.get("source_title"), request.args.get("source_url")
    )
    state = app_state()
    try:
        with state.one_write_at_a_time():
            outcome = submit(
                state.store(),
                staged,
                submitter=submitter,
                citation=citation,
                comment=request.args.get("comment"),
                validator=state.validator(),
            )
    except ValidationFailed as failure:
        return refusal(failure)
    location = url_for("submissions.show", key=outcome.submission.id)
    body = {**outcome.submission.as_dict(), "duplicate": not outcome.created}
    response = jsonify(body)
    response.status_code = 201 if outcome.created else 200
    response.headers["Location"] = location
    return response


@blueprint.route("/validate", methods=["POST"])
def dry_run() -> Response:
    staged = staged_request()
    state = app_state()
    report = state.validator().validate_staged(staged, state.store())
    if not report.conforms:
        return refusal(ValidationFailed(report, source="the data"))
    return jsonify(conforms=True, warnings=[r.as_dict() for r in report.warnings])


@blueprint.route("/submissions", methods=["GET"])
def index() -> Response:
    only_parameters("page", "size")
    page, size = whole_number("page", 1), whole_number("size", 50)
    if page < 1 or size < 1:
        raise Problem(400, "Bad request", "page and size are 1 or more (size at most 500).")
    size = min(500, size)
    if (page - 1) * size >= 2**63:  # the engine's OFFSET is a 64-bit number
        raise Problem(400, "Bad request", f"page={page} is past the last page there can be; the first is page=1.")
    found = list_submissions(app_state().store(), limit=size + 1, offset=(page - 1) * size)
    body: dict[str, object] = {"page": page, "size": size, "submissions": [s.as_dict() for s in found[:size]]}
    if len(found) > size:
        body["next"] = url_for("submissions.index", page=page + 1, size=size)
    return jsonify(body)


@blueprint.route("/submissions/<key>", methods=["GET"])
def show(key: str) -> Response:
    store = app_state().store()
    submission = get_submission(store, key)
    wanted = request.accept_mimetypes.best_match(["application/json", *RDF_TYPES.values()])
    if wanted is not None and wanted in RDF_TYPES.values() and submission.status == "accepted":
        return graph_response(store, submission.graph, wanted)
    return jsonify(submission.as_dict())


@blueprint.route("/submissions/<key>", methods=["DELETE"])
def withdraw(key: str) -> Response:
    curator = require_writer()
    if curator not in app_state().settings.curators:
        raise Problem(
            403,
            "Forbidden",
            f"{curator!r} may submit but not retract; retraction is for curators (BILATERAL_CURATORS).",
        )
    with app_state().one_write_at_a_time():
        retracted = retract(app_state().store(), key, curator=curator)
    return jsonify(retracted.as_dict())
