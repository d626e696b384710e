"""The validation gate on SPARQL Update: the data an update would leave is checked, in context, before it
runs, and a violating update is refused with the same report as a submission.

Each operation of the request is previewed on its own:
- `INSERT DATA` blocks are read with Oxigraph's TriG parser under the update's prefixes and base IRI;
- `INSERT { … } WHERE { … }` (with `WITH`, `USING`, `DELETE`) becomes one CONSTRUCT of its insert template
  over its WHERE, with its USING graphs (and the protocol's using-graph-uri) as FROM clauses, its WITH graph
  as a GRAPH around the WHERE, since WITH leaves the named graphs as they are (or, for a graph that holds
  nothing yet, an empty default graph beside every named graph); `GRAPH` wrappers in the template are
  dropped, since validation reads all inserted triples as one graph;
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
deletion outside any `GRAPH` without `WITH`, which would delete nothing from it. So is a write into a graph
named under `urn:bilateral:` (the store's journal), however the name is spelled or computed.

The operations are read as SPARQL allows them to be written: with or without spaces around an IRI, with
comments between any two words. A DROP, CLEAR, ADD, COPY or MOVE that the engine reads and this module does
not is refused rather than run unjudged; an update the engine cannot parse either gets its syntax error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyoxigraph as ox

from api.update_text import (
    DATA_OPERATION,
    GRAPH_MANAGEMENT,
    GRAPH_REMOVAL,
    GRAPH_TRANSFER,
    GRAPH_VARIABLE,
    IRI_NEXT,
    KEYWORD,
    LOAD,
    USING,
    USING_NAMED,
    WHOLE_REMOVAL,
    as_trig,
    at_graph_groups,
    outside_graphs,
    quoted,
    syntax_error_of_update,
    template_of,
    top_level,
    triple_templates,
    written_graphs,
)
from api.what_remains import stage_what_remains
from graph.errors import InputError, ParseError, QuerySyntaxError, RefusedInput, ValidationFailed
from graph.namespaces import MODEL_GRAPHS, RESERVED_GRAPHS, refuse_reserved, refuse_unwritable
from graph.parsing import Staged, stage
from graph.sparql_names import graph_iris, head_of, prologue_of
from graph.sparql_syntax import refuse_deep_nesting
from graph.sparql_text import blank_literals, group_end, network_targets, operation_spans, without_comments
from graph.store import Store
from graph.validation import Validator

DEFAULT_TARGET = "urn:bilateral:update:default-graph"
NOTHING = "urn:bilateral:update:nothing"
"""A graph no store holds: the empty default graph of a WHERE whose WITH graph holds nothing yet."""
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
UNREAD_OPERATION = (
    "The update could not be read to judge what it writes and what it leaves, so nothing was run. Graph "
    "operations are written DROP GRAPH <graph>, CLEAR GRAPH <graph>, or ADD, COPY or MOVE <graph> TO <graph> "
    "(GRAPH before either name is optional), each graph an IRI or a prefixed name. Found in: {operation}"
)
UNCHECKED_LOAD = (
    "LOAD is run on its own, so that what it fetches is checked against the shapes before it is stored: send "
    "LOAD <document> INTO GRAPH <graph> as a request of its own. Found in: {operation}"
)
WRITTEN_THEN_EMPTIED = (
    "The update empties a graph that an earlier operation of the same request writes into; its operations are "
    "judged against the store as it is before the request, so send the emptying first, or in a request of its "
    "own. Found in: {operation}"
)


@dataclass
class Preview:
    """What an update would write and take away: data blocks (TriG text) and CONSTRUCT queries, each way."""

    inserted_blocks: list[str] = field(default_factory=list)
    deleted_blocks: list[str] = field(default_factory=list)
    inserted_queries: list[str] = field(default_factory=list)
    deleted_queries: list[tuple[str, str | None]] = field(default_factory=list)
    """CONSTRUCTs of deleted triples, each with the graph they are deleted from as written (None: unknown,
    from every graph that holds them)."""
    default_graph_writes: list[str] = field(default_factory=list)
    """Operations that would insert into the store's own default graph."""
    default_graph_deletes: list[str] = field(default_factory=list)
    """Operations that would delete from it (which holds nothing: they would delete nothing)."""
    emptied_graphs: list[str] = field(default_factory=list)
    """Graphs emptied whole (DROP and CLEAR GRAPH, the target of COPY and MOVE, the source of MOVE), as the
    update writes them (IRIs or prefixed names)."""
    named_graphs: set[str] = field(default_factory=set)
    """Graph names, as written, that operations other than INSERT DATA and DELETE DATA may write into."""
    templated_graphs: list[str] = field(default_factory=list)
    """Graphs an INSERT or DELETE template names (by GRAPH or WITH) and the targets of ADD, COPY and MOVE,
    as written: where those operations write."""
    computed_graph_queries: list[str] = field(default_factory=list)
    """SELECTs of a graph no update writes (`refuse_unwritable`) that a template's `GRAPH ?variable` would
    take, if any."""
    written_then_emptied: list[str] = field(default_factory=list)
    """Operations that empty a graph an earlier operation of the request may have written into (named as
    its target, in a GRAPH group or by WITH, or by a GRAPH ?variable)."""


