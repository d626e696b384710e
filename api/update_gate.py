"""The validation gate on SPARQL Update: the data an update would leave is checked, in context, before it
runs, and a violating update is refused with the same report as a submission.

Each operation of the request is previewed on its own:
- `INSERT DATA` blocks are read with Oxigraph's TriG parser under the update's prefixes and base IRI;
- `INSERT { … } WHERE { … }` (with `WITH`, `USING`, `DELETE`) becomes one CONSTRUCT of its insert template
  over its WHERE, with its USING graphs as FROM clauses (its WITH graph as a GRAPH around the WHERE, since
  WITH leaves the named graphs as they are); `GRAPH` wrappers in the template are dropped,
  since validation reads all inserted triples as one graph;
- `ADD`, `COPY` and `MOVE` insert the source graph's triples: one CONSTRUCT of that graph.
Deletions (`DELETE DATA`, `DELETE { … } WHERE`, `DELETE WHERE`) are previewed the same way. They, and the
graphs emptied whole (`DROP`/`CLEAR GRAPH`, the target of `COPY` and `MOVE`, the source of `MOVE`), are
judged by what they leave (`api.what_remains`): what remains of each node they touch, and of the nodes
pointing at those, is validated without the deleted triples and the emptied graphs, so a deletion cannot
leave a meeting with one participant, nor a drop leave participations acting for states no graph types.
The cost follows the size of what is inserted and deleted: one parse or one CONSTRUCT per operation, a
few queries per 400 touched nodes and one join over each emptied graph, then the usual context queries.
Each operation is previewed against the store as it is before the request: one that empties a graph an
earlier operation wrote into (`MOVE <a> TO <b> ; DROP GRAPH <b>`) is refused, since what was written would
be judged as staying; the emptying can come first. Not previewed: operations that read what an earlier
operation of the same request wrote.

An update that would write into the store's own default graph (triples of INSERT DATA or of an INSERT
template outside any `GRAPH`, without `WITH`; `ADD`/`COPY`/`MOVE … TO DEFAULT`) is refused before any of
this: every fact here lives in a named graph, the source that states it. So is `ADD`/`COPY`/`MOVE` from
`DEFAULT`, which would read that empty graph (and whose preview would read the whole union), and a
deletion outside any `GRAPH` without `WITH`, which would delete nothing from it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pyoxigraph as ox

from api.what_remains import stage_what_remains
from graph.errors import RefusedInput, ValidationFailed
from graph.namespaces import RESERVED_GRAPHS, refuse_reserved
from graph.parsing import Staged, stage
from graph.sparql_text import (
    blank_literals,
    declarations,
    group_end,
    keywords,
    operation_spans,
    without_comments,
)
from graph.store import Store
from graph.validation import Validator

DEFAULT_TARGET = "urn:bilateral:update:default-graph"
_KEYWORD = re.compile(
    r"\b(INSERT\s+DATA|DELETE\s+DATA|DELETE\s+WHERE|INSERT|DELETE|WHERE|WITH|USING\s+NAMED|USING|"
    r"ADD|COPY|MOVE)\b",
    re.IGNORECASE,
)
_GRAPH_TRANSFER = re.compile(  # on the text: IRIs are blanked in the scanned copy, and these forms hold no literal
    r"^(?:\s*(?:PREFIX\s+[^\s:]*:\s*<[^>]*>|BASE\s*<[^>]*>))*\s*(ADD|COPY|MOVE)\s+(?:SILENT\s+)?(?:GRAPH\s+)?"
    r"(\S+)\s+TO\s+(?:GRAPH\s+)?(\S+)\s*$",
    re.IGNORECASE,
)
_GRAPH_REMOVAL = re.compile(  # DROP/CLEAR of DEFAULT, NAMED or ALL leave nothing that could violate a shape
    r"^(?:\s*(?:PREFIX\s+[^\s:]*:\s*<[^>]*>|BASE\s*<[^>]*>))*\s*(?:DROP|CLEAR)\s+(?:SILENT\s+)?GRAPH\s+(\S+)\s*$",
    re.IGNORECASE,
)
_GRAPH_NAME = r"(<[^>]*>|[^\s{}<>]*:[^\s{}<>]*)"
"""An IRI or a prefixed name, as a graph is named after WITH, USING or USING NAMED."""
_IRI_NEXT = re.compile(r"\s*" + _GRAPH_NAME)
DEFAULT_GRAPH_SOURCE = (
    "ADD, COPY and MOVE from DEFAULT would read the store's own default graph, which holds nothing here (every "
    "fact lives in a named graph; queries see their union), so COPY and MOVE would only empty the target. "
    "Name the graph to copy: ADD <https://w3id.org/bilateral/graph/…> TO <graph>. Found in: {operation}"
)
DEFAULT_GRAPH_DELETE = (
    "The update deletes triples outside any GRAPH, from the store's own default graph, which holds nothing "
    "here: every fact lives in a named graph, so it would delete nothing. Name the graph: DELETE DATA {{ GRAPH "
    "<…> {{ … }} }}, or remove a fact from every graph that holds it: DELETE {{ GRAPH ?g {{ … }} }} WHERE {{ "
    "GRAPH ?g {{ … }} }}. Found in: {operation}"
)
DEFAULT_GRAPH_WRITE = (
    "The update writes triples outside any GRAPH, into the store's own default graph, where no source "
    "states them (queries would see them; graph listings, counts and GET /store?default would not). Put "
    "them in a named graph: INSERT DATA {{ GRAPH <https://w3id.org/bilateral/graph/…> {{ … }} }}, or begin "
    "the update with WITH <graph>. Found in: {operation}"
)
WRITTEN_THEN_EMPTIED = (
    "The update empties a graph that an earlier operation of the same request writes into; its operations are "
    "judged against the store as it is before the request, so send the emptying first, or in a request of its "
    "own. Found in: {operation}"
)
_GRAPH_OPEN = re.compile(  # for `keywords`, on blanked text: IRIs are spaces, prefixed names are not
    r"graph\s+(?:[?$]\w+|[^\s{}]*:[^\s{}]*)?\s*\{"
)


def _at_graph_groups(text: str, blanked: str | None = None) -> list[tuple[str, str, str]]:
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


def _top_level(hidden: str) -> Iterator[tuple[int, int]]:
    """The spans of blanked text outside its `{ }` groups (each up to and with the next group's `{`)."""
    position = 0
    while (opening := hidden.find("{", position)) >= 0:
        yield position, opening + 1
        position = group_end(hidden, opening)
    yield position, len(hidden)


def _quoted(operation: str) -> str:
    """An operation as an error message quotes it: on one line, its first 160 characters."""
    text = " ".join(operation.split())
    return text[:160] + ("…" if len(text) > 160 else "")


def _outside_graphs(template: str, blanked: str | None = None) -> str:
    """What a quad template or data block holds outside its `GRAPH g { }` groups: default-graph triples."""
    before_groups = (before for before, _, _ in _at_graph_groups(template, blanked))
    return without_comments(" ".join(before_groups)).strip(" .\t\r\n")


def _without_graph_wrappers(template: str) -> str:
    """A quad template as a triple template: `GRAPH g { t }` becomes `t` (validation merges all graphs)."""
    return " ".join(piece for before, _, inside in _at_graph_groups(template) for piece in (before, inside))


def _as_trig(block: str, blanked: str | None = None) -> str:
    """An INSERT DATA or DELETE DATA block as TriG: each run of triples in `{ }`, where, as in SPARQL, the last
    needs no dot; each `GRAPH g { }` group as it is."""
    groups = _at_graph_groups(block, blanked)
    pieces = (piece for before, group, _ in groups for piece in (_default_graph(before), group))
    return "\n".join(piece for piece in pieces if piece)


def _default_graph(triples: str) -> str:
    # SPARQL allows a dot after a GRAPH group, TriG does not; and a comment would hide the closing brace
    text = without_comments(triples).strip().removeprefix(".")
    return f"{{ {text} }}" if text.strip() else ""


@dataclass
class Preview:
    """What an update would write and take away: data blocks (TriG text) and CONSTRUCT queries, each way."""

    inserted_blocks: list[str] = field(default_factory=list)
    deleted_blocks: list[str] = field(default_factory=list)
    inserted_queries: list[str] = field(default_factory=list)
    deleted_queries: list[str] = field(default_factory=list)
    default_graph_writes: list[str] = field(default_factory=list)
    """Operations that would insert into the store's own default graph."""
    default_graph_deletes: list[str] = field(default_factory=list)
    """Operations that would delete from it (which holds nothing: they would delete nothing)."""
    emptied_graphs: list[str] = field(default_factory=list)
    """Graphs emptied whole (DROP and CLEAR GRAPH, the target of COPY and MOVE, the source of MOVE), as the
    update writes them (IRIs or prefixed names)."""
    written_then_emptied: list[str] = field(default_factory=list)
    """Operations that empty a graph an earlier operation of the request may have written into (named as
    its target, in a GRAPH group or by WITH, or by a GRAPH ?variable)."""


def _template(text: str, hidden: str, keyword: re.Match[str]) -> str:
    opening = hidden.index("{", keyword.end() - 1)
    return _without_graph_wrappers(text[opening + 1 : group_end(hidden, opening) - 1])


def _preview(update: str, prologue: str, base_iri: str | None) -> Preview:
    blanked = blank_literals(update)
    preview = Preview()
    head = (f"BASE <{base_iri}>\n" if base_iri else "") + prologue + "\n"
    inserting: list[str] = []  # the operations so far that insert
    for start, end in operation_spans(update):
        text, hidden = update[start:end], blanked[start:end]
        emptied_before = len(preview.emptied_graphs)
        inserts_before = len(preview.inserted_blocks) + len(preview.inserted_queries)
        _preview_operation(preview, text, hidden, head)
        if inserting and (emptied := _graph_iris(preview.emptied_graphs[emptied_before:], head)):
            written = _graph_iris(sorted({name for op in inserting for name in _written_graphs(op)}), head)
            if any(_VARIABLE_GRAPH.search(op) for op in inserting) or set(emptied) & set(written):
                preview.written_then_emptied.append(text)
        if len(preview.inserted_blocks) + len(preview.inserted_queries) > inserts_before:
            inserting.append(text)
    return preview


_WRITTEN_GRAPH = re.compile(r"(?:GRAPH|TO|WITH)\s+(<[^>]*>|[A-Za-z_][\w.-]*:[\w.-]*|:[\w.-]*)", re.IGNORECASE)
_VARIABLE_GRAPH = re.compile(r"GRAPH\s+[?$]", re.IGNORECASE)


def _written_graphs(operation: str) -> set[str]:
    """The graph names an operation (or a whole update) may write into, as written; the source of a
    transfer, the graphs its WHERE reads and words in its literals are read too, which only makes this wider.
    Only asked when a later operation of the request empties a graph, or when the update spells a reserved
    graph name."""
    return set(_WRITTEN_GRAPH.findall(operation))


def _preview_operation(preview: Preview, text: str, hidden: str, head: str) -> None:
    """Add what one operation inserts, deletes and empties to the preview."""
    if removal := _GRAPH_REMOVAL.match(text):
        preview.emptied_graphs.append(removal.group(1))
        return
    transfer = _GRAPH_TRANSFER.match(text)
    if transfer:
        operation, source, target = transfer.group(1).upper(), transfer.group(2), transfer.group(3)
        if target.upper() == "DEFAULT":
            preview.default_graph_writes.append(text)
        if source.upper() == "DEFAULT":
            raise RefusedInput(DEFAULT_GRAPH_SOURCE.format(operation=_quoted(text)))
        if source != target:  # else the operation does nothing
            preview.inserted_queries.append(f"{head}CONSTRUCT {{ ?s ?p ?o }} FROM {source} WHERE {{ ?s ?p ?o }}")
            # COPY and MOVE empty their target first; MOVE empties its source after.
            preview.emptied_graphs += {"ADD": [], "COPY": [target], "MOVE": [target, source]}[operation]
        return
    clauses: dict[str, re.Match[str]] = {}
    for start, end in _top_level(hidden):  # an operation's clauses; groups may hold megabytes of data
        for match in _KEYWORD.finditer(hidden, start, end):  # the first of each keyword
            clauses.setdefault(" ".join(match.group(1).upper().split()), match)
    for keyword, blocks in (("INSERT DATA", preview.inserted_blocks), ("DELETE DATA", preview.deleted_blocks)):
        if keyword in clauses:
            opening = hidden.index("{", clauses[keyword].end() - 1)
            end = group_end(hidden, opening) - 1
            block, hidden_block = text[opening + 1 : end], hidden[opening + 1 : end]
            if _outside_graphs(block, hidden_block):
                affected = preview.default_graph_writes if keyword == "INSERT DATA" else preview.default_graph_deletes
                affected.append(text)
            blocks.append(_as_trig(block, hidden_block))
    if "DELETE WHERE" in clauses:
        pattern = _template(text, hidden, clauses["DELETE WHERE"])
        opening = hidden.index("{", clauses["DELETE WHERE"].end() - 1)
        where = text[opening : group_end(hidden, opening)]
        if _outside_graphs(where[1:-1]):
            preview.default_graph_deletes.append(text)
        preview.deleted_queries.append(f"{head}CONSTRUCT {{ {pattern} }} WHERE {where}")
    elif "WHERE" in clauses and ("INSERT" in clauses or "DELETE" in clauses):
        where_open = hidden.index("{", clauses["WHERE"].end())
        where = text[where_open : group_end(hidden, where_open)]
        graphs = re.findall(r"\bUSING\s+" + _GRAPH_NAME, text, re.IGNORECASE)
        with_graph = _IRI_NEXT.match(text, clauses["WITH"].end()) if "WITH" in clauses else None
        named = re.findall(r"\bUSING\s+NAMED\s+" + _GRAPH_NAME, text, re.IGNORECASE)
        # USING and USING NAMED are the dataset of the WHERE, as FROM and FROM NAMED are a query's. WITH
        # names only its default graph (the named graphs stay the store's): the WHERE runs inside GRAPH.
        sources = "".join(f"FROM {g} " for g in graphs) + "".join(f"FROM NAMED {g} " for g in named)
        if not graphs and not named and with_graph:
            where = f"{{ GRAPH {with_graph.group(1)} {where} }}"
        for keyword, affected in (
            ("INSERT", preview.default_graph_writes),
            ("DELETE", preview.default_graph_deletes),
        ):
            if keyword in clauses and not with_graph:
                opening = hidden.index("{", clauses[keyword].end() - 1)
                if _outside_graphs(text[opening + 1 : group_end(hidden, opening) - 1]):
                    affected.append(text)
        for keyword, queries in (("INSERT", preview.inserted_queries), ("DELETE", preview.deleted_queries)):
            if keyword in clauses:
                template = _template(text, hidden, clauses[keyword])
                queries.append(f"{head}CONSTRUCT {{ {template} }} {sources}WHERE {where}")


def _collect(store: Store, blocks: list[str], queries: list[str], prologue: str, base_iri: str | None) -> Staged:
    staged = Staged()
    if blocks:
        trig = prologue + "\n" + "\n".join(blocks)
        stage(
            trig.encode("utf-8"),
            ox.RdfFormat.TRIG,
            graph=DEFAULT_TARGET,
            into=staged,
            source="the update's data",
            base_iri=base_iri,
        )
    for query in queries:
        triples = store.serialize_bytes(query, "ntriples")
        if triples:
            stage(triples, ox.RdfFormat.N_TRIPLES, graph=DEFAULT_TARGET, into=staged, source="the update")
    return staged


def _graph_iris(names: list[str], head: str) -> tuple[str, ...]:
    """Graph names as an update writes them (IRIs, relative IRIs, prefixed names), resolved under `head`
    (its BASE and PREFIXes); none if they do not parse, since the engine then refuses the update."""
    if not names:
        return ()
    try:
        solutions = ox.Store().query(f"{head}\nSELECT ?g WHERE {{ VALUES ?g {{ {' '.join(names)} }} }}")
    except SyntaxError:
        return ()
    assert isinstance(solutions, ox.QuerySolutions)
    return tuple(dict.fromkeys(row[0].value for row in solutions if isinstance(row[0], ox.NamedNode)))


def check_update(store: Store, update: str, validator: Validator, base_iri: str | None = None) -> None:
    """Raise ValidationFailed when the data the update would leave violates the shapes: what it inserts,
    and what remains of the nodes it deletes from or empties graphs of (`api.what_remains`), checked in
    context without the deleted triples and the emptied graphs.
    Relative IRIs resolve against `base_iri` (the endpoint's URL), as the engine resolves them."""
    prologue = "\n".join(m.group(0) for m in declarations(update))
    preview = _preview(update, prologue, base_iri)
    for found, message in (
        (preview.default_graph_writes, DEFAULT_GRAPH_WRITE),
        (preview.default_graph_deletes, DEFAULT_GRAPH_DELETE),
    ):
        if found:
            raise RefusedInput(message.format(operation=_quoted(found[0])))
    head = (f"BASE <{base_iri}>\n" if base_iri else "") + prologue
    if RESERVED_GRAPHS in update:  # a reserved name, or the base or prefix of one, is spelled in the text
        refuse_reserved(_graph_iris(sorted(_written_graphs(update) | set(preview.emptied_graphs)), head))
    inserted = _collect(store, preview.inserted_blocks, preview.inserted_queries, prologue, base_iri)
    deleted = _collect(store, preview.deleted_blocks, preview.deleted_queries, prologue, base_iri)
    if preview.written_then_emptied:
        raise RefusedInput(WRITTEN_THEN_EMPTIED.format(operation=_quoted(preview.written_then_emptied[0])))
    emptied = _graph_iris(preview.emptied_graphs, head)
    stage_what_remains(store, deleted, emptied, into=inserted)
    if not len(inserted):
        return
    removed = deleted if len(deleted) else None
    report = validator.validate_staged(inserted, store, removed=removed, ignoring=emptied)
    if not report.conforms:
        raise ValidationFailed(report, source="the update")
