# ruff: noqa: F811
"""Writes that take facts away, judged by what they leave: a Graph Store PUT that replaces a graph, a DELETE
of a graph, SPARQL's DROP, CLEAR, COPY and MOVE, and deletions that leave other nodes pointing at nothing."""

from __future__ import annotations

import json

import pytest
from flask.testing import FlaskClient

from graph.embedded import EmbeddedStore

# The `client` and `store` fixtures of the submission tests, named again as the tests' arguments.
from tests.api.test_submissions import AS_WRITER, BL, SOURCE, client, meeting, sparql_update, store  # noqa: F401

COUNTRIES = "https://w3id.org/bilateral/graph/countries"
EVENT = "https://w3id.org/bilateral/id/event/replaced"
XSD_DATE = "http://www.w3.org/2001/XMLSchema#date"


def shapes_of(response) -> set[str]:  # type: ignore[no-untyped-def]
    return {v["sourceShape"] for v in json.loads(response.data)["violations"] if v["severity"] == "Violation"}


def put(client: FlaskClient, graph: str, body: str):  # type: ignore[no-untyped-def]
    return client.put("/store", query_string={"graph": graph}, data=body.encode(), headers=AS_WRITER)


def test_a_graph_replaced_is_judged_without_what_it_held(client: FlaskClient, store: EmbeddedStore) -> None:
    graph = "http://example.org/graph/replaced"
    assert put(client, graph, meeting("replaced", day="2025-09-23")).status_code == 201
    written = store.count(graph)
    # Another graph describes the event too: what remains of it is judged, and not written into the graph.
    label = f'<{EVENT}> <http://www.w3.org/2000/01/rdf-schema#label> "A summit"@en .'
    assert put(client, "http://example.org/graph/also", label).status_code == 201
    # A corrected date: read beside the date it replaces, it would end before it began.
    corrected = put(client, graph, meeting("replaced", day="2025-09-24"))
    assert corrected.status_code == 204, corrected.data
    day = store.select(f"SELECT ?d WHERE {{ GRAPH <{graph}> {{ <{EVENT}> <{BL}earliest> ?d }} }}").rows
    assert [str(row[0]) for row in day] == ["2025-09-24"] and store.count(graph) == written
    # A participant dropped: the old graph's second participant no longer counts.
    one_sided = (
        "\n".join(
            line for line in meeting("replaced", day="2025-09-24").splitlines() if "replaced-ishiba> a" not in line
        )
        .replace(", person:shigeru-ishiba", "")
        .replace(f" , <{EVENT}-ishiba>", "")
    )
    before = store.count()
    refused = put(client, graph, one_sided)
    assert refused.status_code == 422 and shapes_of(refused) == {"blsh:MeetingParticipantsShape"}
    assert store.count() == before


@pytest.mark.parametrize(
    "update",
    [
        f"DROP GRAPH <{COUNTRIES}>",
        f"CLEAR SILENT GRAPH <{COUNTRIES}>",
        "PREFIX g: <https://w3id.org/bilateral/graph/> DROP GRAPH g:countries",
        f"COPY <urn:x:empty-so-far> TO <{COUNTRIES}>",
        f"MOVE SILENT <urn:x:nothing-here> TO GRAPH <{COUNTRIES}>",
    ],
)
def test_emptying_a_graph_others_point_into_is_refused(client: FlaskClient, store: EmbeddedStore, update: str) -> None:
    # The seed facts' participations act for states that only the countries graph types.
    before, graphs = store.count(), store.named_graphs()
    refused = sparql_update(client, update)
    assert refused.status_code == 422, refused.data
    assert {"blsh:ParticipationActsForShape", "blsh:DyadSidesShape"} <= shapes_of(refused)
    assert store.count() == before and store.named_graphs() == graphs


def test_a_graph_deleted_is_judged_by_what_it_leaves(client: FlaskClient, store: EmbeddedStore) -> None:
    before = store.count()
    refused = client.delete("/store", query_string={"graph": COUNTRIES}, headers=AS_WRITER)
    assert refused.status_code == 422 and "blsh:ParticipationActsForShape" in shapes_of(refused)
    assert "what deleting <https://w3id.org/bilateral/graph/countries> leaves" in json.loads(refused.data)["detail"]
    assert "422" in json.loads(client.get("/openapi.json").data)["paths"]["/store"]["delete"]["responses"]
    assert store.count() == before
    graph = "http://example.org/graph/alone"
    assert put(client, graph, meeting("alone")).status_code == 201
    assert client.delete("/store", query_string={"graph": graph}, headers=AS_WRITER).status_code == 204
    assert put(client, graph, meeting("alone")).status_code == 201
    assert sparql_update(client, f"DROP GRAPH <{graph}>").status_code == 204  # nothing points into it
    assert store.count() == before


def test_a_deletion_is_judged_at_the_nodes_pointing_at_what_it_touches(
    client: FlaskClient, store: EmbeddedStore
) -> None:
    kor = "https://w3id.org/bilateral/id/country/KOR"
    typed = store.select(f"SELECT ?t WHERE {{ GRAPH <{COUNTRIES}> {{ <{kor}> a ?t }} }}").rows
    assert typed, "the countries graph types KOR"
    untyped = " ".join(f"<{kor}> a <{row[0]}> ." for row in typed)
    refused = sparql_update(client, f"DELETE DATA {{ GRAPH <{COUNTRIES}> {{ {untyped} }} }}")
    assert refused.status_code == 422 and "blsh:ParticipationActsForShape" in shapes_of(refused)