def _preview(update: str, head: str, store: Store) -> Preview:
    """What the update writes and takes away, operation by operation; its names resolve under `head`."""
    blanked = blank_literals(update)
    preview = Preview()
    inserting: list[str] = []  # the operations so far that insert
    for start, end in operation_spans(update):
        text, hidden = update[start:end], blanked[start:end]
        data = DATA_OPERATION.match(hidden)  # its blocks are read by a parser: megabytes, maybe
        if "#" in text and not data:
            text = without_comments(text)  # SPARQL allows a comment between any two words
        if not data:
            preview.named_graphs |= written_graphs(text)
        emptied_before = len(preview.emptied_graphs)
        inserts_before = len(preview.inserted_blocks) + len(preview.inserted_queries)
        _preview_operation(preview, text, hidden, head, store)
        if inserting and (emptied := graph_iris(preview.emptied_graphs[emptied_before:], head)):
            named = {name for op in inserting for name in written_graphs(without_comments(op))}
            written = graph_iris(sorted(named), head)
            if any(GRAPH_VARIABLE.search(op) for op in inserting) or set(emptied) & set(written):
                preview.written_then_emptied.append(text)
        if len(preview.inserted_blocks) + len(preview.inserted_queries) > inserts_before:
            inserting.append(text)
    return preview


