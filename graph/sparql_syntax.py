"""Syntax errors: the nesting refused before any SPARQL parser sees it, and the errors parsers report.

Oxigraph's parser recurses, so a query nested deep enough overflows a thread's stack and ends the process;
`refuse_deep_nesting` refuses such text first, with the line and column, as any other syntax error.
`syntax_error` turns an engine's message into a QuerySyntaxError carrying the place it names, in plain words
(`graph.syntax_messages`).
"""

from __future__ import annotations

import re

import pyoxigraph as ox

from graph.errors import QuerySyntaxError
from graph.sparql_text import blank_literals, line_and_column, recent_texts
from graph.syntax_messages import readable

MAX_NESTING = 64
"""The deepest a query or update may nest `(`, `[` and `{`, and the most unary operators (`!`, `-`, `+`) it
may chain. Oxigraph's parser recurses: on a thread's usual 8 MB stack some 2,200 nested groups or 4,700
nested parentheses overflow it and end the process (SIGSEGV), a server's worker with every request in it;
and nested blank nodes in a pattern take time that grows steeply with depth (0.24 s at 64, 3.2 s at 128)."""
PARSER_STACK_BYTES = 256 * 1024 * 1024
"""The stack a thread that hands text to Oxigraph's parser should have (address space, used only as deep as
a call goes). The parser recurses once per operator of a chain too: `1 + 1 + …` of 8,000 terms overflowed
8 MB; on this stack such a chain runs into any time limit (its parsing takes time growing with its square:
19 s for 30,000 terms) long before the stack's end."""
_BRACKET = re.compile(r"[()\[\]{}]")
_UNARY = re.compile(r"[!+-]")
_UNARY_RUN = re.compile(rf"(?:[!+-]\s*){{{MAX_NESTING + 1},}}")


@recent_texts
def refuse_deep_nesting(text: str) -> None:
    """Raise QuerySyntaxError, at the place, if a query or update nests deeper than MAX_NESTING (strings,
    IRIs and comments aside). Counting the brackets first keeps this to a few microseconds for most texts.

    >>> refuse_deep_nesting("ASK { FILTER(" + "(" * 62 + "1" + ")" * 62 + ") }")  # 64 levels, the braces too
    >>> refuse_deep_nesting("ASK { FILTER(" + "(" * 63 + "1" + ")" * 63 + ") }")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    graph.errors.QuerySyntaxError: SPARQL syntax error: error at 1:76: the request nests brackets more than 64 deep; ...
    """
    brackets = text.count("(") + text.count("[") + text.count("{")
    if brackets <= MAX_NESTING and text.count("!") + text.count("-") + text.count("+") <= MAX_NESTING:
        return
    blanked = blank_literals(text)
    depth = 0
    for match in _BRACKET.finditer(blanked) if brackets > MAX_NESTING else ():
        depth += 1 if match.group() in "([{" else -1
        if depth > MAX_NESTING:
            raise _too_deep(text, match.start(), f"nests brackets more than {MAX_NESTING} deep")
    if run := _UNARY_RUN.search(blanked):
        past = [m.start() for m in _UNARY.finditer(blanked, run.start(), run.end())][MAX_NESTING]
        raise _too_deep(text, past, f"chains more than {MAX_NESTING} unary operators")


def _too_deep(text: str, at: int, what: str) -> QuerySyntaxError:
    line, column = line_and_column(text, at)
    return QuerySyntaxError(
        f"SPARQL syntax error: error at {line}:{column}: the request {what}; this server reads at most "
        f"{MAX_NESTING} levels, far more than a query needs. Write it flatter (VALUES, IN or UNION in place of "
        "nesting).",
        line=line,
        column=column,
    )


_POSITION = re.compile(r"(?:error at |line )(\d+)[:, ]+(?:column )?(\d+)")


def syntax_error(message: str, text: str | None = None, *, without_base: bool = False) -> QuerySyntaxError:
    """A QuerySyntaxError carrying the line and column an engine's message names, when it names them, in
    plain words (`readable`: `text`, the query or update, lets a bracket left open and an undeclared prefix
    be named, and a relative IRI when it was parsed `without_base`)."""
    message = readable(message, text, without_base=without_base)
    found = _POSITION.search(message)
    line, column = (int(found.group(1)), int(found.group(2))) if found else (None, None)
    return QuerySyntaxError(f"SPARQL syntax error: {message}", line=line, column=column)


def syntax_error_of(query: str, base_iri: str | None = None) -> QuerySyntaxError | None:
    """The syntax error Oxigraph's parser finds in a query, its relative IRIs resolved against `base_iri`, or
    None. The query is parsed against an empty store, so a query that parses reads nothing."""
    try:
        refuse_deep_nesting(query)
    except QuerySyntaxError as error:
        return error
    try:
        ox.Store().query(query, base_iri=base_iri)
    except SyntaxError as error:
        return syntax_error(str(error), query, without_base=base_iri is None)
    return None
