"""The competency questions: each `NN-name.rq` here is a question a researcher asks of the seed data, and
`NN-name.tsv` its answer as the articles state it (header: the variables; one row per answer; IRIs under
https://w3id.org/bilateral/ written as their path, ontology terms as bl:Name, literals as their text, an
empty cell for an unbound variable). Rows are compared as a multiset, or in order when the query orders them.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.term import Node

from graph.namespaces import BASE, BL
from graph.store import Store

HERE = Path(__file__).resolve().parent
QUESTIONS = sorted(HERE.glob("*.rq"))


def cell(term: Node | None) -> str:
    if term is None:
        return ""
    if isinstance(term, URIRef):
        text = str(term)
        if text.startswith(str(BL)):
            return "bl:" + text[len(str(BL)) :]
        return text[len(str(BASE)) :] if text.startswith(str(BASE)) else f"<{text}>"
    return str(term) if isinstance(term, Literal) else term.n3()


def expected(query: Path) -> tuple[list[str], list[tuple[str, ...]]]:
    lines = query.with_suffix(".tsv").read_text(encoding="utf-8").rstrip("\n").split("\n")
    header = lines[0].split("\t")
    rows = [tuple(line.split("\t")) for line in lines[1:]]
    assert all(len(row) == len(header) for row in rows), f"{query.stem}.tsv: every row has {len(header)} cells"
    return header, rows


def test_there_are_at_least_twelve_questions_each_with_an_answer() -> None:
    assert len(QUESTIONS) == 16
    for query in QUESTIONS:
        assert query.read_text(encoding="utf-8").startswith("# Question: "), query.name
        assert query.with_suffix(".tsv").is_file(), f"{query.stem} has no expected answer"


@pytest.mark.parametrize("query", QUESTIONS, ids=[q.stem for q in QUESTIONS])
def test_competency_question(query: Path, seeded: Store) -> None:
    header, rows = expected(query)
    answer = seeded.select(query.read_text(encoding="utf-8"))
    assert answer.variables == header
    found = [tuple(cell(term) for term in row) for row in answer]
    if "ORDER BY" in query.read_text(encoding="utf-8"):
        assert found == rows
    else:
        assert Counter(found) == Counter(rows)
