"""Query results for people: the prefixes a query may leave undeclared, aligned text tables, and Turtle with
prefixes, written as the answer comes so that a large one neither waits nor fills the memory."""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain, islice
from typing import IO

import pyoxigraph as ox

from graph.namespaces import INSTANCE_KINDS, INSTANCE_PREFIXES
from graph.namespaces import PREFIXES as COMMON_PREFIXES
from graph.sparql_text import written_order
from graph.store import Store

_DECLARED = re.compile(r"PREFIX\s+([A-Za-z][\w.-]*)?:", re.IGNORECASE)
_PLAIN_NAME = re.compile(r"(?:[\w:-](?:[\w.:-]*[\w:-])?)?")
"""The part of a prefixed name after its prefix, without the escapes SPARQL and Turtle would need for a `/`,
a `#`, a `~` or a final `.`: an IRI whose rest is not plain is written whole."""
PREFIXES = {**COMMON_PREFIXES, **INSTANCE_PREFIXES}
"""The prefixes a query may use undeclared, and a table or Turtle shows names with."""
_SLASHED_NAME = re.compile(r"(?<![\w<?$])id:(\w+)/([\w.-]*\w)")
MEASURED_ROWS = 1000
"""The rows that set the columns' widths; the rows after them are written as they come, in those widths."""
PRETTY_AT_MOST = 10_000
"""The most triples written as rdflib's sorted Turtle; a larger answer is streamed by Oxigraph."""
_LINES_A_WRITE = 500


def with_prefixes(query: str) -> tuple[str, int]:
    """The query with the known prefixes it uses but does not declare, on one added first line."""
    declared = set(_DECLARED.findall(query))
    used = [p for p in PREFIXES if p not in declared and re.search(rf"(?<![\w<]){p}:", query)]
    if not used:
        return query, 0
    header = " ".join(f"PREFIX {p}: <{PREFIXES[p]}>" for p in used)
    return header + "\n" + query, 1


