"""Submissions in-process (Flask's test client over an initialized embedded store): accepted with their
record, recognised when repeated, refused with the report and nothing written, retracted by curators; the
same gate on the Graph Store Protocol; every shapes fixture submitted one by one."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from rdflib import Graph

from api.app import create_app
from api.settings import Settings
from graph.embedded import EmbeddedStore
from graph.loading import init_store
from graph.validation import Validator
from tests.shapes.test_fixtures import INVALID, VALID, fixture_data

BL = "https://w3id.org/bilateral/ontology#"
WRITER, CURATOR = "writer-secret-1", "curator-secret-1"
AS_WRITER = {"Authorization": f"Bearer {WRITER}", "Content-Type": "text/turtle"}
AS_CURATOR = {"Authorization": f"Bearer {CURATOR}"}
SOURCE = {"source": "https://w3id.org/bilateral/id/source/seed-000"}
PREFIXES = """@prefix bl: <https://w3id.org/bilateral/ontology#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix person: <https://w3id.org/bilateral/id/person/> .
@prefix country: <https://w3id.org/bilateral/id/country/> .
"""


def meeting(key: str, day: str = "2025-09-23") -> str:
    """A meeting of Lee and Ishiba that cites the stored persons without restating them."""
    event = f"<https://w3id.org/bilateral/id/event/{key}>"
    return (
        PREFIXES
        + f"""
{event} a bl:Summit ; bl:earliest "{day}"^^xsd:date ; bl:latest "{day}"^^xsd:date ; bl:date "{day}"^^xsd:date ;
    bl:participant person:lee-jae-myung , person:shigeru-ishiba ; bl:source <https://w3id.org/bilateral/id/source/seed-000> ;
    bl:hasParticipation <{event[1:-1]}-lee> , <{event[1:-1]}-ishiba> .
