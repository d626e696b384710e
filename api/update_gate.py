"""The validation gate on SPARQL Update: the triples an update would insert are checked, in context, before it
runs, and a violating update is refused with the same report as a submission.

Each operation of the request is previewed on its own:
- `INSERT DATA` blocks are read with Oxigraph's TriG parser under the update's prefixes and base IRI;
- `INSERT { … } WHERE { … }` (with `WITH`, `USING`, `DELETE`) becomes one CONSTRUCT of its insert template
  over its WHERE, with the graphs it reads as FROM clauses; `GRAPH` wrappers in the template are dropped,
  since validation reads all inserted triples as one graph;
- `ADD`, `COPY` and `MOVE` insert the source graph's triples: one CONSTRUCT of that graph.
The cost follows the size of what is inserted: one parse or one CONSTRUCT per operation, then the usual
context queries. Not previewed: what deletions take away (a deletion can leave a node short of a required
property), and operations that read what an earlier operation of the same request wrote.
"""

from __future__ import annotations

import re

import pyoxigraph as ox

from graph.errors import ValidationFailed
from graph.parsing import Staged, stage
from graph.sparql_text import blank_literals, group_end, operation_spans
from graph.store import Store
from graph.validation import Validator

DEFAULT_TARGET = "urn:bilateral:update:default-graph"
_DECLARATION = re.compile(r"(?:PREFIX\s+[^\s:]*:\s*<[^>]*>|BASE\s*<[^>]*>)", re.IGNORECASE)
_KEYWORD = re.compile(
    r"\b(INSERT\s+DATA|DELETE\s+DATA|DELETE\s+WHERE|INSERT|DELETE|WHERE|WITH|USING\s+NAMED|USING|"
    r"ADD|COPY|MOVE)\b",
    re.IGNORECASE,
)
_GRAPH_TRANSFER = re.compile(
    r"^\s*(?:ADD|COPY|MOVE)\s+(?:SILENT\s+)?(?:GRAPH\s+)?(<[^>]*>|DEFAULT)\s+TO\s+", re.IGNORECASE
)
_GRAPH_OPEN = re.compile(r"\bGRAPH\s+(?:[?$]\w+\s*)?\{", re.IGNORECASE)  # on blanked text, where IRIs are spaces


def _without_graph_wrappers(template: str) -> str:
    """A quad template as a triple template: `GRAPH g { t }` becomes `t` (validation merges all graphs)."""
    blanked = blank_literals(template)
    pieces, cursor = [], 0
    for match in _GRAPH_OPEN.finditer(blanked):
        if match.start() < cursor:
            continue
        end = group_end(blanked, match.end() - 1)
        pieces += [template[cursor : match.start()], template[match.end() : end - 1]]
        cursor = end
    pieces.append(template[cursor:])
    return " ".join(pieces)


def _insertions(update: str, prologue: str, base_iri: str | None) -> tuple[list[str], list[str]]:
    """The INSERT DATA blocks (TriG text) and the CONSTRUCT queries that preview the other insertions."""
    blanked = blank_literals(update)
    data_blocks: list[str] = []
    constructs: list[str] = []
    base = f"BASE <{base_iri}>\n" if base_iri else ""
    for start, end in operation_spans(update):
        text, hidden = update[start:end], blanked[start:end]
        transfer = _GRAPH_TRANSFER.match(hidden)
        if transfer:
            source = text[transfer.start(1) : transfer.end(1)]
            origin = "" if source.upper() == "DEFAULT" else f"FROM {source} "
            constructs.append(f"{base}{prologue}\nCONSTRUCT {{ ?s ?p ?o }} {origin}WHERE {{ ?s ?p ?o }}")
            continue
        clauses: dict[str, re.Match[str]] = {}
        for match in _KEYWORD.finditer(hidden):  # the first of each keyword: later ones sit in nested groups
            clauses.setdefault(" ".join(match.group(1).upper().split()), match)
        if "INSERT DATA" in clauses:
            opening = hidden.index("{", clauses["INSERT DATA"].end() - 1)
            data_blocks.append(text[opening + 1 : group_end(hidden, opening) - 1])
        elif "INSERT" in clauses and "WHERE" in clauses:
            opening = hidden.index("{", clauses["INSERT"].end())
            template = _without_graph_wrappers(text[opening + 1 : group_end(hidden, opening) - 1])
            where_open = hidden.index("{", clauses["WHERE"].end())
            where = text[where_open : group_end(hidden, where_open)]
            graphs = re.findall(r"\bUSING\s+(<[^>]*>)", text, re.IGNORECASE)
            with_graph = re.search(r"^\s*WITH\s+(<[^>]*>)", text, re.IGNORECASE)
            if not graphs and with_graph:
                graphs = [with_graph.group(1)]
            named = re.findall(r"\bUSING\s+NAMED\s+(<[^>]*>)", text, re.IGNORECASE)
            sources = "".join(f"FROM {g} " for g in graphs) + "".join(f"FROM NAMED {g} " for g in named)
            constructs.append(f"{base}{prologue}\nCONSTRUCT {{ {template} }} {sources}WHERE {where}")
    return data_blocks, constructs


def inserted_data(store: Store, update: str, base_iri: str | None = None) -> Staged | None:
    """What the update would insert, staged; None when it inserts nothing."""
    blanked = blank_literals(update)
    prologue = "\n".join(  # found in the text, kept where they are not inside a literal or comment
        m.group(0)
        for m in _DECLARATION.finditer(update)
        if blanked[m.start() : m.start() + 4].upper() in ("PREF", "BASE")
    )
    data_blocks, constructs = _insertions(update, prologue, base_iri)
    if not data_blocks and not constructs:
        return None
    staged = Staged()
    if data_blocks:
        trig = prologue + "\n" + "\n".join(data_blocks)
        stage(
            trig.encode("utf-8"),
            ox.RdfFormat.TRIG,
            graph=DEFAULT_TARGET,
            into=staged,
            source="the update's INSERT DATA",
            base_iri=base_iri,
        )
    for query in constructs:
        triples = store.serialize_bytes(query, "ntriples")
        if triples:
            stage(triples, ox.RdfFormat.N_TRIPLES, graph=DEFAULT_TARGET, into=staged, source="the update's INSERT")
    return staged


def check_update(store: Store, update: str, validator: Validator, base_iri: str | None = None) -> None:
    """Raise ValidationFailed when what the update inserts violates the shapes in context; relative IRIs
    resolve against `base_iri` (the endpoint's URL), as the engine resolves them."""
    staged = inserted_data(store, update, base_iri)
    if staged is None or not len(staged):
        return
    report = validator.validate_staged(staged, store)
    if not report.conforms:
        raise ValidationFailed(report, source="the update")
