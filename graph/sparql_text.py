"""Reading SPARQL text without evaluating it: the query form, and the operations that reach the network.

A small lexer blanks out comments, string literals and IRIs, so keywords are found only where they are
keywords. Evaluation and full parsing stay with the engine; this only decides how to ask for a result and
what to refuse before anything runs. One question needs a parser, whether an update's WHERE reads the
default graph (`reads_default_graph`): rdflib's answers it.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any, TypeVar, cast

from graph.errors import QuerySyntaxError, RefusedInput

_LEXEMES = re.compile(
    r"""
      (?P<comment>\#[^\n]*)
    | (?P<long>'''(?:[^'\\]|\\.|'(?!''))*'''|\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\")
    | (?P<short>'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")
    | (?P<iri><[^<>"{}|^`\\\s]*(?:\\(?:u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8})[^<>"{}|^`\\\s]*)*>)
    """,
    re.VERBOSE | re.DOTALL,
)
_FORM = re.compile(r"(SELECT|ASK|CONSTRUCT|DESCRIBE)(?![\w:-])")  # on upper-cased text: 2x faster
_NAME_CHAR = re.compile(r"[\w?$:-]")
"""Before a keyword, a character that makes it part of a name. Checked apart: as a lookbehind at the head of
a pattern it makes every search several times slower."""
_NETWORK = re.compile(r"(?<![\w?$:-])(SERVICE|LOAD)(?![\w:-])", re.IGNORECASE)
_TARGET = re.compile(r"\s*(?:SILENT\s*)?<([^>]*)>", re.IGNORECASE)


F = TypeVar("F", bound=Callable[..., Any])
CACHED_TEXT = 1 << 20
"""`recent_texts` keeps the last 62 texts up to this many characters, and of longer ones (an update carrying
megabytes of data, and its data block) only the last two, so that no cache holds more."""


def recent_texts(function: F) -> F:
    """Cache a function of a text (and further hashable arguments) for the last few texts, as lru_cache
    does, but keep only the last two texts longer than CACHED_TEXT."""
    short, long = lru_cache(maxsize=62)(function), lru_cache(maxsize=2)(function)

    @functools.wraps(function)
    def cached(text: str, *args: Any) -> Any:
        return (short if len(text) <= CACHED_TEXT else long)(text, *args)

    return cast(F, cached)


@recent_texts
def blank_literals(text: str) -> str:
    """The text with comments, strings and IRIs replaced by spaces of the same length (offsets kept).
    Kept for the last few texts: a request asks for its form, its network reach and its row limit."""
    return _LEXEMES.sub(lambda m: " " * len(m.group(0)), text)


def line_and_column(text: str, at: int) -> tuple[int, int]:
    """The line and column (from 1) of an offset in a text.

    >>> line_and_column("ASK {\\n  ?s ?p ?o }", 8)
    (2, 3)
    """
    return text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)


def iris_in(text: str) -> Iterator[tuple[str, int]]:
    """The IRIs a text writes (`<…>`), strings and comments aside, each with where it starts.

    >>> list(iris_in("ASK { <a> ?p '<b>' } # <c>"))
    [('a', 6)]
    """
    return ((m.group(0)[1:-1], m.start()) for m in _LEXEMES.finditer(text) if m.lastgroup == "iri")


def without_comments(text: str) -> str:
    """The text with its comments replaced by spaces (a `#` inside a string or an IRI is not one).

    >>> without_comments("<http://x/#a> 'b # c' # d")
    "<http://x/#a> 'b # c'    "
    """
    return _LEXEMES.sub(lambda m: " " * len(m.group(0)) if m.lastgroup == "comment" else m.group(0), text)


@recent_texts
def query_form(query: str) -> str:
    """The form of a query: ``SELECT``, ``ASK``, ``CONSTRUCT`` or ``DESCRIBE``; kept for the last few texts
    (every call to the store asks, and a query is often asked again).

    >>> query_form("PREFIX s: <http://x/SELECT#> # ASK me\\nCONSTRUCT WHERE { ?s ?p ?o }")
    'CONSTRUCT'
    """
    upper = blank_literals(query).upper()
    found = next(
        (m for m in _FORM.finditer(upper) if not m.start() or not _NAME_CHAR.match(upper, m.start() - 1)), None
    )
    if found is None and not query.strip():
        raise QuerySyntaxError("The query is empty: give the text of a SELECT, ASK, CONSTRUCT or DESCRIBE query.")
    if found is None:
        raise QuerySyntaxError(
            "The text is not a SPARQL query: it has no SELECT, ASK, CONSTRUCT or DESCRIBE. "
            "Updates (INSERT, DELETE, LOAD…) go to the update operation instead."
        )
    return found.group(1)


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def keywords(pattern: re.Pattern[str], blanked: str) -> Iterator[re.Match[str]]:
    """Where `pattern`, written in lower case, matches blanked text in any case, not inside a name. Searched
    in a copy lower-cased one character for one (ASCII only: `str.lower` may lengthen a text, shifting the
    offsets) with no leading `\\b`: a pattern that starts with a literal then skips along megabytes of
    INSERT DATA some twenty times faster than a case-blind one."""
    lowered = blanked.translate(_ASCII_LOWER)
    for match in pattern.finditer(lowered):
        if not match.start() or not _NAME_CHAR.match(lowered, match.start() - 1):
            yield match


_SELECT = re.compile(r"select(?![\w:-])")  # for `keywords`
_STAR = re.compile(r"\s*(?:(?:distinct|reduced)\s+)?\*", re.IGNORECASE)
_VARIABLE = re.compile(r"[?$](\w+)")


def _star(blanked: str) -> int | None:
    """Where the `*` of a `SELECT *` ends in a query's blanked text; None for any other projection."""
    select = next(keywords(_SELECT, blanked), None)
    star = select and _STAR.match(blanked, select.end())
    return star.end() if star else None


@recent_texts
def selects_all(query: str) -> bool:
    """Whether a query is a `SELECT *` (or `SELECT DISTINCT *`, `SELECT REDUCED *`); kept for the last few
    texts, as `query_form`.

    >>> selects_all("SELECT DISTINCT * { ?s ?p ?o }"), selects_all("SELECT ?s { ?s ?p ?o }")
    (True, False)
    """
    return _star(blank_literals(query)) is not None


def written_order(query: str, variables: list[str]) -> list[int]:
    """The columns of a `SELECT *` in the order their variables first appear in the query, as other engines
    give them (Oxigraph sorts them by name); of any other query, as projected.

    >>> written_order("SELECT * WHERE { ?z ?a ?m }", ["a", "m", "z"])
    [2, 0, 1]
    """
    blanked = blank_literals(query)
    star = _star(blanked)
    if star is None:
        return list(range(len(variables)))
    first: dict[str, int] = {}
    for found in _VARIABLE.finditer(blanked, star):
        first.setdefault(found.group(1), found.start())
    return sorted(range(len(variables)), key=lambda i: first.get(variables[i], len(blanked)))


def projected_as_written(query: str, variables: list[str]) -> str:
    """A `SELECT *` whose in-scope `variables` (the engine's) replace its `*`, in the order the query writes
    them, so that any engine answers its columns so; any other query as it is.

    >>> projected_as_written("SELECT * WHERE { ?z ?p ?a }", ["a", "p", "z"])
    'SELECT ?z ?p ?a WHERE { ?z ?p ?a }'
    """
    star = _star(blank_literals(query))
    if star is None or not variables:
        return query
    order = written_order(query, variables)
    return query[: star - 1] + " ".join(f"?{variables[i]}" for i in order) + query[star:]


def refuse_network(text: str, allowed: Callable[[str], bool] = lambda iri: False) -> None:
    """Refuse SERVICE and LOAD, which would make the engine fetch from the network, unless `allowed` says
    yes to the IRI they name.

    >>> refuse_network('SELECT ?service WHERE { ?s <http://x/LOAD> "SERVICE" }')
    >>> refuse_network("LOAD <http://example.org/data.ttl>")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    graph.errors.RefusedInput: LOAD fetches data from the network, which is refused here; load a local file ...
    """
    for keyword, iri in network_targets(text):
        if iri is not None and allowed(iri):
            continue
        if keyword == "LOAD":
            raise RefusedInput(
                "LOAD fetches data from the network, which is refused here; "
                "load a local file with `bilateral load FILE` instead."
            )
        raise RefusedInput(
            "SERVICE (federated query) reaches other endpoints over the network, which is refused here; "
            "query the other endpoint separately, or ask the operator to allow-list it."
        )


def network_targets(text: str) -> list[tuple[str, str | None]]:
    """Each SERVICE and LOAD in a request, with the IRI it names (None for a variable or a prefixed name).

    >>> network_targets("SELECT * { SERVICE SILENT <http://x/sparql> { ?s ?p ?o } SERVICE ?e {} }")
    [('SERVICE', 'http://x/sparql'), ('SERVICE', None)]
    """
    found: list[tuple[str, str | None]] = []
    blanked = blank_literals(text)
    upper = blanked.upper()
    if "SERVICE" not in upper and "LOAD" not in upper:
        return found
    for match in _NETWORK.finditer(blanked):
        iri = _TARGET.match(text, match.end())
        found.append((match.group(1).upper(), iri.group(1) if iri else None))
    return found


def _structure(text: str, chars: str, start: int = 0) -> Iterator[tuple[int, str]]:
    """Where `chars` occur in text from `start`, in order. Found by `str.find`, which skips along megabytes
    of data many times faster than a regular expression's character class."""
    next_at = {char: text.find(char, start) for char in chars}
    while found := [(position, char) for char, position in next_at.items() if position >= 0]:
        position, char = min(found)
        yield position, char
        next_at[char] = text.find(char, position + 1)


def operation_spans(update: str) -> list[tuple[int, int]]:
    """The spans of an update request's operations (split at semicolons outside groups, strings, IRIs)."""
    spans, depth, start = [], 0, 0
    for position, char in _structure(blank_literals(update), "{};"):
        if char != ";":
            depth += 1 if char == "{" else -1
        elif depth == 0:
            spans.append((start, position))
            start = position + 1
    spans.append((start, len(update)))
    return [(a, b) for a, b in spans if update[a:b].strip()]


def group_end(blanked: str, opening: int) -> int:
    """The index just past the group whose `{` is at `opening`."""
    if not blanked.startswith("{", opening):
        return min(opening + 1, len(blanked))
    depth = 0
    for position, char in _structure(blanked, "{}", opening):
        depth += 1 if char == "{" else -1
        if depth == 0:
            return position + 1
    return len(blanked)


_MODIFY = re.compile(r"^\s*(?:(?:PREFIX|BASE)\b[^{]*?)?(?:DELETE|INSERT)\s*\{", re.IGNORECASE)
DATASET_CLAUSE = re.compile(r"\b(?:WITH|USING)\b", re.IGNORECASE)
"""WITH or USING: an update that names the graphs it reads."""
_WHERE = re.compile(r"where\s*\{")  # for `keywords`


def has_where(update: str) -> bool:
    """Whether an update has a WHERE clause anywhere (outside literals and comments): only those read
    the dataset, so only those need `with_dataset`.

    >>> has_where("INSERT DATA { <urn:a> <urn:b> 'WHERE { }' }"), has_where("DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }")
    (False, True)
    """
    return next(keywords(_WHERE, blank_literals(update)), None) is not None


def with_dataset(update: str, default: list[str], named: list[str]) -> str:
    """The update with `USING <g>` for every graph of `default` and `USING NAMED <g>` for every graph of
    `named` added to each DELETE/INSERT … WHERE that names no graphs of its own: the protocol's
    using-graph-uri / using-named-graph-uri, or, with every named graph in both, a WHERE that reads the union
    of the named graphs as its default graph, as a query does, and still sees each graph by name.

    >>> with_dataset("INSERT { GRAPH <urn:b> { ?s ?p ?o } } WHERE { ?s ?p ?o }", ["urn:a"], ["urn:a"])
    'INSERT { GRAPH <urn:b> { ?s ?p ?o } } USING <urn:a> USING NAMED <urn:a> WHERE { ?s ?p ?o }'
    """
    blanked = blank_literals(update)
    using = " ".join([*(f"USING <{g}>" for g in default), *(f"USING NAMED <{g}>" for g in named)])
    insertions = []
    for start, end in operation_spans(update):
        hidden = blanked[start:end]
        where = next(keywords(_WHERE, hidden), None)
        if not _MODIFY.match(hidden) or where is None or DATASET_CLAUSE.search(hidden[: where.start()]):
            continue
        insertions.append(start + where.start())
    for position in reversed(insertions):
        update = f"{update[:position]}{using} {update[position:]}"
    return update


def lone_where(update: str) -> tuple[int, int] | None:
    """Where the WHERE group (`{ … }`, braces included) of an update of one DELETE/INSERT … WHERE operation
    without WITH or USING starts and ends; None for any other update.

    >>> update = "PREFIX x: <urn:x:> DELETE { ?s x:p ?o } WHERE { ?s x:p ?o }"
    >>> start, end = lone_where(update); update[start:end]
    '{ ?s x:p ?o }'
    """
    spans = operation_spans(update)
    if len(spans) != 1:
        return None
    start, end = spans[0]
    hidden = blank_literals(update)[start:end]
    where = next(keywords(_WHERE, hidden), None)
    if not _MODIFY.match(hidden) or where is None or DATASET_CLAUSE.search(hidden[: where.start()]):
        return None
    opening = hidden.index("{", where.start())
    return start + opening, start + group_end(hidden, opening)


PARSED_AT_MOST = 64 * 1024
"""`reads_default_graph` parses updates up to this many characters; a longer one is taken to read it."""
_GRAPH_PATTERNS = frozenset({"Graph", "GraphGraphPattern"})  # algebra, and parse trees left in EXISTS
_TRIPLE_PATTERNS = frozenset({"BGP", "TriplesBlock"})


def reads_default_graph(update: str) -> bool:
    """Whether some WHERE of the update (or a DELETE WHERE) matches triples outside every GRAPH group, in an
    EXISTS or a sub-query included: only then does it read the dataset's default graph. True as well when
    rdflib cannot parse the update, or it is longer than PARSED_AT_MOST.

    >>> reads_default_graph("DELETE { GRAPH ?g { ?s ?p 1 } } WHERE { GRAPH ?g { ?s ?p 1 } }")
    False
    >>> reads_default_graph("DELETE { GRAPH ?g { ?s ?p 1 } } WHERE { GRAPH ?g { ?s ?p 1 } FILTER EXISTS { ?s a ?t } }")
    True
    """
    if len(update) > PARSED_AT_MOST:
        return True
    from rdflib.plugins.sparql.algebra import translateUpdate
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        operations = translateUpdate(parseUpdate(update)).algebra
    except Exception:  # rdflib's grammar is not the engine's: when in doubt, it reads
        return True
    return any(
        (operation.name == "DeleteWhere" and bool(operation.get("triples")))
        or (operation.name == "Modify" and _matches_default(operation.get("where")))
        for operation in operations
    )


def _matches_default(node: object) -> bool:
    """Whether an algebra node holds a triple pattern outside GRAPH groups."""
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(node, CompValue):
        if node.name in _GRAPH_PATTERNS:
            return False
        if node.name in _TRIPLE_PATTERNS and node.get("triples"):
            return True
        return any(_matches_default(value) for value in node.values())
    if isinstance(node, list | tuple):
        return any(_matches_default(value) for value in node)
    return False
