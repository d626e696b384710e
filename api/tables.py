"""Query results for people: the prefixes a query may leave undeclared, and aligned text tables."""

from __future__ import annotations

import re

from rdflib import Literal, URIRef
from rdflib.term import Node

from graph.namespaces import PREFIXES
from graph.store import Store

_DECLARED = re.compile(r"PREFIX\s+([A-Za-z][\w.-]*)?:", re.IGNORECASE)


def with_prefixes(query: str) -> tuple[str, int]:
    """The query with the known prefixes it uses but does not declare, on one added first line."""
    declared = set(_DECLARED.findall(query))
    used = [p for p in PREFIXES if p not in declared and re.search(rf"(?<![\w<]){p}:", query)]
    if not used:
        return query, 0
    header = " ".join(f"PREFIX {p}: <{PREFIXES[p]}>" for p in used)
    return header + "\n" + query, 1


def short(term: Node | None) -> str:
    """A term as a table cell: prefixed names for known namespaces, literal values without quotes."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        text = str(term)
        for prefix, namespace in PREFIXES.items():
            if text.startswith(namespace) and "#" not in text[len(namespace) :]:
                return f"{prefix}:{text[len(namespace) :]}"
        return f"<{text}>"
    if isinstance(term, Literal):
        return f"{term}@{term.language}" if term.language else str(term)
    return term.n3()


def format_table(store: Store, query: str, form: str) -> str:
    """Run a query and lay its answer out for a terminal."""
    if form == "ASK":
        return "yes" if store.ask(query) else "no"
    if form in ("CONSTRUCT", "DESCRIBE"):
        graph = store.construct(query)
        for prefix, namespace in PREFIXES.items():
            graph.bind(prefix, namespace)
        return str(graph.serialize(format="turtle")).rstrip()
    solutions = store.select(query)
    return aligned(solutions.variables, [[short(t) for t in row] for row in solutions.rows])


def aligned(header: list[str], cells: list[list[str]]) -> str:
    """Rows of text as aligned columns under their header, with a row count."""
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.append(f"({len(cells)} row{'s' if len(cells) != 1 else ''})")
    return "\n".join(lines)