<{event[1:-1]}-lee> a bl:Participation ; bl:agent person:lee-jae-myung ; bl:role bl:VisitorRole ; bl:actsFor country:KOR .
<{event[1:-1]}-ishiba> a bl:Participation ; bl:agent person:shigeru-ishiba ; bl:role bl:HostRole ; bl:actsFor country:JPN .
"""
    )


@pytest.fixture()
def store() -> EmbeddedStore:
    store = EmbeddedStore()
    init_store(store)
    return store


@pytest.fixture()
def client(store: EmbeddedStore) -> FlaskClient:
    settings = Settings(
        tokens={WRITER: "writer", CURATOR: "curator"}, curators=frozenset({"curator"}), max_body_bytes=200_000
    )
    return create_app(settings, lambda *_: store).test_client()


def post(client: FlaskClient, body: str, **params: str):  # type: ignore[no-untyped-def]
    return client.post("/submissions", data=body.encode(), headers=AS_WRITER, query_string=params)


def sparql_update(client: FlaskClient, update: str):  # type: ignore[no-untyped-def]
    return client.post("/sparql", data={"update": update}, headers={"Authorization": f"Bearer {WRITER}"})


def refusal(client: FlaskClient, update: str) -> str:
    """The detail of the 400 an update is refused with."""
    refused = sparql_update(client, update)
    assert refused.status_code == 400, refused.data
    return str(json.loads(refused.data)["detail"])


def test_an_accepted_submission_has_its_graph_and_record(client: FlaskClient, store: EmbeddedStore) -> None:
    before = store.count()
    response = post(client, meeting("un-general-assembly-2025"), **SOURCE, comment="from a briefing")
    assert response.status_code == 201, response.data
    body = json.loads(response.data)
    assert response.headers["Location"] == f"/submissions/{body['id']}"
    assert body["submitter"] == "writer" and body["source"] == SOURCE["source"] and len(body["contentHash"]) == 64
    assert body["triples"] == 17  # the answer counts what was stored, as GET does
    assert store.count(body["graph"]) == 17 and store.count() > before + 17  # the facts, and their record
    shown = json.loads(client.get(body and response.headers["Location"]).data)
    assert shown["status"] == "accepted" and shown["triples"] == 17 and shown["comment"] == "from a briefing"
    facts = client.get(response.headers["Location"], headers={"Accept": "text/turtle"})
    assert len(Graph().parse(data=facts.data, format="turtle")) == 17
    listed = json.loads(client.get("/submissions").data)["submissions"]
    assert [s["id"] for s in listed] == [body["id"]]


def test_warnings_are_recorded_and_returned_but_never_block(client: FlaskClient) -> None:
    year_only = meeting("year-only").replace('bl:date "2025-09-23"^^xsd:date', 'bl:date "2025"^^xsd:gYear')
    response = post(client, year_only, **SOURCE)
    assert response.status_code == 201
    warnings = json.loads(response.data)["warnings"]
    assert len(warnings) == 1 and "year" in warnings[0]
    assert json.loads(client.get(response.headers["Location"]).data)["warnings"] == warnings


def test_the_same_content_twice_is_recognised(client: FlaskClient, store: EmbeddedStore) -> None:
    first = post(client, meeting("repeated"), **SOURCE)
    count = store.count()
    same_facts = Graph().parse(data=meeting("repeated"), format="turtle").serialize(format="nt", encoding="utf-8")
    again = client.post(
        "/submissions",
        data=same_facts,
        query_string=SOURCE,
        headers={**AS_WRITER, "Content-Type": "application/n-triples"},
    )
    assert again.status_code == 200 and json.loads(again.data)["duplicate"] is True
    assert again.headers["Location"] == first.headers["Location"] and store.count() == count
    assert json.loads(again.data)["triples"] == json.loads(first.data)["triples"] == 17


def test_a_violating_submission_is_refused_with_the_report(client: FlaskClient, store: EmbeddedStore) -> None:
    before = store.count()
    out_of_office = meeting("too-early", day="2020-01-10")  # Lee took office on 2025-06-04
    response = post(client, out_of_office, **SOURCE)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    violations = json.loads(response.data)["violations"]
    assert {v["sourceShape"] for v in violations} == {"blsh:MeetingOutOfOfficeShape"}
    assert set(violations[0]) >= {"focusNode", "path", "value", "message", "severity", "sourceShape"}
    report = client.post(
        "/submissions", data=out_of_office.encode(), query_string=SOURCE, headers={**AS_WRITER, "Accept": "text/turtle"}
    )
    assert report.status_code == 422 and report.mimetype == "text/turtle" and b"ValidationReport" in report.data
    assert store.count() == before


def test_a_term_the_ontology_lacks_is_refused_by_name(client: FlaskClient, store: EmbeddedStore) -> None:
    # No shape targets a misspelt class, and no query for bl:participant finds a misspelt property: both
    # would have been stored unchecked.
    before = store.count()
    event, kang = "https://w3id.org/bilateral/id/event/misspelt", "https://w3id.org/bilateral/id/person/kang-yu-jung"
    misspelt = meeting("misspelt").replace("a bl:Summit", "a bl:Sumit")
    misspelt = misspelt.replace("; bl:source", "; bl:particpant person:kang-yu-jung ; bl:source")
    response = post(client, misspelt, **SOURCE)
    assert response.status_code == 422, response.data
    violations = {
        (v["focusNode"], v["sourceShape"], v.get("path"), v["value"]) for v in json.loads(response.data)["violations"]
    }
    assert (f"<{event}>", "blsh:KnownClassShape", None, "bl:Sumit") in violations
    assert (f"<{event}>", "blsh:KnownPropertyShape", "bl:particpant", f"<{kang}>") in violations
    messages = " ".join(v["message"] for v in json.loads(response.data)["violations"])
    assert "#Sumit is not a class of the bilateral ontology" in messages
    assert "#particpant is not a property of the bilateral ontology" in messages
    assert "Did you mean bl:Summit?" in messages and "Did you mean bl:participant?" in messages
    # A fact about a misspelt name of the stored summit: a new node without a class, told the stored one.
    summit = "https://w3id.org/bilateral/id/event/lee-ishiba-summit-2025-08"
    misnamed = post(client, PREFIXES + f"<{summit.replace('summit', 'sumit')}> bl:ordinal 2 .\n", **SOURCE)
    assert misnamed.status_code == 422, misnamed.data
    (untyped,) = json.loads(misnamed.data)["violations"]
    assert untyped["sourceShape"] == "blsh:TypedNodeShape" and untyped["message"].endswith(f"Did you mean <{summit}>?")
    assert store.count() == before


@pytest.mark.parametrize(
    ("remodelling", "named"),
    [  # summits made disputes; a class declared to use it; a class of another vocabulary made a meeting
        ("bl:Summit rdfs:subClassOf bl:Dispute .", "<https://w3id.org/bilateral/ontology#Summit>"),
        (
            meeting("call").replace("a bl:Summit", "a bl:PhoneCall") + "bl:PhoneCall a owl:Class .",
            "<https://w3id.org/bilateral/ontology#PhoneCall>",
        ),
        (
            meeting("call").replace("a bl:Summit", "a ex:PhoneCall") + "ex:PhoneCall rdfs:subClassOf bl:Meeting .",
            "<http://example.org/PhoneCall>",
        ),
        ("[] rdfs:subClassOf bl:Meeting .", "a blank node"),
    ],
)
def test_data_that_remodels_the_ontology_is_refused(
    client: FlaskClient, store: EmbeddedStore, remodelling: str, named: str
) -> None:
    before = store.count()
    modelling = "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n@prefix ex: <http://example.org/> .\n"
    modelling += "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
    response = post(
        client, modelling + (remodelling if remodelling.startswith("@") else PREFIXES + remodelling), **SOURCE
    )
    assert response.status_code == 400, response.data
    detail = json.loads(response.data)["detail"]
    assert f"terms of the bilateral ontology, or declares terms in relation to it: {named}." in detail
    assert "https://w3id.org/bilateral/graph/ontology" in detail
    assert store.count() == before


@pytest.mark.parametrize(
    "url", ["not a url", "https://example.org/a b", "https://example.org/<x>", "javascript:alert(1)"]
)
def test_a_minted_source_needs_the_http_address_of_a_page(client: FlaskClient, store: EmbeddedStore, url: str) -> None:
    # The first three were a 500 (rdflib cannot write such an IRI), the last was stored as the source's page.
    before = store.count()
    response = post(client, meeting("sourced-badly"), source_title="A page", source_url=url)
    assert response.status_code == 400, response.data
    detail = json.loads(response.data)["detail"]
    assert f"The source's URL {url!r} (source_url=, --source-url) is not the http(s) address of a page" in detail
    assert store.count() == before


def test_missing_source_malformed_and_oversized_bodies(client: FlaskClient, store: EmbeddedStore) -> None:
    before = store.count()
    missing = post(client, meeting("no-source"))
    assert missing.status_code == 422 and "source" in json.loads(missing.data)["detail"]
    broken = post(client, PREFIXES + "<urn:a> bl:p .\n", **SOURCE)
    assert broken.status_code == 400 and "line 5" in json.loads(broken.data)["detail"]
    huge = post(client, PREFIXES + "#" * 300_000, **SOURCE)
    assert huge.status_code == 413
    triple_term = post(client, PREFIXES + "<urn:x:a> <urn:x:says> <<( <urn:x:b> <urn:x:c> <urn:x:d> )>> .\n", **SOURCE)
    assert triple_term.status_code == 400 and "holds an RDF 1.2 triple term" in json.loads(triple_term.data)["detail"]
    assert client.post("/submissions", data=b"x", query_string=SOURCE).status_code == 401
    assert store.count() == before


def test_the_dry_run_writes_nothing(client: FlaskClient, store: EmbeddedStore) -> None:
    before = store.count()
    ok = client.post("/validate", data=meeting("dry").encode(), headers={"Content-Type": "text/turtle"})
    assert ok.status_code == 200 and json.loads(ok.data)["conforms"] is True
    bad = client.post(
        "/validate", data=meeting("dry", day="2001-01-01").encode(), headers={"Content-Type": "text/turtle"}
    )
    assert bad.status_code == 422
    assert store.count() == before


def test_curators_retract_and_the_record_keeps_the_facts(client: FlaskClient, store: EmbeddedStore) -> None:
    created = post(client, meeting("to-retract"), **SOURCE)
    location = created.headers["Location"]
    assert client.delete(location, headers={"Authorization": f"Bearer {WRITER}"}).status_code == 403
    retracted = client.delete(location, headers=AS_CURATOR)
    assert retracted.status_code == 200 and json.loads(retracted.data)["status"] == "retracted"
    assert not store.ask("ASK { <https://w3id.org/bilateral/id/event/to-retract> ?p ?o }")
    archived = store.select("SELECT ?text WHERE { ?s <https://w3id.org/bilateral/ontology#archivedContent> ?text }")
    assert "to-retract" in str(archived.rows[0][0])
    listed = json.loads(client.get("/submissions").data)["submissions"]
    assert [(s["status"], s["retractedBy"]) for s in listed] == [("retracted", "curator")]
    again = post(client, meeting("to-retract"), **SOURCE)
    assert again.status_code == 201, "retracted facts may be submitted anew"


def test_graph_store_writes_pass_the_same_gate(client: FlaskClient, store: EmbeddedStore) -> None:
    before = store.count()
    bad = client.put(
        "/store", query_string={"graph": "urn:x:g"}, data=meeting("gsp", day="1999-01-01").encode(), headers=AS_WRITER
    )
    assert bad.status_code == 422 and store.count() == before
    untargeted = client.put(
        "/store", query_string={"graph": "urn:x:g"}, data=b"<urn:a> <urn:b> <urn:c> .", headers=AS_WRITER
    )
    assert untargeted.status_code == 201


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_each_invalid_fixture_is_refused_with_its_shape(client: FlaskClient, path: Path) -> None:
    data, _focus, shape = fixture_data(path)
    response = post(client, data.serialize(format="turtle"), **SOURCE)
    assert response.status_code == 422, response.data
    shapes = {v["sourceShape"] for v in json.loads(response.data)["violations"] if v["severity"] == "Violation"}
    assert shapes == {"blsh:" + str(shape).rsplit("#", 1)[1]}


@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_each_valid_fixture_is_accepted(client: FlaskClient, path: Path) -> None:
    response = post(client, fixture_data(path)[0].serialize(format="turtle"), **SOURCE)
    assert response.status_code == 201, response.data


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


def test_a_cited_source_must_be_one_the_graph_holds_or_the_data_describes(
    client: FlaskClient, store: EmbeddedStore
) -> None:
    before = store.count()
    unknown = "https://w3id.org/bilateral/id/source/never-described"
    refused = post(client, meeting("cites-nothing"), source=unknown)
    assert (
        refused.status_code == 422
        and f"source=<{unknown}> is not a source this graph holds" in json.loads(refused.data)["detail"]
    )
    assert store.count() == before
    described = (
        meeting("cites-its-own")
        + f"""<{unknown}> a bl:NewsArticle ;
    <http://purl.org/dc/terms/title> "A wire story" ; <http://www.w3.org/2000/01/rdf-schema#seeAlso> <https://example.org/story> .
"""
    )
    accepted = post(client, described, source=unknown)
    assert accepted.status_code == 201, accepted.data
    assert json.loads(accepted.data)["source"] == unknown


def test_a_source_that_is_not_an_iri_is_a_clear_error(client: FlaskClient, store: EmbeddedStore) -> None:
    before = store.count()
    response = post(client, meeting("bad-source"), source="not an iri")
    assert response.status_code == 400 and "absolute IRI" in json.loads(response.data)["detail"]
    assert store.count() == before
