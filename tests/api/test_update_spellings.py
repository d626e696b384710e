# ruff: noqa: F811
"""Every way SPARQL lets an update be written is judged the same: without spaces between a keyword and an
IRI (`DROP GRAPH<…>`), with comments between any two words, with `\\u` escapes in IRIs, with graph names
computed in the WHERE, with the protocol's using-graph-uri. Each spelling here went through unjudged once.
A seeded generator of such updates checks that whatever the gate lets through leaves a store that conforms."""

from __future__ import annotations

import json
import random

import pytest
from flask.testing import FlaskClient

from graph.embedded import EmbeddedStore
from graph.validation import Validator

# The `client` and `store` fixtures of the submission tests, named again as the tests' arguments.
from tests.api.test_submissions import WRITER, client, sparql_update, store  # noqa: F401

COUNTRIES = "https://w3id.org/bilateral/graph/countries"
PERSON = "https://w3id.org/bilateral/ontology#Person"
NAMELESS = f"<urn:x:nobody> a <{PERSON}>"
"""A person without a name: PersonLabelShape refuses it."""


def state(store: EmbeddedStore) -> tuple[int, list[str]]:
    return store.count(), store.named_graphs()


def detail(response) -> str:  # type: ignore[no-untyped-def]
    return str(json.loads(response.data)["detail"])


@pytest.mark.parametrize(
    "update",
    [
        f"DROP GRAPH<{COUNTRIES}>",
        f"DROP SILENT GRAPH<{COUNTRIES}>",
        f"CLEAR GRAPH<{COUNTRIES}>",
        f"# tidy up\nDROP GRAPH <{COUNTRIES}>",
        f"DROP # the countries\n GRAPH <{COUNTRIES}>",
        "PREFIX g: <https://w3id.org/bilateral/graph/>\n# now\nDROP GRAPH g:countries",
        f"COPY<urn:x:empty>TO<{COUNTRIES}>",
        f"# c\nCOPY <urn:x:empty> TO <{COUNTRIES}>",
        f"MOVE GRAPH<urn:x:empty> TO GRAPH<{COUNTRIES}>",
    ],
)
def test_graph_operations_are_judged_however_they_are_spelled(
    client: FlaskClient, store: EmbeddedStore, update: str
) -> None:
    before = state(store)
    refused = sparql_update(client, update)
    assert refused.status_code == 422, refused.data  # participations act for states only that graph types
    shapes = {v["sourceShape"] for v in json.loads(refused.data)["violations"]}
    assert "blsh:ParticipationActsForShape" in shapes
    assert state(store) == before


@pytest.mark.parametrize(
    "update",
    [
        "PREFIX g: <https://w3id.org/bilateral/graph/>\nDROP GRAPHg:countries",
        "PREFIX g: <https://w3id.org/bilateral/graph/> # c\nDROP # c\nSILENT GRAPHg:countries",
    ],
)
def test_a_graph_operation_oxigraph_reads_and_the_gate_does_not_is_refused(
    client: FlaskClient, store: EmbeddedStore, update: str
) -> None:
    # Oxigraph reads `GRAPHg:countries` as GRAPH g:countries (SPARQL's grammar would read one name).
    before = state(store)
    refused = sparql_update(client, update)
    assert refused.status_code == 400 and "could not be read" in detail(refused), refused.data
    assert state(store) == before


@pytest.mark.parametrize(
    "update",
    [
        f"INSERT DATA{{GRAPH<urn:x:g>{{ {NAMELESS} }}}}",
        f"INSERT # c\n DATA {{ GRAPH <urn:x:g> {{ {NAMELESS} }} }}",
        f"INSERT{{GRAPH<urn:x:g>{{ {NAMELESS} }}}}WHERE{{}}",
        f"INSERT {{ GRAPH?g {{ {NAMELESS} }} }} WHERE {{ BIND(<urn:x:g> AS ?g) }}",
        f"WITH <urn:x:new> INSERT {{ {NAMELESS} }} WHERE {{}}",  # a graph that holds nothing yet
        f"WITH<urn:x:new> INSERT {{ {NAMELESS} }} WHERE {{}}",
        f"WITH # g\n <urn:x:new> INSERT {{ {NAMELESS} }} WHERE {{}}",
        f"INSERT DATA {{ GRAPH <urn:x:g\\u0041#> {{ {NAMELESS} }} }}",  # a # after an escape is no comment
        f"INSERT DATA {{ GRAPH <urn:x:g> {{ <urn:x:a\\u0041#b> a <urn:x:C> . {NAMELESS} }} }}",
    ],
)
def test_inserts_are_judged_however_they_are_spelled(client: FlaskClient, store: EmbeddedStore, update: str) -> None:
    before = state(store)
    refused = sparql_update(client, update)
    assert refused.status_code == 422, refused.data
    assert [v["sourceShape"] for v in json.loads(refused.data)["violations"]] == ["blsh:PersonLabelShape"]
    assert state(store) == before