def _preview_operation(preview: Preview, text: str, hidden: str, head: str, store: Store) -> None:
    """Add what one operation inserts, deletes and empties to the preview."""
    if removal := GRAPH_REMOVAL.match(text):
        preview.emptied_graphs.append(removal.group(1))
        return
    transfer = GRAPH_TRANSFER.match(text)
    if transfer:
        operation, source, target = transfer.group(1).upper(), transfer.group(2), transfer.group(3)
        if target.upper() == "DEFAULT":
            preview.default_graph_writes.append(text)
        if source.upper() == "DEFAULT":
            raise RefusedInput(DEFAULT_GRAPH_SOURCE.format(operation=quoted(text)))
        if target.upper() != "DEFAULT":
            preview.templated_graphs.append(target)
        if source != target:  # else the operation does nothing
            preview.inserted_queries.append(f"{head}CONSTRUCT {{ ?s ?p ?o }} FROM {source} WHERE {{ ?s ?p ?o }}")
            # COPY and MOVE empty their target first; MOVE empties its source after.
            preview.emptied_graphs += {"ADD": [], "COPY": [target], "MOVE": [target, source]}[operation]
        return
    if LOAD.match(text):  # among other operations: the gate cannot see what it would fetch (`api.load_operation`)
        raise RefusedInput(UNCHECKED_LOAD.format(operation=quoted(text)))
    # One that does not parse is left to the engine, which refuses the whole update with the error's position.
    if GRAPH_MANAGEMENT.match(text) and not WHOLE_REMOVAL.match(text) and syntax_error_of_update(head + text) is None:
        raise RefusedInput(UNREAD_OPERATION.format(operation=quoted(text)))  # never let one pass unjudged
    clauses: dict[str, re.Match[str]] = {}
    for start, end in top_level(hidden):  # an operation's clauses; groups may hold megabytes of data
        for match in KEYWORD.finditer(hidden, start, end):  # the first of each keyword
            clauses.setdefault(" ".join(match.group(1).upper().split()), match)
    for keyword, blocks in (("INSERT DATA", preview.inserted_blocks), ("DELETE DATA", preview.deleted_blocks)):
        if keyword in clauses:
            opening = hidden.index("{", clauses[keyword].end() - 1)
            end = group_end(hidden, opening) - 1
            block, hidden_block = text[opening + 1 : end], hidden[opening + 1 : end]
            if outside_graphs(block, hidden_block):
                affected = preview.default_graph_writes if keyword == "INSERT DATA" else preview.default_graph_deletes
                affected.append(text)
            blocks.append(as_trig(block, hidden_block))
    if "DELETE WHERE" in clauses:
        pattern = template_of(text, hidden, clauses["DELETE WHERE"])
        opening = hidden.index("{", clauses["DELETE WHERE"].end() - 1)
        where = text[opening : group_end(hidden, opening)]
        if outside_graphs(where[1:-1]):
            preview.default_graph_deletes.append(text)
        preview.deleted_queries.append((f"{head}CONSTRUCT {{ {pattern} }} WHERE {where}", None))
        _preview_computed_graphs(preview, head, [where[1:-1]], "", where)  # the pattern, its GRAPHs kept
    elif "WHERE" in clauses and ("INSERT" in clauses or "DELETE" in clauses):
        _preview_modify(preview, text, hidden, head, clauses, store)


def _preview_modify(
    preview: Preview, text: str, hidden: str, head: str, clauses: dict[str, re.Match[str]], store: Store
) -> None:
    """Add what an `INSERT { } WHERE { }` or `DELETE { } WHERE { }` (with WITH, USING) writes to the preview."""
    where_open = hidden.index("{", clauses["WHERE"].end())
    where = text[where_open : group_end(hidden, where_open)]
    spans: dict[str, tuple[int, int]] = {}  # each template's braces
    for keyword in ("DELETE", "INSERT"):
        if keyword in clauses:
            opening = hidden.index("{", clauses[keyword].end() - 1)
            spans[keyword] = (opening, group_end(hidden, opening))
    templates = {keyword: text[opening + 1 : end - 1] for keyword, (opening, end) in spans.items()}
    dataset_clauses = text[max(end for _, end in spans.values()) : where_open]
    graphs = USING.findall(dataset_clauses)
    named = USING_NAMED.findall(dataset_clauses)
    with_match = IRI_NEXT.match(text, clauses["WITH"].end()) if "WITH" in clauses else None
    with_graph = with_match.group(1) if with_match else None  # none that reads: the engine refuses the update
    # USING and USING NAMED are the dataset of the WHERE, as FROM and FROM NAMED are a query's. WITH names
    # only its default graph (the named graphs stay the store's): the WHERE runs inside GRAPH, or, when that
    # graph holds nothing yet, over an empty default graph beside every named graph.
    sources = "".join(f"FROM {g} " for g in graphs) + "".join(f"FROM NAMED {g} " for g in named)
    if not graphs and not named and with_graph:
        if any(store.has_graph(iri) for iri in graph_iris([with_graph], head)):
            where = f"{{ GRAPH {with_graph} {where} }}"
        else:
            sources = f"FROM <{NOTHING}> " + "".join(f"FROM NAMED <{g}> " for g in store.named_graphs())
    for keyword, affected in (("INSERT", preview.default_graph_writes), ("DELETE", preview.default_graph_deletes)):
        if keyword in templates and not with_graph:
            if outside_graphs(templates[keyword]):
                affected.append(text)
    for keyword in templates:
        parts = triple_templates(templates[keyword])
        named_by_variable = [(triples, graph) for triples, graph in parts if graph is not None and graph[0] in "?$"]
        fixed = [
            (triples, graph or with_graph) for triples, graph in parts if (triples, graph) not in named_by_variable
        ]
        preview.templated_graphs += [graph for _, graph in fixed if graph is not None]
        if keyword == "INSERT" and fixed:  # one CONSTRUCT: which graph an inserted triple goes to is no matter
            fixed = [(" .\n".join(triples for triples, _ in fixed), None)]
        queries = [(f"{head}CONSTRUCT {{ {triples} }} {sources}WHERE {where}", graph) for triples, graph in fixed]
        for triples, variable in named_by_variable:  # written only where the variable names a graph
            body = f"{{ {where[1:-1]} FILTER (isIRI({variable})) }}"
            queries.append((f"{head}CONSTRUCT {{ {triples} }} {sources}WHERE {body}", None))
        if keyword == "INSERT":
            preview.inserted_queries += [query for query, _ in queries]
        else:
            preview.deleted_queries += queries
    _preview_computed_graphs(
        preview, head, [templates[k] for k in ("INSERT", "DELETE") if k in templates], sources, where
    )


