"""The row limit on SELECT results: the query is asked for one row more than the limit, and when that row
comes back the answer is cut to the limit and says so in `X-Bilateral-Truncated`.

The limit is written into the query's own solution modifiers (a LIMIT added, or a larger one lowered), so
the engine stops early. Results come from the engine as SPARQL JSON and are rewritten by Oxigraph in the
format the client asked for.
"""

from __future__ import annotations

import json
import re

import pyoxigraph as ox

from graph.formats import results_format
from graph.sparql_text import blank_literals

TRUNCATED = "X-Bilateral-Truncated"
_LIMIT = re.compile(r"\bLIMIT\s+(\d+)", re.IGNORECASE)
_BRACE = re.compile(r"[{}]")
_TRAILING_VALUES = re.compile(r"\bVALUES\s*(\?\w+|\$\w+|\([^)]*\))\s*$", re.IGNORECASE)


def limited_query(query: str, limit: int) -> str | None:
    """The query asking for at most `limit` + 1 rows, or None when its own LIMIT is already within `limit`.
    A LIMIT goes after the WHERE's solution modifiers, before a trailing VALUES block.

    >>> limited_query("SELECT * { ?s ?p ?o } ORDER BY ?s", 10)
    'SELECT * { ?s ?p ?o } ORDER BY ?s\\nLIMIT 11'
    >>> limited_query("SELECT * { ?s ?p ?o } LIMIT 500 OFFSET 3", 10)
    'SELECT * { ?s ?p ?o } LIMIT 11 OFFSET 3'
    >>> limited_query("SELECT * { ?s ?p ?o } VALUES ?s { 1 }", 10)
    'SELECT * { ?s ?p ?o } \\nLIMIT 11\\nVALUES ?s { 1 }'
    >>> limited_query("SELECT * { ?s ?p ?o } LIMIT 5", 10) is None
    True
    """
    blanked = blank_literals(query)
    depth, groups, opened = 0, [], -1
    for brace in _BRACE.finditer(blanked):
        if brace.group() == "{":
            if depth == 0:
                opened = brace.start()
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                groups.append((opened, brace.start()))
    if not groups:
        return None
    end_of_modifiers = len(query)
    head = blanked[: groups[-1][0]]
    if len(groups) > 1 and "VALUES" in head.upper() and (values := _TRAILING_VALUES.search(head)):
        end_of_modifiers = values.start()  # `… } ORDER BY ?s VALUES ?s { … }`: the WHERE is the group before
        groups = [group for group in groups if group[1] < end_of_modifiers]
    end_of_body = groups[-1][1]
    found = _LIMIT.search(blanked, end_of_body + 1, end_of_modifiers)
    if found is None:
        return f"{query[:end_of_modifiers]}\nLIMIT {limit + 1}" + (
            f"\n{query[end_of_modifiers:]}" if end_of_modifiers < len(query) else ""
        )
    if int(found.group(1)) <= limit:
        return None
    return query[: found.start(1)] + str(limit + 1) + query[found.end(1) :]


_ROW_BOUNDARY = re.compile(rb"\}[ \t\r\n]*,[ \t\r\n]*\{")
"""Between two rows of SPARQL JSON bindings: `}`, a comma, `{`. Inside a row a comma is followed by a
variable's name (`"`), so the count of these is at least the number of rows less one."""


def may_hold_more_than(results_json: bytes, limit: int) -> bool:
    """False when SPARQL JSON results surely hold at most `limit` rows, found without parsing them: too few
    bytes, or too few row boundaries. True means only that a parse must tell.

    >>> body = b'{"head":{"vars":["s"]},"results":{"bindings":[{"s":{"type":"literal","value":"1"}}, {}]}}'
    >>> may_hold_more_than(body, 1), may_hold_more_than(body, 2)
    (True, False)
    """
    if len(results_json) < 2 * (limit + 1):  # each row takes at least two bytes ("{}")
        return False
    return len(_ROW_BOUNDARY.findall(results_json)) >= limit  # fewer boundaries: at most limit rows


def cut(results_json: bytes, limit: int | None, media_type: str) -> tuple[bytes, bool]:
    """SPARQL JSON results cut to `limit` rows (None: not cut) and written as `media_type`; whether anything
    was cut."""
    target = results_format(media_type)
    truncated = False
    if limit is not None and may_hold_more_than(results_json, limit):
        document = json.loads(results_json)
        bindings = document["results"]["bindings"]
        truncated = len(bindings) > limit
        if truncated:
            document["results"]["bindings"] = bindings[:limit]
            results_json = json.dumps(document).encode("utf-8")
    if target == ox.QueryResultsFormat.JSON:
        return results_json, truncated
    solutions = ox.parse_query_results(results_json, ox.QueryResultsFormat.JSON)
    written = solutions.serialize(format=target)  # into memory: the GIL taken once (see EmbeddedStore)
    assert written is not None
    return written, truncated
