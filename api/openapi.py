"""The OpenAPI 3.1 description of the routes that are not SPARQL (the SPARQL 1.1 Protocol describes `/sparql`)."""

from __future__ import annotations

from typing import Any

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
RDF_OUT = {
    t: {"schema": {"type": "string"}}
    for t in (
        "text/turtle",
        "application/n-triples",
        "application/n-quads",
        "application/trig",
        "application/ld+json",
        "application/rdf+xml",
    )
}
GRAPH_PARAMS = [
    {"name": "graph", "in": "query", "schema": {"type": "string", "format": "iri"}, "description": "a named graph"},
    {
        "name": "default",
        "in": "query",
        "schema": {"type": "string"},
        "allowEmptyValue": True,
        "description": "the default graph (stored as graph/default)",
    },
]
WRITE: dict[str, Any] = {"security": [{"bearer": []}]}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(c): {"description": "a problem (RFC 9457)", "content": PROBLEM} for c in codes}


OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "bilateral",
        "version": "0.1.0",
        "description": "A knowledge graph of bilateral relations between states. SPARQL 1.1 Protocol at "
        "/sparql (see https://www.w3.org/TR/sparql11-protocol/).",
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Problem": {
                "type": "object",
                "properties": {
                    "type": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "detail": {"type": "string"},
                    "instance": {"type": "string"},
                },
            }
        },
    },
    "paths": {
        "/": {
            "get": {
                "summary": "What the graph holds, example queries, a query form",
                "responses": {"200": {"description": "an HTML page", "content": {"text/html": {}}}},
            }
        },
        "/store": {
            "get": {
                "summary": "Read a graph (or, with no parameter, list the named graphs)",
                "parameters": GRAPH_PARAMS,
                "responses": {"200": {"description": "the graph", "content": RDF_OUT}, **_errors(404, 406)},
            },
            "head": {
                "summary": "Whether a graph exists",
                "parameters": GRAPH_PARAMS,
                "responses": {"200": {"description": "it exists"}, "404": {"description": "it does not"}},
            },
            "put": {
                "summary": "Replace a graph",
                "parameters": GRAPH_PARAMS,
                **WRITE,
                "responses": {
                    "201": {"description": "created"},
                    "204": {"description": "replaced"},
                    **_errors(400, 401, 403, 413, 415),
                },
            },
            "post": {
                "summary": "Add to a graph; with no parameter, create a graph (Location)",
                "parameters": GRAPH_PARAMS,
                **WRITE,
                "responses": {
                    "201": {"description": "created"},
                    "204": {"description": "added"},
                    **_errors(400, 401, 403, 413, 415),
                },
            },
            "delete": {
                "summary": "Delete a graph",
                "parameters": GRAPH_PARAMS,
                **WRITE,
                "responses": {"204": {"description": "deleted"}, **_errors(401, 403, 404)},
            },
        },
        "/ontology": {
            "get": {"summary": "The ontology", "responses": {"200": {"description": "RDF", "content": RDF_OUT}}}
        },
        "/shapes": {
            "get": {"summary": "The SHACL shapes", "responses": {"200": {"description": "RDF", "content": RDF_OUT}}}
        },
        "/health": {
            "get": {
                "summary": "Liveness",
                "responses": {"200": {"description": "status", "content": {"application/json": {}}}},
            }
        },
        "/openapi.json": {"get": {"summary": "This description", "responses": {"200": {"description": "OpenAPI"}}}},
    },
}
