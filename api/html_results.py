"""Query answers as an HTML page, for people with a browser: `format=html` on `/sparql`, which the home
page's form and example links ask for.

Any form of query: a SELECT's rows, an ASK's verdict, a CONSTRUCT's or DESCRIBE's triples. Every IRI is a
link to the DESCRIBE of it on this server (as a page too), so that a reader can walk the graph from one
answer to the next; an IRI is never itself a link target (`javascript:` is an IRI). The page is laid out
from the answer in SPARQL JSON or N-Triples (`api.query_answers.answer_query`), so its row limit, time
limit and refusals are those of any answer, and the cut is said above the table. Only the `format`
parameter asks for it: an Accept header of `text/html` (every browser's) keeps getting the usual formats,
as SPARQL clients expect.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox

from api.row_limit import TRUNCATED
from api.tables import short

HTML = "text/html"
_STYLE = (
    "body{font-family:sans-serif;margin:2rem;padding:0 1rem}pre{font-size:.9rem;white-space:pre-wrap}"
    "table{border-collapse:collapse}th,td{border-bottom:1px solid #ddd;padding:.2rem .8rem;text-align:left;"
    "vertical-align:top}.note{color:#555}.kind{color:#777;font-size:.85rem}"
)


def html_answer(answer_as: Callable[[str], Any], text: str, form: str) -> tuple[bytes, dict[str, str]]:
    """The page answering query `text` of form `form`, and the headers of the answer it is made from;
    `answer_as(format)` answers the query in a format (a `QueryAnswer`)."""
    graph = form in ("CONSTRUCT", "DESCRIBE")
    answer = answer_as("ntriples" if graph else "json")
    if graph:
        triples = ox.parse(answer.body, ox.RdfFormat.N_TRIPLES)
        head = ["subject", "predicate", "object"]
        rows = [[_cell(t.subject), _cell(t.predicate), _cell(t.object)] for t in triples]
        other = ("turtle", "ntriples", "jsonld")
    else:
        results = ox.parse_query_results(answer.body, ox.QueryResultsFormat.JSON)
        if isinstance(results, ox.QueryBoolean):
            return _page(text, f"<p><strong>{'true' if results else 'false'}</strong></p>", ("json",)), {}
        head = [variable.value for variable in results.variables]
        rows = [[_cell(solution[name]) for name in head] for solution in results]
        other = ("json", "csv", "tsv")
    cut = f'<p class="note">{escape(answer.headers[TRUNCATED])}.</p>' if TRUNCATED in answer.headers else ""
    counted = f"{len(rows):,} {'triple' if graph else 'row'}{'' if len(rows) == 1 else 's'}"
    header = "".join(f"<th>{escape(name)}</th>" for name in head)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    table = f'<p class="note">{counted}</p>{cut}<table><tr>{header}</tr>{body}</table>'
    return _page(text, table, other), dict(answer.headers)


def _page(text: str, content: str, formats: tuple[str, ...]) -> bytes:
    links = " · ".join(f'<a href="?{escape(urlencode({"query": text, "format": f}))}">{f}</a>' for f in formats)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bilateral: query results</title><style>{_STYLE}</style></head>
<body><p><a href="./">bilateral</a></p><pre>{escape(text)}</pre>
<p class="note">Also as {links}.</p>{content}</body></html>""".encode()


def _cell(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None) -> str:
    """A term as a table cell: an IRI as its short name, a link to its DESCRIBE; a literal's value, with its
    language or datatype beside it."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        describe = escape(urlencode({"query": f"DESCRIBE <{term.value}>", "format": "html"}))
        return f'<a href="?{describe}" title="{escape(term.value)}">{escape(short(term))}</a>'
    if isinstance(term, ox.Literal):
        kind = f"@{term.language}" if term.language else short(term.datatype)
        shown = "" if kind == "xsd:string" else f' <span class="kind">{escape(kind)}</span>'
        return escape(term.value) + shown
    if isinstance(term, ox.BlankNode):
        return escape(f"_:{term.value}")
    return escape(short(term))