def _preview_computed_graphs(preview: Preview, head: str, templates: list[str], sources: str, where: str) -> None:
    """The graphs templates name by a variable, which the WHERE computes: a query for a value among the
    graphs no update writes or empties (reserved, the model's), to be asked of the store."""
    variables = sorted(
        {
            m.group(1)
            for template in templates
            for _, group, _ in at_graph_groups(template)
            if (m := GRAPH_VARIABLE.match(group))
        }
    )
    if variables:
        models = ", ".join(f"<{g}>" for g in MODEL_GRAPHS)
        unwritable = " || ".join(f'STRSTARTS(STR({v}), "{RESERVED_GRAPHS}") || {v} IN ({models})' for v in variables)
        query = f"SELECT {' '.join(variables)} {sources}WHERE {{ {where[1:-1]} FILTER ({unwritable}) }} LIMIT 1"
        preview.computed_graph_queries.append(head + query)


def _collect(
    store: Store, blocks: list[str], queries: list[tuple[str, str | None]], prologue: str, base_iri: str | None
) -> Staged:
    """The triples of data blocks (in their graphs) and of CONSTRUCTs (in the graph each names, when one)."""
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
    head = head_of(prologue, base_iri)
    for query, graph in queries:
        triples = store.serialize_bytes(query, "ntriples")
        target = next(iter(graph_iris([graph], head)), DEFAULT_TARGET) if graph else DEFAULT_TARGET
        if triples:
            stage(triples, ox.RdfFormat.N_TRIPLES, graph=target, into=staged, source="the update")
    return staged