def test_a_holding_changed_is_judged_at_the_meetings_of_its_holder(client: FlaskClient, store: EmbeddedStore) -> None:
    # Ishiba took office on 2024-10-01 and met Lee in Tokyo on 2025-08-23: a later start leaves that meeting
    # with a participant out of office, three hops from the holding.
    reference = "https://w3id.org/bilateral/graph/reference"
    holding = "<https://w3id.org/bilateral/id/holding/shigeru-ishiba-jpn-prime-minister-2024>"
    start = f"<{BL}startDate>"
    moved = (
        f'DELETE DATA {{ GRAPH <{reference}> {{ {holding} {start} "2024-10-01"^^<{XSD_DATE}> }} }} ; '
        f'INSERT DATA {{ GRAPH <{reference}> {{ {holding} {start} "2025-09-01"^^<{XSD_DATE}> }} }}'
    )
    before = store.count()
    refused = sparql_update(client, moved)
    assert refused.status_code == 422 and "blsh:MeetingOutOfOfficeShape" in shapes_of(refused), refused.data
    assert store.count() == before
    earlier = moved.replace("2025-09-01", "2024-09-30")
    assert sparql_update(client, earlier).status_code == 204
    # An end date added to Lee's holding before that meeting: by an update, the Graph Store or a submission.
    lee = "<https://w3id.org/bilateral/id/holding/lee-jae-myung-kor-president-2025>"  # in office since 2025-06-04
    ended = f'{lee} <{BL}endDate> "2025-08-01"^^<{XSD_DATE}> .'
    refused = sparql_update(client, f"INSERT DATA {{ GRAPH <{reference}> {{ {ended} }} }}")
    assert refused.status_code == 422 and "blsh:MeetingOutOfOfficeShape" in shapes_of(refused), refused.data
    posted = client.post(
        "/store", query_string={"graph": "http://example.org/graph/ended"}, data=ended, headers=AS_WRITER
    )
    assert posted.status_code == 422 and "blsh:MeetingOutOfOfficeShape" in shapes_of(posted), posted.data
    submitted = client.post("/submissions", data=ended, headers=AS_WRITER, query_string=SOURCE)
    assert submitted.status_code == 422 and "blsh:MeetingOutOfOfficeShape" in shapes_of(submitted), submitted.data
    assert store.count() == before


def test_emptying_a_graph_the_same_request_wrote_into_is_refused(client: FlaskClient, store: EmbeddedStore) -> None:
    # Each operation is judged against the store before the request: a graph written and then emptied in
    # one request would be judged as if what was written stayed.
    fact = '<urn:x:s> <http://www.w3.org/2000/01/rdf-schema#label> "kept"'
    before, graphs = store.count(), store.named_graphs()
    for update in (
        f"MOVE GRAPH <{COUNTRIES}> TO <urn:x:elsewhere> ; DROP GRAPH <urn:x:elsewhere>",
        f"PREFIX x: <urn:x:> INSERT DATA {{ GRAPH x:a {{ {fact} }} }} ; CLEAR GRAPH <urn:x:a>",
        f"INSERT {{ GRAPH ?g {{ {fact} }} }} WHERE {{ GRAPH ?g {{ ?s a <{BL}State> }} }} ; DROP SILENT GRAPH <urn:x:b>",
    ):
        refused = sparql_update(client, update)
        assert refused.status_code == 400, (update, refused.data)
        assert "send the emptying first" in json.loads(refused.data)["detail"]
    assert store.count() == before and store.named_graphs() == graphs
    assert sparql_update(client, f"INSERT DATA {{ GRAPH <urn:x:b> {{ {fact} }} }}").status_code == 204
    emptied_first = f"DROP GRAPH <urn:x:b> ; INSERT DATA {{ GRAPH <urn:x:b> {{ {fact} }} }}"
    assert sparql_update(client, emptied_first).status_code == 204
    elsewhere = f"INSERT DATA {{ GRAPH <urn:x:a> {{ {fact} }} }} ; DROP GRAPH <urn:x:b>"
    assert sparql_update(client, elsewhere).status_code == 204
    assert store.named_graphs() == sorted([*graphs, "urn:x:a"])
    # A graph named by a prefixed name is a graph group, not the store's own default graph.
    assert sparql_update(client, f"PREFIX x: <urn:x:> INSERT DATA {{ GRAPH x:c {{ {fact} }} }}").status_code == 204
    assert store.count("urn:x:c") == 1


def test_a_fact_one_source_retracts_and_another_states_is_still_there(
    client: FlaskClient, store: EmbeddedStore
) -> None:
    label = '<urn:x:stated> <http://www.w3.org/2000/01/rdf-schema#label> "Stated"@en'
    person = f"<urn:x:stated> a <{BL}Person>"
    written = f"INSERT DATA {{ GRAPH <urn:x:one> {{ {person} . {label} }} GRAPH <urn:x:two> {{ {label} }} }}"
    assert sparql_update(client, written).status_code == 204
    for retraction in (
        f"DELETE DATA {{ GRAPH <urn:x:two> {{ {label} }} }}",  # the other source still states it
        f"DELETE DATA {{ GRAPH <urn:x:never> {{ {label} }} }}",  # a graph that never held it: nothing to take
    ):
        retracted = sparql_update(client, retraction)
        assert retracted.status_code == 204, retracted.data
    assert store.count("urn:x:one") == 2 and store.count("urn:x:two") == 0
    last = "WITH <urn:x:one> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(?p = <http://www.w3.org/2000/01/rdf-schema#label>) }"
    refused = sparql_update(client, last)  # now the only one that states it: the person would have no name
    assert refused.status_code == 422 and shapes_of(refused) == {"blsh:PersonLabelShape"}
    assert store.count("urn:x:one") == 2
