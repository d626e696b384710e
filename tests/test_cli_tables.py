"""`bilateral query` laid out as a table: columns sized by the first rows, wide and combining characters
aligned as a terminal shows them, names shortened as a query may write them, SELECT * in the order written,
and a large answer written as it comes (a table or, for graphs, Turtle), run as real processes."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from tests.test_cli import RDFS, bilateral


def test_a_large_answer_is_laid_out_as_it_comes(tmp_path: Path) -> None:
    from api.tables import MEASURED_ROWS, PRETTY_AT_MOST

    store = str(tmp_path / "data")
    assert bilateral("init", "--store", store).returncode == 0
    pairs = "SELECT ?a ?b WHERE { ?a a bl:Country . ?b a bl:Country }"
    as_tsv = bilateral("query", "--store", store, "--format", "tsv", pairs)
    count = len(as_tsv.stdout.splitlines()) - 1
    assert MEASURED_ROWS < count < PRETTY_AT_MOST
    table = bilateral("query", "--store", store, "--format", "table", pairs)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["a", "b"] and lines[-1] == f"({count} rows)" and len(lines) == count + 3
    assert {tuple(line.split()) for line in lines[2:-1]} == {
        tuple(
            cell.replace("<https://w3id.org/bilateral/id/country/", "country:").rstrip(">") for cell in line.split("\t")
        )
        for line in as_tsv.stdout.splitlines()[1:]
    }
    # Past PRETTY_AT_MOST triples, Oxigraph writes the Turtle as the triples come: the same triples.
    fanned = "CONSTRUCT { ?a bl:p1 ?b . ?a bl:p2 ?b . ?a bl:p3 ?b . ?a bl:p4 ?b } WHERE { ?a a bl:Country . ?b a bl:Country }"
    turtle = bilateral("query", "--store", store, "--format", "table", fanned)
    assert turtle.returncode == 0, turtle.stderr
    assert "@prefix bl: <https://w3id.org/bilateral/ontology#> .\n" in turtle.stdout
    assert "@prefix country: <https://w3id.org/bilateral/id/country/> .\n" in turtle.stdout
    assert "@prefix id:" not in turtle.stdout  # its names would hold a `/`, which Turtle escapes
    written = {str(t) for t in ox.parse(turtle.stdout.encode(), ox.RdfFormat.TURTLE)}
    assert len(written) == 4 * count > PRETTY_AT_MOST
    plain = bilateral("query", "--store", store, "--format", "ntriples", fanned)
    assert written == {str(t) for t in ox.parse(plain.stdout.encode(), ox.RdfFormat.N_TRIPLES)}


def test_names_are_shown_as_a_query_may_write_them(tmp_path: Path) -> None:
    from api.tables import short

    assert short(ox.NamedNode("https://w3id.org/bilateral/id/country/JPN")) == "country:JPN"
    assert short(ox.NamedNode("https://w3id.org/bilateral/id/person/kim.min-seok")) == "person:kim.min-seok"
    for whole in ("https://w3id.org/bilateral/id/kind/x", "https://w3id.org/bilateral/id/person/a.", "urn:x:y"):
        assert short(ox.NamedNode(whole)) == f"<{whole}>"
    country, name = ox.NamedNode("https://w3id.org/bilateral/id/country/JPN"), ox.NamedNode(RDFS + "label")
    assert (
        short(ox.Triple(country, name, ox.Literal("Japan", language="en"))) == "<<( country:JPN rdfs:label Japan@en )>>"
    )
    store = str(tmp_path / "data")
    assert bilateral("init", "--store", store).returncode == 0
    japan = bilateral(
        "query", "--store", store, "--format", "table", "SELECT ?name WHERE { country:JPN rdfs:label ?name }"
    )
    assert japan.returncode == 0 and "Japan@en" in japan.stdout, japan.stderr
    shown = bilateral("query", "--store", store, "--format", "table", "SELECT ?c WHERE { ?c bl:iso3166Alpha3 'JPN' }")
    assert "country:JPN" in shown.stdout.splitlines()
    slashed = bilateral("query", "--store", store, "DESCRIBE id:country/JPN")
    assert slashed.returncode == 2
    assert (
        "`id:country/JPN` is not a name SPARQL can read (no `/` after a prefix): write country:JPN." in slashed.stderr
    )


def test_a_table_sizes_its_columns_by_its_first_rows() -> None:
    from api.tables import MEASURED_ROWS, aligned

    rows = [["x", "1"]] * MEASURED_ROWS + [["longer", "2"]]
    lines = aligned(["name", "n"], rows).splitlines()
    assert lines[:3] == ["name  n", "----  -", "x     1"]
    assert lines[-2:] == ["longer  2", f"({MEASURED_ROWS + 1} rows)"]  # pushed right, not cut
    assert aligned(["name"], [["Seoul"]]).splitlines() == ["name", "-----", "Seoul", "(1 row)"]


def test_a_table_aligns_wide_and_combining_characters_as_a_terminal_shows_them() -> None:
    from api.tables import aligned, shown_width

    assert [shown_width(t) for t in ('"이재명"@ko', '"石破茂"@ja', '"e\u0301te\u0301"@fr', "ascii")] == [11, 11, 8, 5]
    lines = aligned(
        ["label", "n"], [['"이재명"@ko', "1"], ['"Ishiba"@en', "2"], ['"e\u0301te\u0301"@fr', "3"]]
    ).splitlines()
    columns = {shown_width(line[: line.rindex(" ")]) for line in lines[2:5]}  # where each row's last cell starts
    assert lines[0] == "label        n" and columns == {shown_width("label       ")}


@pytest.mark.parametrize(
    ("query", "given", "shown"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", "o p s", "s p o"),
        (
            "select DISTINCT * { ?office bl:officeOf ?Country ; rdfs:label ?label }",
            "Country label office",
            "office Country label",
        ),
        ("PREFIX x: <urn:a?o> SELECT * WHERE { { SELECT ?b ?a { ?a ?p ?b } } } # ?z", "a b", "b a"),
        ("SELECT ?p ?s WHERE { ?s ?p ?o }", "p s", "p s"),  # as projected
        ("SELECT ?n ?x WHERE { { SELECT * { ?x ?y ?n } } }", "n x", "n x"),
    ],
)
def test_a_select_star_table_lists_its_variables_as_written(query: str, given: str, shown: str) -> None:
    from api.tables import written_order

    variables = given.split()  # as the engine gives them: sorted for SELECT *
    assert [variables[i] for i in written_order(query, variables)] == shown.split()
