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


def _query(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": {"type": "string"}, "description": description}


JSON = {"application/json": {"schema": {"type": "object"}}}
NETWORK_FILTERS = [
    _query("country", "alpha-3 codes, repeatable"),
    _query("depth", "hops around them"),
    _query("from", "a day (YYYY-MM-DD), month (YYYY-MM) or year (YYYY): its first day"),
    _query("to", "a day (YYYY-MM-DD), month (YYYY-MM) or year (YYYY): its last day"),
    _query("type", "relation types, repeatable"),
    _query("source", "source IRIs, repeatable"),
    _query("min_sources", "a number"),
    _query("events", "true"),
]
FORMAT = _query("format", "json (the default) or csv")


def _errors(*codes: int) -> dict[str, Any]:
    return {str(c): {"description": "a problem (RFC 9457)", "content": PROBLEM} for c in codes}


OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "bilateral",
        "version": "0.1.0",
        "description": "A knowledge graph of bilateral relations between states. SPARQL 1.1 Protocol at "
        "/sparql (see https://www.w3.org/TR/sparql11-protocol/). Request bodies may be gzip-compressed "
        "(Content-Encoding: gzip; another coding answers 415); the size limit applies to them decompressed.",
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
                "summary": "Read a graph; with no parameter, the graphs' names (JSON), or all of them (TriG, N-Quads)",
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
                    "201": {"description": "created: its IRI as Location and as {graph}", "content": JSON},
                    "204": {"description": "replaced"},
                    **_errors(400, 401, 403, 413, 415, 422, 503, 507),
                },
            },
            "post": {
                "summary": "Add to a graph; with no parameter, create a graph (Location)",
                "parameters": GRAPH_PARAMS,
                **WRITE,
                "responses": {
                    "201": {"description": "created: its IRI as Location and as {graph}", "content": JSON},
                    "204": {"description": "added"},
                    **_errors(400, 401, 403, 413, 415, 422, 503, 507),
                },
            },
            "delete": {
                "summary": "Delete a graph (refused with the report if what it leaves violates the shapes)",
                "parameters": GRAPH_PARAMS,
                **WRITE,
                "responses": {"204": {"description": "deleted"}, **_errors(401, 403, 404, 422, 503, 507)},
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
        "/submissions": {
            "post": {
                "summary": "Submit facts (Turtle, TriG, N-Triples or JSON-LD), checked against the shapes in context",
                "parameters": [
                    _query("source", "the cited source's IRI"),
                    _query("source_title", "or its title"),
                    _query("source_url", "and its URL"),
                    _query("comment", "a note kept with it"),
                ],
                **WRITE,
                "responses": {
                    "201": {"description": "stored; Location names it", "content": JSON},
                    "200": {"description": "the same facts were submitted before", "content": JSON},
                    **_errors(400, 401, 403, 413, 415, 422, 503, 507),
                },
            },
            "get": {
                "summary": "The submissions, newest first",
                "parameters": [_query("page", "from 1"), _query("size", "1 to 500")],
                "responses": {"200": {"description": "one page", "content": JSON}, **_errors(400)},
            },
        },
        "/submissions/{key}": {
            "parameters": [{"name": "key", "in": "path", "required": True, "schema": {"type": "string"}}],
            "get": {
                "summary": "A submission's record (JSON) or facts (RDF)",
                "responses": {"200": {"description": "it", "content": {**JSON, **RDF_OUT}}, **_errors(404)},
            },
            "delete": {
                "summary": "Retract it (curators)",
                **WRITE,
                "responses": {
                    "200": {"description": "its record", "content": JSON},
                    **_errors(401, 403, 404, 503, 507),
                },
            },
        },
        "/validate": {
            "post": {
                "summary": "The submission check, writing nothing",
                "responses": {"200": {"description": "conforms", "content": JSON}, **_errors(400, 413, 415, 422)},
            },
        },
        "/export/{format}": {
            "parameters": [
                {
                    "name": "format",
                    "in": "path",
                    "required": True,
                    "schema": {
                        "type": "string",
                        "enum": [
                            "gexf",
                            "graphml",
                            "cytoscape",
                            "cx2",
                            "d3",
                            "graphology",
                            "dot",
                            "csv",
                            "nquads",
                            "trig",
                            "turtle",
                        ],
                    },
                }
            ],
            "get": {
                "summary": "The network for visualization tools (with the filters), or an RDF dump (with graph)",
                "parameters": [*NETWORK_FILTERS, _query("graph", "a graph to dump alone (turtle needs one)")],
                "responses": {"200": {"description": "a file to download"}, **_errors(400, 404)},
            },
        },
        "/network/centrality": {
            "get": {
                "summary": "States ranked by centrality",
                "parameters": [
                    _query("measure", "degree, betweenness or eigenvector"),
                    _query("top", "how many states (20)"),
                    FORMAT,
                    *NETWORK_FILTERS,
                ],
                "responses": {"200": {"description": "ranked states", "content": JSON}, **_errors(400)},
            },
        },
        "/network/path": {
            "get": {
                "summary": "Shortest relation paths between two states, with the facts on each hop",
                "parameters": [_query("from", "alpha-3 code"), _query("to", "alpha-3 code")],
                "responses": {"200": {"description": "paths", "content": JSON}, **_errors(400, 404)},
            },
        },
        "/network/dyad/{a}/{b}/timeline": {
            "parameters": [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}} for n in "ab"],
            "get": {
                "summary": "Events of a pair of states per period and type, with Goldstein sums",
                "parameters": [
                    _query("from", "a day (YYYY-MM-DD), month (YYYY-MM) or year (YYYY): its first day"),
                    _query("to", "a day (YYYY-MM-DD), month (YYYY-MM) or year (YYYY): its last day"),
                    _query("by", "year, month or day"),
                    FORMAT,
                ],
                "responses": {"200": {"description": "the timeline", "content": JSON}, **_errors(400)},
            },
        },
    },
}
