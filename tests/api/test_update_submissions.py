# ruff: noqa: F811
"""Submissions by SPARQL update: INSERT DATA, data blocks as SPARQL writes them, INSERT WHERE and graph copies
previewed, deletions that break a node, writes into the default or reserved graphs refused, and two writes
judged one after the other. Each goes through the gate a Turtle submission does (`test_submissions`)."""

from __future__ import annotations

import json
import threading
import time

import pytest
from flask.testing import FlaskClient

from api.app import create_app
from api.settings import Settings
from graph.embedded import EmbeddedStore
from graph.validation import Validator

# The submission tests' helpers, and their `client` and `store` fixtures named again as the tests' arguments.
from tests.api.test_submissions import BL, SOURCE, WRITER, client, meeting, post, refusal, sparql_update, store  # noqa: F401


def test_sparql_insert_data_passes_the_same_gate(client: FlaskClient, store: EmbeddedStore) -> None:
    before = store.count()
    turtle = meeting("via-update", day="1999-09-09")
    prefixes = "\n".join(
        line.replace("@prefix", "PREFIX").rstrip(" .") for line in turtle.splitlines() if line.startswith("@prefix")
    )
    body = "\n".join(line for line in turtle.splitlines() if not line.startswith("@prefix"))
    update = f"{prefixes}\nINSERT DATA {{ GRAPH <urn:x:updated> {{ {body} }} }}"
    refused = sparql_update(client, update)
    assert refused.status_code == 422
    assert {v["sourceShape"] for v in json.loads(refused.data)["violations"]} == {"blsh:MeetingOutOfOfficeShape"}
    assert store.count() == before
    accepted = sparql_update(client, update.replace("1999-09-09", "2025-09-09"))
    assert accepted.status_code == 204 and store.count() == before + 17


def test_data_blocks_are_read_as_sparql_writes_them(client: FlaskClient, store: EmbeddedStore) -> None:
    """No dot after the last triple, several GRAPH groups, a dot after a group: all valid SPARQL."""
    before = store.count()
    update = (
        "INSERT DATA { GRAPH <urn:x:blocks> { <urn:x:a> <urn:x:p> 'one' . <urn:x:a> <urn:x:p> 'two' } . "
        "GRAPH <urn:x:blocks> { <urn:x:b> <urn:x:p> 'three' } GRAPH <urn:x:more> { <urn:x:c> <urn:x:p> 'four' } }"
    )
    accepted = sparql_update(client, update)
    assert accepted.status_code == 204, accepted.data
    assert store.count() == before + 4
    assert store.ask("ASK { GRAPH <urn:x:blocks> { <urn:x:b> <urn:x:p> 'three' } }")
    removed = sparql_update(client, update.replace("INSERT", "DELETE"))
    assert removed.status_code == 204, removed.data
    assert store.count() == before


@pytest.mark.parametrize(
    "update",
    [
        "INSERT DATA { <urn:x:a> <urn:x:p> 'one' GRAPH <urn:x:g> { <urn:x:b> <urn:x:p> 'two' } }",
        "INSERT DATA { GRAPH <urn:x:g> { <urn:x:b> <urn:x:p> 'two' } . <urn:x:a> <urn:x:p> 'one' }",
        "INSERT { ?s <urn:x:q> 'copied' } WHERE { GRAPH ?g { ?s a <https://w3id.org/bilateral/ontology#Summit> } }",
        "INSERT { GRAPH <urn:x:g> { ?s <urn:x:q> 1 } ?s <urn:x:q> 2 } USING <urn:x:g> WHERE { ?s ?p ?o }",
        "COPY <https://w3id.org/bilateral/graph/countries> TO DEFAULT",
        "CLEAR SILENT GRAPH <urn:x:g> ; MOVE SILENT GRAPH <urn:x:g> TO DEFAULT",
    ],
)
def test_writes_into_the_default_graph_are_refused(client: FlaskClient, store: EmbeddedStore, update: str) -> None:
    before = store.count()
    detail = refusal(client, update)
    assert "outside any GRAPH" in detail and "WITH <graph>" in detail and "Found in:" in detail
    assert store.count() == before and not store.ask("ASK { ?s <urn:x:p> 'one' }")


def test_deletions_outside_any_graph_are_refused_and_graph_patterns_delete(
    client: FlaskClient, store: EmbeddedStore
) -> None:
    fact = "<urn:x:fact> <urn:x:p> 'wrong'"
    assert sparql_update(client, f"INSERT DATA {{ GRAPH <urn:x:g1> {{ {fact} }} }}").status_code == 204
    assert sparql_update(client, f"INSERT DATA {{ GRAPH <urn:x:g2> {{ {fact} }} }}").status_code == 204
    before = store.count()
    for update in (
        f"DELETE DATA {{ {fact} }}",
        "DELETE WHERE { <urn:x:fact> <urn:x:p> ?o }",
        "DELETE { ?s <urn:x:p> ?o } WHERE { GRAPH ?g { ?s <urn:x:p> ?o } }",
    ):
        assert "would delete nothing" in refusal(client, update)
    assert store.count() == before
    everywhere = "DELETE { GRAPH ?g { ?s <urn:x:p> ?o } } WHERE { GRAPH ?g { ?s <urn:x:p> ?o } }"
    assert sparql_update(client, everywhere).status_code == 204
    assert store.count() == before - 2 and not store.ask("ASK { <urn:x:fact> ?p ?o }")


