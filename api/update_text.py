"""Reading a SPARQL update's text as SPARQL allows it to be written: its operations' keywords, the graphs
they name, their `GRAPH` groups and data blocks. Used by the validation gate (`api/update_gate.py`).

The patterns run on the text, or on its blanked copy (`graph.sparql_text.blank_literals`: comments, strings
and IRIs as spaces), never assuming a space where SPARQL needs none: between a keyword and an IRI
(`DROP GRAPH<…>`), around an IRI (`COPY<a>TO<b>`), before a variable (`GRAPH?g`). A keyword is not matched
inside a prefixed name (`ex:where`, `graph:x`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import pyoxigraph as ox

from graph.errors import QuerySyntaxError
from graph.sparql_syntax import refuse_deep_nesting, syntax_error
from graph.sparql_text import blank_literals, group_end, keywords, line_and_column, without_comments

KEYWORD = re.compile(  # not a part of a prefixed name (`ex:where`)
    r"(?<![\w:?$-])(INSERT\s+DATA|DELETE\s+DATA|DELETE\s+WHERE|INSERT|DELETE|WHERE|WITH|USING\s+NAMED|USING|"
    r"ADD|COPY|MOVE)(?![\w:-])",
    re.IGNORECASE,
)
PROLOGUE = r"^(?:\s*(?:PREFIX\s*[^\s:]*:\s*<[^>]*>|BASE\s*<[^>]*>))*\s*"
"""On the text: the PREFIX and BASE declarations before an operation's first keyword."""
OPERATION_START = r"(?:\s*(?:PREFIX\s+[^\s:]*:|BASE))*\s*"
"""The same on blanked text (IRIs and comments are spaces)."""
_WORD_END = r"(?![\w:-])"
"""After a keyword: not the start of a longer word or of a prefixed name (`graph:x`)."""
_REF = r"(<[^<>]*>|[^\s<>{}]*:[^\s<>{}]*|DEFAULT" + _WORD_END + ")"
"""A graph named after GRAPH, TO or an operation's keyword: an IRI, a prefixed name, or DEFAULT. SPARQL
needs no space between a keyword and an IRI (`DROP GRAPH<…>`), nor around one (`COPY<a>TO<b>`)."""
GRAPH_TRANSFER = re.compile(  # on the text: IRIs are blanked in the scanned copy, and these forms hold no literal
    PROLOGUE + rf"(ADD|COPY|MOVE){_WORD_END}\s*(?:SILENT{_WORD_END}\s*)?(?:GRAPH{_WORD_END}\s*)?{_REF}\s*"
    rf"TO{_WORD_END}\s*(?:GRAPH{_WORD_END}\s*)?{_REF}\s*$",
    re.IGNORECASE,
)
GRAPH_REMOVAL = re.compile(
    PROLOGUE + rf"(?:DROP|CLEAR){_WORD_END}\s*(?:SILENT{_WORD_END}\s*)?GRAPH{_WORD_END}\s*{_REF}\s*$",
    re.IGNORECASE,
)
WHOLE_REMOVAL = re.compile(  # DROP/CLEAR of DEFAULT, NAMED or ALL leave nothing that could violate a shape
    PROLOGUE + rf"(?:DROP|CLEAR){_WORD_END}\s*(?:SILENT{_WORD_END}\s*)?(?:DEFAULT|NAMED|ALL){_WORD_END}\s*$",
    re.IGNORECASE,
)
GRAPH_MANAGEMENT = re.compile(PROLOGUE + rf"(DROP|CLEAR|ADD|COPY|MOVE){_WORD_END}", re.IGNORECASE)
LOAD = re.compile(PROLOGUE + rf"LOAD{_WORD_END}", re.IGNORECASE)
_GRAPH_NAME = r"(<[^>]*>|[^\s{}<>]*:[^\s{}<>]*)"
"""An IRI or a prefixed name, as a graph is named after WITH, USING or USING NAMED."""
IRI_NEXT = re.compile(r"\s*" + _GRAPH_NAME)
USING = re.compile(rf"(?<![\w:?$-])USING{_WORD_END}\s*(?!NAMED{_WORD_END})" + _GRAPH_NAME, re.IGNORECASE)
USING_NAMED = re.compile(rf"(?<![\w:?$-])USING\s+NAMED{_WORD_END}\s*" + _GRAPH_NAME, re.IGNORECASE)
GRAPH_VARIABLE = re.compile(r"GRAPH\s*([?$]\w+)", re.IGNORECASE)
_GRAPH_OPEN = re.compile(  # for `keywords`, on blanked text: IRIs are spaces, prefixed names are not
    r"graph(?![\w:-])\s*(?:[?$]\w+|[^\s{}]*:[^\s{}]*)?\s*\{"
)


def at_graph_groups(text: str, blanked: str | None = None) -> list[tuple[str, str, str]]:
    """A quad template or data block cut at its `GRAPH g { }` groups: for each group, what precedes it, the
    group whole and its inside; then the rest, with two empty strings. `blanked` is the text as
    `blank_literals` gives it, when the caller has it."""
    blanked = blank_literals(text) if blanked is None else blanked
    parts, cursor = [], 0
    for match in keywords(_GRAPH_OPEN, blanked):
        if match.start() < cursor:
            continue
        end = group_end(blanked, match.end() - 1)
        parts.append((text[cursor : match.start()], text[match.start() : end], text[match.end() : end - 1]))
        cursor = end
    parts.append((text[cursor:], "", ""))
    return parts


def top_level(hidden: str) -> Iterator[tuple[int, int]]:
    """The spans of blanked text outside its `{ }` groups (each up to and with the next group's `{`)."""
    position = 0
    while (opening := hidden.find("{", position)) >= 0:
        yield position, opening + 1
        position = group_end(hidden, opening)
    yield position, len(hidden)