@pytest.mark.parametrize("dot", ["", " .", " . "])
def test_a_template_of_several_graph_groups_is_judged_as_one(
    client: FlaskClient, store: EmbeddedStore, dot: str
) -> None:
    # Typed in one graph, named in another: one person, who conforms (a two-group template read as one
    # run of triples without the dot between them was a syntax error of a query the client never wrote).
    person = f"<urn:x:p{len(dot)}>"
    update = (
        f"INSERT {{ GRAPH <urn:x:a> {{ {person} a <{PERSON}>{dot} }}{dot} GRAPH <urn:x:b> {{ {person} "
        f'<http://www.w3.org/2000/01/rdf-schema#label> "P"@en{dot} }} }} WHERE {{}}'
    )
    accepted = sparql_update(client, update)
    assert accepted.status_code == 204, accepted.data
    assert store.count("urn:x:a") == store.count("urn:x:b") == 1


def test_a_graph_group_whose_variable_the_where_leaves_unbound_writes_nothing_and_is_not_judged(
    client: FlaskClient, store: EmbeddedStore
) -> None:
    before = state(store)
    nothing = f"INSERT {{ GRAPH ?g {{ {NAMELESS} }} }} WHERE {{ OPTIONAL {{ ?x <urn:x:never> ?g }} }}"
    assert sparql_update(client, nothing).status_code == 204  # the engine writes no triple with ?g unbound
    assert state(store) == before
    bound = f"INSERT {{ GRAPH ?g {{ {NAMELESS} }} }} WHERE {{ BIND(<urn:x:g> AS ?g) }}"
    assert sparql_update(client, bound).status_code == 422 and state(store) == before
    # A blank node in a group and outside it is one node: typed in one, named in the other, it conforms.
    person = "https://w3id.org/bilateral/ontology#Person"
    shared = f"""INSERT {{ GRAPH <urn:x:a> {{ _:p a <{person}> }} GRAPH ?g {{ _:p <http://www.w3.org/2000/01/rdf-schema#label> "P"@en }} }}
        WHERE {{ BIND(<urn:x:b> AS ?g) }}"""
    assert sparql_update(client, shared).status_code == 204


@pytest.mark.parametrize("using", ["USING<urn:x:things>", "USING # c\n <urn:x:things>", None])
def test_a_where_is_judged_over_the_graphs_it_reads(client: FlaskClient, store: EmbeddedStore, using: str) -> None:
    # Over the union, the thing is done and nothing would be inserted; over its own graph, it is not.
    setup = "INSERT DATA { GRAPH <urn:x:things> { <urn:x:t> a <urn:x:Thing> } GRAPH <urn:x:done> { <urn:x:t> <urn:x:done> true } }"
    assert sparql_update(client, setup).status_code == 204
    where = "WHERE { ?s a <urn:x:Thing> FILTER NOT EXISTS { ?s <urn:x:done> true } }"
    update = f"INSERT {{ GRAPH <urn:x:g> {{ ?s a <{PERSON}> }} }} {using or ''} {where}"
    form = {"update": update} | ({} if using else {"using-graph-uri": "urn:x:things"})
    before = state(store)
    refused = client.post("/sparql", data=form, headers={"Authorization": f"Bearer {WRITER}"})
    assert refused.status_code == 422, refused.data
    assert state(store) == before


@pytest.mark.parametrize(
    "update",
    [
        "INSERT DATA { GRAPH<urn:bilateral:pending-loads> { <urn:x:a> <urn:x:p> 'k' } }",
        "INSERT DATA { GRAPH <urn:bilateral\\u003Apending-loads> { <urn:x:a> <urn:x:p> 'k' } }",
        "INSERT DATA { GRAPH # the journal\n <urn:bilateral:pending-loads> { <urn:x:a> <urn:x:p> 'k' } }",
        "INSERT { GRAPH ?g { <urn:x:a> <urn:x:p> 'k' } } WHERE { BIND(IRI(CONCAT('urn:bil', 'ateral:pending-loads')) AS ?g) }",
        "WITH<urn:bilateral:x> INSERT { <urn:x:a> <urn:x:p> 'k' } WHERE {}",
        f"COPY <{COUNTRIES}> TO<urn:bilateral:x>",
    ],
)
def test_reserved_graphs_are_refused_however_they_are_named(
    client: FlaskClient, store: EmbeddedStore, update: str
) -> None:
    # A marker written into the journal's graph would have the store drop a graph when next opened.
    before = state(store)
    refused = sparql_update(client, update)
    assert refused.status_code == 400 and "is reserved: names under urn:bilateral:" in detail(refused)
    assert state(store) == before


