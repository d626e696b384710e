"""Submissions in-process (Flask's test client over an initialized embedded store): accepted with their
record, recognised when repeated, refused with the report and nothing written, retracted by curators; the
same gate on the Graph Store Protocol; every shapes fixture submitted one by one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from rdflib import Graph

from api.app import create_app
from api.settings import Settings
from graph.embedded import EmbeddedStore
from graph.loading import init_store
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