@pytest.mark.parametrize(
    "update",
    [
        "INSERT DATA { GRAPH <urn:bilateral:pending-loads> { <urn:x:a> <urn:x:p> 'kept' } }",
        "PREFIX b: <urn:bilateral:> INSERT DATA { GRAPH b:pending-loads { <urn:x:a> <urn:x:p> 'kept' } }",
        "PREFIX b: <urn:bilateral:> INSERT { GRAPH b:journal { ?s <urn:x:p> 'kept' } } WHERE { GRAPH ?g { ?s a ?c } }",
        "WITH <urn:bilateral:validation:context> INSERT { ?s <urn:x:p> 'kept' } WHERE { GRAPH ?g { ?s a ?c } }",
        "COPY <https://w3id.org/bilateral/graph/countries> TO <urn:bilateral:pending-loads>",
        "DROP SILENT GRAPH <urn:bilateral:pending-loads>",
    ],
)
def test_writes_into_reserved_graphs_are_refused(client: FlaskClient, store: EmbeddedStore, update: str) -> None:
    before = store.count()
    assert "is reserved: names under urn:bilateral: are" in refusal(client, update)
    assert store.count() == before
    said = sparql_update(client, "INSERT DATA { GRAPH <urn:x:said> { <urn:x:a> <urn:x:p> 'urn:bilateral:x' } }")
    assert said.status_code == 204, said.data  # spelled in a literal only
    put = client.put(
        "/store?graph=urn:bilateral:pending-loads",
        data=b"<urn:x:a> <urn:x:p> 'kept' .",
        headers={"Content-Type": "text/turtle", "Authorization": f"Bearer {WRITER}"},
    )
    assert put.status_code == 400 and "is reserved" in json.loads(put.data)["detail"]
    assert sparql_update(client, "DROP GRAPH <urn:x:said>").status_code == 204