def quoted(operation: str) -> str:
    """An operation as an error message quotes it: on one line, its first 160 characters."""
    text = " ".join(operation.split())
    return text[:160] + ("…" if len(text) > 160 else "")


def outside_graphs(template: str, blanked: str | None = None) -> str:
    """What a quad template or data block holds outside its `GRAPH g { }` groups: default-graph triples."""
    before_groups = (before for before, _, _ in at_graph_groups(template, blanked))
    return without_comments(" ".join(before_groups)).strip(" .\t\r\n")


def _without_graph_wrappers(template: str) -> str:
    """A quad template as a triple template: `GRAPH g { t }` becomes `t` (validation merges all graphs)."""
    return _triples(piece for before, _, inside in at_graph_groups(template) for piece in (before, inside))


def _triples(pieces: Iterable[str]) -> str:
    """Runs of triples (each perhaps ending in a dot, or starting with one after a group) as one template."""
    runs = (piece.strip().strip(".").strip() for piece in pieces)
    return " .\n".join(run for run in runs if run)


def as_trig(block: str, blanked: str | None = None) -> str:
    """An INSERT DATA or DELETE DATA block as TriG: each run of triples in `{ }`, where, as in SPARQL, the last
    needs no dot; each `GRAPH g { }` group as it is."""
    groups = at_graph_groups(block, blanked)
    pieces = (piece for before, group, _ in groups for piece in (_default_graph(before), group))
    return "\n".join(piece for piece in pieces if piece)


def _default_graph(triples: str) -> str:
    # SPARQL allows a dot after a GRAPH group, TriG does not; and a comment would hide the closing brace
    text = without_comments(triples).strip().removeprefix(".")
    return f"{{ {text} }}" if text.strip() else ""


def triple_templates(template: str) -> list[tuple[str, str | None]]:
    """A quad template as triple templates, each with the graph its triples go to as written: an IRI, a
    prefixed name or a variable (an engine writes nothing of a `GRAPH ?g` group where ?g is no IRI), None
    for the default graph. A template with blank nodes stays one, its graph None: a blank node is fresh in
    each CONSTRUCT, and one shared by two groups must stay one node to be judged as the engine writes it."""
    if "_:" in template or "[" in template:
        return [(_without_graph_wrappers(template), None)]
    by_graph: dict[str | None, list[str]] = {None: []}
    for before, group, inside in at_graph_groups(template):
        by_graph[None].append(before)
        if found := _GROUP_GRAPH.match(group):
            by_graph.setdefault(found.group(1), []).append(inside)
    return [(_triples(parts), graph) for graph, parts in by_graph.items() if _triples(parts)]


_GROUP_GRAPH = re.compile(r"GRAPH\s*(<[^>]*>|[^\s{]+)", re.IGNORECASE)


def template_of(text: str, hidden: str, keyword: re.Match[str]) -> str:
    opening = hidden.index("{", keyword.end() - 1)
    return _without_graph_wrappers(text[opening + 1 : group_end(hidden, opening) - 1])


_WRITTEN_GRAPH = re.compile(
    rf"(?<![\w:?$-])(?:GRAPH|TO|WITH){_WORD_END}\s*(<[^>]*>|[A-Za-z_][\w.-]*:[\w.-]*|:[\w.-]*)", re.IGNORECASE
)
DATA_OPERATION = re.compile(OPERATION_START + r"(?:INSERT|DELETE)\s+DATA(?![\w:-])", re.IGNORECASE)
"""On blanked text (IRIs and comments are spaces): an INSERT DATA or DELETE DATA operation."""


def written_graphs(operation: str) -> set[str]:
    """The graph names an operation (or a whole update) may write into, as written; the source of a
    transfer, the graphs its WHERE reads and words in its literals are read too, which only makes this wider.
    Only asked when a later operation of the request empties a graph, or when the update spells a reserved
    graph name."""
    return set(_WRITTEN_GRAPH.findall(operation))


def syntax_error_of_update(update: str, base_iri: str | None = None) -> QuerySyntaxError | None:
    """The syntax error Oxigraph finds in an update, or None. Oxigraph parses a whole request before it
    runs any of it, and stops at the first operation that fails: one put first that always fails (DROP of a
    graph an empty store lacks, after the request's PREFIX and BASE, where Oxigraph reads them only) lets
    it parse the update and run nothing of it, however costly its WHERE."""
    try:
        refuse_deep_nesting(update)
    except QuerySyntaxError as error:
        return error
    at = _PROLOGUE_BLANKED.match(blank_literals(update)).end()  # type: ignore[union-attr] # always matches
    try:
        ox.Store().update(f"{update[:at]}{_FAILING}{update[at:]}", base_iri=base_iri)
    except SyntaxError as error:
        line, column = line_and_column(update, at)

        def unshifted(found: re.Match[str]) -> str:  # a place after the DROP, on its line, moves back
            row, col = int(found.group(1)), int(found.group(2))
            return f"error at {row}:{col - len(_FAILING) if row == line and col >= column + len(_FAILING) else col}"

        return syntax_error(_PLACE.sub(unshifted, str(error), count=1), update, without_base=base_iri is None)
    except (OSError, RuntimeError):  # the DROP, as intended: it parsed
        pass
    return None


_FAILING = "DROP GRAPH <urn:bilateral:update:never> ; "
_PROLOGUE_BLANKED = re.compile(r"(?:\s*(?:PREFIX\s*[^\s:]*:|BASE))*\s*", re.IGNORECASE)
"""On blanked text (comments and IRIs as spaces): the request's PREFIX and BASE declarations."""
_PLACE = re.compile(r"error at (\d+):(\d+)")