def _taken_away(store: Store, deleted: Staged, emptied: tuple[str, ...]) -> Staged:
    """The deleted triples the store will no longer hold in any graph: one deleted from some graphs and
    still stated by another (two sources of one fact, one of them retracting it) stays in the context
    validation reads. Triples deleted from graphs the preview does not know, or with blank nodes, count as
    taken away (a false refusal at worst)."""
    deleted_from: dict[ox.Triple, set[str]] = {}
    for quad in deleted.dataset.quads_for_pattern(None, None, None, None):
        graph = quad.graph_name.value if isinstance(quad.graph_name, ox.NamedNode) else DEFAULT_TARGET
        deleted_from.setdefault(quad.triple, set()).add(graph)
    known = [
        triple
        for triple, graphs in deleted_from.items()
        if DEFAULT_TARGET not in graphs and not any(isinstance(t, ox.BlankNode | ox.Triple) for t in triple)
    ]
    kept: set[ox.Triple] = set()
    for start in range(0, len(known), 400):
        values = " ".join(f"({t.subject} {t.predicate} {t.object})" for t in known[start : start + 400])
        held = f"SELECT ?s ?p ?o ?h WHERE {{ VALUES (?s ?p ?o) {{ {values} }} GRAPH ?h {{ ?s ?p ?o }} }}"
        for s, p, o, h in store.stream_select(held).rows:
            triple = ox.Triple(s, p, o)
            if isinstance(h, ox.NamedNode) and h.value not in deleted_from[triple] and h.value not in emptied:
                kept.add(triple)
    gone = Staged()
    gone.dataset.extend(
        ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(DEFAULT_TARGET)) for t in deleted_from if t not in kept
    )
    return gone


def check_update(store: Store, update: str, validator: Validator, base_iri: str | None = None) -> None:
    """Raise ValidationFailed when the data the update would leave violates the shapes: what it inserts,
    and what remains of the nodes it deletes from or empties graphs of (`api.what_remains`), checked in
    context without the deleted triples and the emptied graphs.
    Relative IRIs resolve against `base_iri` (the endpoint's URL), as the engine resolves them."""
    refuse_deep_nesting(update)  # here, so that the place it names is in the text sent, not in a preview's
    prologue = prologue_of(update)
    head = head_of(prologue, base_iri)
    try:
        preview = _preview(update, head, store)
    except InputError:  # a ValueError too: refused as it says
        raise
    except ValueError:  # a clause without its group: say what the engine's parser says
        error = None if network_targets(update) else syntax_error_of_update(update, base_iri)
        raise error or RefusedInput(UNREAD_OPERATION.format(operation=quoted(update))) from None
    for found, message in (
        (preview.default_graph_writes, DEFAULT_GRAPH_WRITE),
        (preview.default_graph_deletes, DEFAULT_GRAPH_DELETE),
    ):
        if found:
            raise RefusedInput(message.format(operation=quoted(found[0])))
    if RESERVED_GRAPHS in update or "\\u" in update or "\\U" in update:  # spelled, or escaped (\u003A)
        refuse_reserved(graph_iris(sorted(preview.named_graphs | set(preview.emptied_graphs)), head))
    refuse_unwritable(graph_iris(sorted({*preview.templated_graphs, *preview.emptied_graphs}), head))
    try:
        for query in preview.computed_graph_queries:
            refuse_unwritable(str(term) for row in store.select(query) for term in row if term is not None)
        inserted = _collect(
            store, preview.inserted_blocks, [(q, None) for q in preview.inserted_queries], prologue, base_iri
        )
        refuse_unwritable(name for name in inserted.graph_names() if name != DEFAULT_TARGET)  # INSERT DATA's
        deleted = _collect(store, preview.deleted_blocks, preview.deleted_queries, prologue, base_iri)
    except (QuerySyntaxError, ParseError) as error:  # in a text made from the update's: say where in the update
        raise syntax_error_of_update(update, base_iri) or error from None
    if preview.written_then_emptied:
        raise RefusedInput(WRITTEN_THEN_EMPTIED.format(operation=quoted(preview.written_then_emptied[0])))
    emptied = graph_iris(preview.emptied_graphs, head)
    refuse_unwritable(name for name in deleted.graph_names() if name != DEFAULT_TARGET)  # DELETE DATA's
    gone = _taken_away(store, deleted, emptied) if len(deleted) else None
    stage_what_remains(store, deleted, emptied, into=inserted, gone=gone)
    if not len(inserted):
        return
    removed = gone if gone is not None and len(gone) else None
    report = validator.validate_staged(inserted, store, removed=removed, ignoring=emptied)
    if not report.conforms:
        raise ValidationFailed(report, source="the update")