def test_two_writes_each_valid_alone_are_judged_one_after_the_other(
    client: FlaskClient, store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two corrections of one event's last day, each valid against the store as it was: judged side by side
    # they would both pass and leave the event with two bl:latest.
    event = "<https://w3id.org/bilateral/id/event/lee-trump-summit-2025-08-25>"
    graph = "<https://w3id.org/bilateral/graph/source/seed-000>"

    def moved_to(day: str) -> str:
        return (
            f"PREFIX bl: <{BL}> PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> "
            f"DELETE DATA {{ GRAPH {graph} {{ {event} bl:latest '2025-08-25'^^xsd:date }} }} ; "
            f"INSERT DATA {{ GRAPH {graph} {{ {event} bl:latest '{day}'^^xsd:date }} }}"
        )

    judge = Validator.validate_staged

    def slowly(self: Validator, *args: object, **options: object) -> object:
        report = judge(self, *args, **options)  # type: ignore[arg-type]
        time.sleep(0.3)  # the window in which the other write would be judged on the same store
        return report

    monkeypatch.setattr(Validator, "validate_staged", slowly)
    answers: list[int] = []

    def write(day: str) -> None:
        answers.append(sparql_update(client.application.test_client(), moved_to(day)).status_code)

    writers = [threading.Thread(target=write, args=(day,)) for day in ("2025-08-26", "2025-08-27")]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    assert sorted(answers) == [204, 422]
    latest = store.select(f"SELECT ?d WHERE {{ {event} <{BL}latest> ?d }}").rows
    assert len(latest) == 1


def test_a_write_that_waits_past_the_time_limit_for_another_is_told_to_retry(
    store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(tokens={WRITER: "writer"}, timeout_s=0.2)
    app = create_app(settings, lambda *_: store)
    judge = Validator.validate_staged

    def slowly(self: Validator, *args: object, **options: object) -> object:
        time.sleep(0.6)
        return judge(self, *args, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(Validator, "validate_staged", slowly)
    answers: list[tuple[int, str | None]] = []

    def write(n: int) -> None:
        update = f"INSERT DATA {{ GRAPH <urn:x:waits> {{ <urn:x:a{n}> <urn:x:p> {n} }} }}"
        answer = sparql_update(app.test_client(), update)
        answers.append((answer.status_code, answer.headers.get("Retry-After")))

    writers = [threading.Thread(target=write, args=(n,)) for n in range(2)]
    for writer in writers:
        writer.start()
        time.sleep(0.05)
    for writer in writers:
        writer.join()
    assert sorted(answers, key=lambda a: a[0]) == [(204, None), (503, "5")]
    assert store.count("urn:x:waits") == 1


def test_graph_copies_from_the_default_graph_are_refused(client: FlaskClient, store: EmbeddedStore) -> None:
    before = store.count()
    for update in ("COPY DEFAULT TO <urn:x:g>", "MOVE SILENT DEFAULT TO GRAPH <urn:x:g>", "ADD DEFAULT TO <urn:x:g>"):
        assert "Name the graph to copy" in refusal(client, update)
    assert store.count() == before


def test_a_comment_beside_graph_groups_is_not_a_default_graph_triple(client: FlaskClient, store: EmbeddedStore) -> None:
    update = "INSERT DATA {\n  # from the wire story, with a '#' in <http://x/#iri> quoted\n  GRAPH <urn:x:commented> { <urn:x:a> <urn:x:p> '#1' }\n}"
    accepted = sparql_update(client, update)
    assert accepted.status_code == 204, accepted.data
    assert store.count("urn:x:commented") == 1


@pytest.mark.parametrize("name", ["<urn:x:with>", "x:with"])
def test_with_names_the_graph_a_template_writes(client: FlaskClient, store: EmbeddedStore, name: str) -> None:
    before = store.count()
    update = (
        f"PREFIX x: <urn:x:>\nWITH {name}\nINSERT {{ ?s x:tag 'summit' }} "
        "WHERE { GRAPH ?g { ?s a <https://w3id.org/bilateral/ontology#Summit> } }"
    )
    accepted = sparql_update(client, update)
    assert accepted.status_code == 204, accepted.data
    assert store.count("urn:x:with") > 0 and store.count() == before + store.count("urn:x:with")


@pytest.mark.parametrize(
    ("head", "template"),
    [
        ("", "GRAPH <urn:x:copy> {{ {} }}"),
        # WITH names the default graph of the WHERE; its GRAPH patterns still see every named graph
        ("WITH <urn:x:copy>\n", "{}"),
    ],
    ids=["graph-in-template", "with"],
)
def test_insert_where_and_graph_copies_are_previewed(
    client: FlaskClient, store: EmbeddedStore, head: str, template: str
) -> None:
    assert post(client, meeting("source-meeting"), **SOURCE).status_code == 201
    before = store.count()
    # Copying the meeting under a new IRI with a date before Lee took office must be refused.
    copied = template.format('?copy ?p ?o ; bl:earliest "2001-01-01"^^xsd:date ; bl:latest "2001-01-01"^^xsd:date')
    early = f"""PREFIX bl: <https://w3id.org/bilateral/ontology#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
{head}INSERT {{ {copied} }}
WHERE {{ GRAPH ?g {{ <https://w3id.org/bilateral/id/event/source-meeting> ?p ?o }}
        FILTER (?p NOT IN (bl:earliest, bl:latest, bl:date))
        BIND (<https://w3id.org/bilateral/id/event/copied-meeting> AS ?copy) }}"""
    refused = sparql_update(client, early)
    assert refused.status_code == 422, refused.data
    assert "blsh:MeetingOutOfOfficeShape" in {v["sourceShape"] for v in json.loads(refused.data)["violations"]}
    assert store.count() == before
    fine = early.replace("2001-01-01", "2025-10-01")
    assert sparql_update(client, fine).status_code == 204
    assert store.count() > before and store.count("urn:x:copy") > 0
    copy = "COPY <urn:x:copy> TO <urn:x:copy-2>"
    assert sparql_update(client, copy).status_code == 204


def test_a_deletion_that_breaks_a_node_is_refused(client: FlaskClient, store: EmbeddedStore) -> None:
    created = json.loads(post(client, meeting("to-thin-out"), **SOURCE).data)
    before = store.count()
    event, graph = "https://w3id.org/bilateral/id/event/to-thin-out", created["graph"]
    thin = f"DELETE DATA {{ GRAPH <{graph}> {{ <{event}> <{BL}participant> <https://w3id.org/bilateral/id/person/shigeru-ishiba> }} }}"
    refused = sparql_update(client, thin)
    assert refused.status_code == 422, refused.data
    violations = [v for v in json.loads(refused.data)["violations"] if v["severity"] == "Violation"]
    assert {v["sourceShape"] for v in violations} == {"blsh:MeetingParticipantsShape"}
    assert store.count() == before
    where = (
        f"DELETE {{ GRAPH ?g {{ <{event}> <{BL}source> ?s }} }} WHERE {{ GRAPH ?g {{ <{event}> <{BL}source> ?s }} }}"
    )
    assert sparql_update(client, where).status_code == 422
    # Deleted and inserted again in one request, the participant stays: the meeting keeps its two.
    ishiba = f"<{event}> <{BL}participant> <https://w3id.org/bilateral/id/person/shigeru-ishiba>"
    again = f"DELETE DATA {{ GRAPH <{graph}> {{ {ishiba} }} }} ; INSERT DATA {{ GRAPH <{graph}> {{ {ishiba} }} }}"
    assert sparql_update(client, again).status_code == 204, sparql_update(client, again).data
    assert store.count() == before
    harmless = f'DELETE DATA {{ GRAPH <{graph}> {{ <{event}> <{BL}date> "2025-09-23"^^<http://www.w3.org/2001/XMLSchema#date> }} }}'
    assert sparql_update(client, harmless).status_code == 204
    assert store.count() == before - 1
