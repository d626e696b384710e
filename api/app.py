"""The Flask application: `create_app(settings, store_factory)` wires the routes, errors and CORS.

Settings come from the entry point (`bilateral serve`, or a test); the factory opens the store each request
uses, with the request's time limit: the worker's embedded store, a remote `Store`, or any given store.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_cors import CORS

from api import exports, graph_store, network_routes, pages, problems, sparql_protocol, submissions
from api.compression import gzip_downloads
from api.context import AppState, StoreFactory, app_state
from api.fast_reads import FastReads
from api.request_bodies import RequestBodies
from api.settings import Settings

READ_ROUTES = r"^/(sparql|store.*|ontology|shapes|health|openapi\.json|export/.*|network/.*)$"


def create_app(settings: Settings, open_store: StoreFactory) -> Flask:
    app = Flask("bilateral")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    state = app.extensions["bilateral"] = AppState(settings, open_store)
    problems.install(app)
    for module in (sparql_protocol, graph_store, pages, submissions, exports, network_routes):
        app.register_blueprint(module.blueprint)
    # Reads are open to pages and notebooks on other origins; writes still need a token.
    CORS(
        app,
        resources={READ_ROUTES: {"origins": "*"}},
        expose_headers=["Location", "X-Bilateral-Truncated"],
        allow_headers=["Authorization", "Content-Type", "Accept"],
    )
    app.after_request(_no_type_without_content)
    app.after_request(_forget_pages_after_a_write)
    app.after_request(gzip_downloads)
    # Chunked or gzipped bodies are left to Flask by the fast path; read whole, or refused, first.
    app.wsgi_app = RequestBodies(app.wsgi_app, settings.max_body_bytes)  # type: ignore[method-assign]
    app.wsgi_app = FastReads(app.wsgi_app, state)  # type: ignore[method-assign]
    return app


def _forget_pages_after_a_write(response: Response) -> Response:
    """A write through this server may change what the pages count: they count again on their next view."""
    if request.method in ("POST", "PUT", "DELETE") and response.status_code < 300:
        app_state().page_cache.clear()
    return response


def _no_type_without_content(response: Response) -> Response:
    """A 204 carries no content, so no Content-Type (Flask would call its nothing text/html)."""
    if response.status_code == 204:
        response.headers.pop("Content-Type", None)
    return response