def pointed_at(text: str, line: int, column: int | None) -> str:
    """The line of a text an error names, with a caret under its column, to follow the message; a long line
    is shown around the column.

    >>> print(pointed_at("SELECT ?m {\\n  ?m a dc:Meeting }", 2, 8))
    <BLANKLINE>
        ?m a dc:Meeting }
             ^
    >>> pointed_at("SELECT ?m {\\n\\t?m a dc:M }", 2, 6).endswith("\\t    ^")  # a tab stays a tab
    True
    >>> print(pointed_at("<x:s> <x:p> '" + "a" * 300 + "' !", 1, 316))
    <BLANKLINE>
      …aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' !
                                                                         ^
    """
    lines = text.split("\n")
    if not 1 <= line <= len(lines) or column is None or column < 1:
        return ""
    shown, at = lines[line - 1].rstrip("\r"), column - 1
    if len(shown) > _POINTED_WIDTH:  # keep the place in view: some of what comes before it, some after
        start = max(0, at - _POINTED_WIDTH * 2 // 3)
        end = start + _POINTED_WIDTH
        shown, at = (
            ("…" if start else "") + shown[start:end] + ("…" if end < len(shown) else ""),
            at - start + bool(start),
        )
    padding = "".join(c if c == "\t" else " " for c in shown[:at])
    return f"\n  {shown}\n  {padding}^"


_POINTED_WIDTH = 100


def slashed_name_hint(query: str) -> str:
    """A hint for a query that writes an instance as `id:country/KOR`, which SPARQL cannot read."""
    found = _SLASHED_NAME.search(query)
    if found is None:
        return ""
    kind, key = found.groups()
    fix = f"{kind}:{key}" if kind in INSTANCE_KINDS else f"<{PREFIXES['id']}{kind}/{key}>"
    return f"; `{found.group(0)}` is not a name SPARQL can read (no `/` after a prefix): write {fix}."


def short(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None) -> str:
    """A term as a table cell: prefixed names for known namespaces, literal values without quotes."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        text = term.value
        for prefix, namespace in PREFIXES.items():  # a name as a query may write it: `country:KOR`
            if text.startswith(namespace) and _PLAIN_NAME.fullmatch(text, len(namespace)):
                return f"{prefix}:{text[len(namespace) :]}"
        return f"<{text}>"
    if isinstance(term, ox.Literal):
        return f"{term.value}@{term.language}" if term.language else term.value
    if isinstance(term, ox.Triple):  # a triple term (RDF 1.2)
        return f"<<( {short(term.subject)} {short(term.predicate)} {short(term.object)} )>>"
    return str(term)


def write_answer(store: Store, query: str, form: str, output: IO[bytes]) -> None:
    """Run a query and lay its answer out for a terminal: yes or no, a table, or Turtle."""
    if form == "ASK":
        output.write(b"yes\n" if store.ask(query) else b"no\n")
    elif form in ("CONSTRUCT", "DESCRIBE"):
        write_turtle(store.stream_construct(query), output)
    else:
        answer = store.stream_select(query)
        order = written_order(query, answer.variables)
        header = [answer.variables[i] for i in order]
        write_table(header, ([short(row[i]) for i in order] for row in answer.rows), output)


def write_table(header: list[str], rows: Iterator[list[str]], output: IO[bytes]) -> None:
    """Rows of text as columns under their header, with a row count. The first `MEASURED_ROWS` rows set the
    widths; a longer cell further down pushes its line's next cells right."""
    measured = list(islice(rows, MEASURED_ROWS))
    widths = [max([shown_width(h)] + [shown_width(r[i]) for r in measured]) for i, h in enumerate(header)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c + " " * (w - shown_width(c)) for c, w in zip(cells, widths, strict=True)).rstrip()

    _write_lines(output, [line(header), line(["-" * w for w in widths])])
    count = 0
    lines: list[str] = []
    for cells in chain(measured, rows):
        count += 1
        lines.append(line(cells))
        if len(lines) == _LINES_A_WRITE:
            _write_lines(output, lines)
            lines = []
    _write_lines(output, [*lines, f"({count} row{'s' if count != 1 else ''})"])


def shown_width(text: str) -> int:
    """The columns a terminal gives a text: two for each wide character (Hangul, kana, CJK ideographs, as in
    `"이재명"@ko` or `"石破茂"@ja`), none for a combining mark or a zero-width character, one for the rest."""
    if text.isascii():
        return len(text)
    return sum(
        0
        if unicodedata.combining(c) or unicodedata.category(c) in _ZERO_WIDTH
        else 2
        if unicodedata.east_asian_width(c) in "WF"
        else 1
        for c in text
    )


_ZERO_WIDTH = frozenset({"Mn", "Me", "Cf"})


def aligned(header: list[str], cells: list[list[str]]) -> str:
    """Rows of text as aligned columns under their header, with a row count, as one string."""
    written = io.BytesIO()
    write_table(header, iter(cells), written)
    return written.getvalue().decode("utf-8").rstrip("\n")


def write_turtle(triples: Iterator[ox.Triple], output: IO[bytes]) -> None:
    """Triples as Turtle with the known prefixes: sorted by rdflib up to `PRETTY_AT_MOST` triples, streamed by
    Oxigraph beyond (grouped where the answer repeats a subject, the prefixes those first triples use)."""
    first = list(islice(triples, PRETTY_AT_MOST + 1))
    if len(first) <= PRETTY_AT_MOST:
        from rdflib import Graph  # imported when used: the command line starts without it

        from graph.terms import converter

        graph, convert = Graph(), converter()
        for prefix, namespace in PREFIXES.items():
            graph.bind(prefix, namespace)
        for t in first:
            graph.add((convert(t.subject), convert(t.predicate), convert(t.object)))
        output.write(graph.serialize(format="turtle").rstrip().encode("utf-8") + b"\n")
        return
    ox.serialize(chain(first, triples), output, ox.RdfFormat.TURTLE, prefixes=_prefixes_in(first))


def _prefixes_in(triples: Iterable[ox.Triple]) -> dict[str, str]:
    """The known prefixes the triples' IRIs use, but those whose names would need escaping."""
    used: set[str] = set()
    spoiled: set[str] = set()
    for triple in triples:
        for term in (triple.subject, triple.predicate, triple.object):
            if isinstance(term, ox.NamedNode):
                for prefix, namespace in PREFIXES.items():
                    if term.value.startswith(namespace):
                        (used if _PLAIN_NAME.fullmatch(term.value, len(namespace)) else spoiled).add(prefix)
    return {p: n for p, n in PREFIXES.items() if p in used - spoiled}


def _write_lines(output: IO[bytes], lines: list[str]) -> None:
    if lines:
        output.write(("\n".join(lines) + "\n").encode("utf-8"))
