"""The routes for people and probes: `/` (what the graph holds, example queries, a query form that works
without JavaScript), `/ontology` and `/shapes` (content-negotiated), `/health` and `/openapi.json`."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from html import escape
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify

from api.context import app_state
from api.graph_store import graph_response
from api.negotiation import RDF as RDF_TYPES
from api.negotiation import choose
from api.openapi import OPENAPI
from graph.namespaces import ONTOLOGY_GRAPH, SHAPES_GRAPH

blueprint = Blueprint("pages", __name__)

EXAMPLES = {
    "Meetings between heads of state and government, with their dates": """PREFIX bl: <https://w3id.org/bilateral/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?meeting ?label ?earliest ?latest WHERE {
  ?meeting a/rdfs:subClassOf* bl:Meeting ; rdfs:label ?label ; bl:earliest ?earliest ; bl:latest ?latest .
} ORDER BY ?earliest""",
    "Events in August 2025, whatever the precision of their dates": """PREFIX bl: <https://w3id.org/bilateral/ontology#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
SELECT DISTINCT ?event WHERE {
  ?event bl:earliest ?e ; bl:latest ?l .
  FILTER (?e <= "2025-08-31"^^xsd:date && ?l >= "2025-08-01"^^xsd:date)
}""",
    "Disputes between South Korea and Japan": """PREFIX bl: <https://w3id.org/bilateral/ontology#>
PREFIX country: <https://w3id.org/bilateral/id/country/>
SELECT DISTINCT ?dispute ?status WHERE { ?dispute bl:party country:KOR , country:JPN ; bl:status ?status }""",
}
COUNTS = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE {
  ?s a ?class . FILTER (STRSTARTS(STR(?class), "https://w3id.org/bilateral/ontology#"))
} GROUP BY ?class ORDER BY DESC(?n) ?class"""
_SOURCE = "?class rdfs:subClassOf* bl:Source . ?source a ?class"
_SOURCE_PREFIXES = """PREFIX bl: <https://w3id.org/bilateral/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dct: <http://purl.org/dc/terms/>
"""
ALL_SOURCES = f"""{_SOURCE_PREFIXES}SELECT ?source (SAMPLE(?name) AS ?title) WHERE {{
  {_SOURCE} OPTIONAL {{ ?source dct:title|rdfs:label ?name }}
}} GROUP BY ?source ORDER BY ?source"""
SOURCES_SHOWN = 50
"""How many sources the page lists (a store of news articles cites thousands); a link lists them all."""
SOURCES = f"""{_SOURCE_PREFIXES}SELECT ?source (SAMPLE(?name) AS ?title) WHERE {{
  {{ SELECT DISTINCT ?source WHERE {{ {_SOURCE} }} ORDER BY ?source LIMIT {SOURCES_SHOWN} }}
  OPTIONAL {{ ?source dct:title|rdfs:label ?name }}
}} GROUP BY ?source ORDER BY ?source"""
SOURCE_COUNT = f"{_SOURCE_PREFIXES}SELECT (COUNT(DISTINCT ?source) AS ?n) WHERE {{ {_SOURCE} }}"
SUMMARY_TTL_S = 60.0
"""How long the page's counts are kept: counting a store of a million triples by class takes about a
second, which a page anyone may load should not cost each time. A write through this server forgets them."""


def _rows(query: str) -> list[list[str]]:
    return [[str(t) if t is not None else "" for t in row] for row in app_state().store().select(query)]


def _summary() -> str:
    """What the graph holds, as HTML: the instances of each class and the sources, counted at most once a
    SUMMARY_TTL_S and again after a write."""
    state = app_state()
    kept = state.page_cache.get("summary")
    if kept is not None and time.monotonic() - kept[0] < SUMMARY_TTL_S:
        return kept[1]
    counted = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    counts = "".join(f"<tr><td>{escape(c.rsplit('#', 1)[-1])}</td><td>{n}</td></tr>" for c, n in _rows(COUNTS))
    sources = "".join(f"<li><code>{escape(s)}</code> {escape(t)}</li>" for s, t in _rows(SOURCES))
    total = int(_rows(SOURCE_COUNT)[0][0] or 0)
    more = ""
    if total > SOURCES_SHOWN:
        link = escape(urlencode({"query": ALL_SOURCES, "format": "csv"}))
        more = f'<p>and {total - SOURCES_SHOWN:,} more: <a href="/sparql?{link}">list them all</a>.</p>'
    html = f"""<h2>What the graph holds</h2><p>Counted {counted}.</p>
<table><tr><th>class</th><th>instances</th></tr>{counts}</table>
<h2>Sources ({total:,})</h2><ul>{sources}</ul>{more}"""
    state.page_cache["summary"] = (time.monotonic(), html)
    return html


@blueprint.route("/")
def home() -> Response:
    examples = "".join(
        f'<li><a href="sparql?{escape(urlencode({"query": q, "format": "html"}))}">{escape(name)}</a>'
        f"<pre>{escape(q)}</pre></li>"
        for name, q in EXAMPLES.items()
    )
    first = escape(next(iter(EXAMPLES.values())))
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bilateral: a knowledge graph of bilateral relations</title>
<style>body{{font-family:sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}pre,textarea{{font-size:.9rem}}
table{{border-collapse:collapse}}td{{border-bottom:1px solid #ddd;padding:.2rem .8rem}}</style></head>
<body><h1>bilateral</h1>
<p>A knowledge graph of bilateral relations between states: leaders and their offices, meetings and visits,
disputes, alliances, and the sources that report them. SPARQL 1.1 at <a href="/sparql">/sparql</a>, graphs at
<a href="/store">/store</a>, the <a href="/ontology">ontology</a> and the <a href="/shapes">shapes</a>.</p>
<h2>Query</h2>
<form action="/sparql" method="get">
<textarea name="query" rows="8" cols="100">{first}</textarea><br>
<label>Results as <select name="format"><option value="html">a table</option><option>json</option>
<option>xml</option><option>csv</option><option>tsv</option></select></label> <button type="submit">Run</button></form>
<h2>Example queries</h2><ul>{examples}</ul>
{_summary()}
</body></html>"""
    return Response(page, content_type="text/html; charset=utf-8")


def _graph(name: str) -> Response:
    return graph_response(app_state().store(), name, choose(RDF_TYPES))


@blueprint.route("/ontology")
def ontology() -> Response:
    return _graph(ONTOLOGY_GRAPH)


@blueprint.route("/shapes")
def shapes() -> Response:
    return _graph(SHAPES_GRAPH)


@blueprint.route("/health")
def health() -> Response:
    state = app_state()
    alive = state.store(timeout=5).ask("ASK {}")
    return jsonify(status="ok" if alive else "degraded", readOnly=state.settings.read_only)


@blueprint.route("/openapi.json")
def openapi() -> Response:
    return jsonify(OPENAPI)