def test_unreadable_updates_and_missing_graphs_are_told_not_crashed(client: FlaskClient, store: EmbeddedStore) -> None:
    before = state(store)
    for update in ("WITH <urn:x:g> INSERT { <urn:x:a> <urn:x:p> 1 } WHERE", "; <urn:x:g> DROP TO WHERE BIND(1 AS ?x)"):
        malformed = sparql_update(client, update)
        assert malformed.status_code == 400 and "SPARQL syntax error" in detail(malformed), malformed.data
    undeclared = sparql_update(client, "PREFIX x: <urn:x:>\nINSERT { GRAPH x:g { ?s skos:note 1 } } WHERE { ?s ?p ?o }")
    assert undeclared.status_code == 400 and "error at 2:25: the prefix skos: is not declared" in detail(undeclared)
    in_data = sparql_update(client, "PREFIX x: <urn:x:>\nINSERT DATA { GRAPH x:g { x:a skos:note 'x' } }")
    assert in_data.status_code == 400 and "error at 2:31: the prefix skos: is not declared" in detail(in_data)
    missing = sparql_update(client, "DROP GRAPH <urn:x:never-written>")
    assert missing.status_code == 400 and "does not exist" in detail(missing) and "SILENT" in detail(missing)
    assert sparql_update(client, "DROP SILENT GRAPH <urn:x:never-written>").status_code == 204
    assert state(store) == before


def _generated_update(rng: random.Random) -> str:
    """One or two operations that drop, copy onto or insert into graphs, spelled with and without spaces
    and comments; many violate the shapes, some do not."""
    graphs = [f"<{COUNTRIES}>", "<https://w3id.org/bilateral/graph/source/seed-000>", "<urn:x:g>", "p:g", "g:countries"]

    def gap() -> str:
        return rng.choice(["", " ", "\n", " # c\n"])

    def word_gap() -> str:
        return gap() or " "

    def operation() -> str:
        graph = rng.choice(graphs)
        return rng.choice(
            [
                f"DROP{word_gap()}{rng.choice(['', 'SILENT '])}GRAPH{gap()}{graph}",
                f"CLEAR{word_gap()}SILENT{word_gap()}GRAPH{gap()}{graph}",
                f"{rng.choice(['COPY', 'MOVE', 'ADD'])}{word_gap()}SILENT{gap()}<urn:x:empty>{word_gap()}TO{gap()}{graph}",
                f"INSERT{word_gap()}DATA{gap()}{{{gap()}GRAPH{gap()}<urn:x:g>{gap()}{{ {NAMELESS} }} }}",
                f"WITH{gap()}<urn:x:g{rng.randrange(3)}>{word_gap()}INSERT{gap()}{{ {NAMELESS} }}{gap()}WHERE{gap()}{{}}",
                f"INSERT{gap()}{{{gap()}GRAPH{gap()}?g{gap()}{{ {NAMELESS} }} }}{gap()}WHERE{{ BIND({graph} AS ?g) }}",
                f"DELETE{gap()}{{ GRAPH{gap()}?g{gap()}{{ ?s ?p ?o }} }}{gap()}WHERE{gap()}{{ GRAPH ?g {{ ?s ?p ?o "
                "FILTER(?s = <https://w3id.org/bilateral/id/country/KOR>) } }",
            ]
        )

    prologue = rng.choice(["", "PREFIX p: <urn:x:> ", "PREFIX g: <https://w3id.org/bilateral/graph/>\n", "# header\n"])
    return prologue + " ;\n".join(operation() for _ in range(rng.randint(1, 2)))


def test_what_the_gate_lets_through_leaves_a_store_that_conforms(client: FlaskClient, store: EmbeddedStore) -> None:
    rng, validator, answered = random.Random(20261203), Validator(), {204: 0, 400: 0, 422: 0}
    for _ in range(120):
        update = _generated_update(rng)
        before = state(store)
        response = sparql_update(client, update)
        assert response.status_code in answered, (update, response.data)
        answered[response.status_code] += 1
        if response.status_code == 204:  # what it changed stays: the next updates are judged against it
            report = validator.validate_store(store)
            assert report.conforms, (update, [r.shape for r in report.results])
        else:
            assert state(store) == before, update
    assert min(answered.values()) >= 5, answered


def test_an_update_is_parsed_for_its_syntax_error_without_running_any_of_it() -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from threading import Thread

    from api.update_text import syntax_error_of_update

    asked: list[str] = []

    class Counting(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the handler's name
            asked.append(self.path)
            self.send_response(500)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Counting)
    Thread(target=server.serve_forever, daemon=True).start()
    try:
        reaching = f"INSERT {{ GRAPH <urn:x:g> {{ ?s ?p ?o }} }} WHERE {{ SERVICE <http://127.0.0.1:{server.server_address[1]}/> {{ ?s ?p ?o }} }}"
        assert syntax_error_of_update(reaching) is None and asked == []  # parsed, never run
        malformed = syntax_error_of_update(f"{reaching} ;\nINSERT DATA {{ GRAPH <urn:x:g> {{ <urn:x:a> <urn:x:p> }} }}")
        assert malformed is not None and malformed.line == 2 and asked == []  # its own line, not one lower
    finally:
        server.shutdown()
        server.server_close()
