"""Submissions over real HTTP against `bilateral serve` (its own store, and a remote `oxigraph serve`):
the outcomes, concurrent clients, and a server killed with SIGKILL in the middle of a submission."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import requests

from tests.api.conftest import CURATOR_TOKEN, TOKEN, BilateralServer
from tests.api.test_submissions import SOURCE, meeting
from tests.bench.synthetic import write

HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/turtle"}
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def count(server: BilateralServer) -> int:
    response = requests.get(f"{server.url}/sparql", params={"query": COUNT}, timeout=30)
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def test_outcomes_over_http(seeded_server: BilateralServer) -> None:
    url = f"{seeded_server.url}/submissions"
    created = requests.post(url, params=SOURCE, data=meeting("live-outcome").encode(), headers=HEADERS, timeout=30)
    assert created.status_code == 201 and created.headers["Location"].startswith("/submissions/")
    record = created.json()
    assert record["submitter"] == "runner" and len(record["contentHash"]) == 64
    again = requests.post(url, params=SOURCE, data=meeting("live-outcome").encode(), headers=HEADERS, timeout=30)
    assert again.status_code == 200 and again.json()["id"] == record["id"]
    refused = requests.post(
        url, params=SOURCE, data=meeting("live-early", "2003-03-03").encode(), headers=HEADERS, timeout=30
    )
    assert refused.status_code == 422 and refused.headers["Content-Type"] == "application/problem+json"
    report = requests.post(
        url,
        params=SOURCE,
        data=meeting("live-early", "2003-03-03").encode(),
        timeout=30,
        headers={**HEADERS, "Accept": "text/turtle"},
    )
    assert report.status_code == 422 and "ValidationReport" in report.text
    nameless = requests.post(url, data=meeting("live-nameless").encode(), headers=HEADERS, timeout=30)
    assert nameless.status_code == 422 and "source" in nameless.json()["detail"]
    broken = requests.post(url, params=SOURCE, data=b"<urn:a> <urn:b> .", headers=HEADERS, timeout=30)
    assert broken.status_code == 400 and "line 1" in broken.json()["detail"]
    huge = requests.post(url, params=SOURCE, data=b"#" * (17 * 1024 * 1024), headers=HEADERS, timeout=60)
    assert huge.status_code == 413
    dry = requests.post(
        f"{seeded_server.url}/validate",
        data=meeting("live-dry").encode(),
        timeout=30,
        headers={"Content-Type": "text/turtle"},
    )
    assert dry.status_code == 200 and dry.json()["conforms"] is True
    shown = requests.get(seeded_server.url + created.headers["Location"], timeout=30).json()
    assert shown["status"] == "accepted" and shown["triples"] == 17
    facts = requests.get(
        seeded_server.url + created.headers["Location"], headers={"Accept": "application/n-triples"}, timeout=30
    )
    assert len(facts.text.strip().splitlines()) == 17
    listed = requests.get(url, params={"size": 500}, timeout=30).json()["submissions"]
    assert record["id"] in {s["id"] for s in listed}
    writer_retract = requests.delete(seeded_server.url + created.headers["Location"], headers=HEADERS, timeout=30)
    assert writer_retract.status_code == 403
    retracted = requests.delete(
        seeded_server.url + created.headers["Location"],
        timeout=30,
        headers={"Authorization": f"Bearer {CURATOR_TOKEN}"},
    )
    assert retracted.status_code == 200 and retracted.json()["status"] == "retracted"
    ask = requests.get(
        f"{seeded_server.url}/sparql",
        timeout=30,
        params={"query": "ASK { <https://w3id.org/bilateral/id/event/live-outcome> ?p ?o }"},
    )
    assert ask.json()["boolean"] is False


def test_concurrent_submissions_are_stored_whole_or_refused(seeded_server: BilateralServer) -> None:
    clients, each = 8, 50
    before = count(seeded_server)
    outcomes: list[tuple[int, dict[str, object]]] = []
    lock = threading.Lock()

    def client(number: int) -> None:
        session = requests.Session()
        for i in range(each):
            day = "2002-02-02" if i % 5 == 4 else "2025-09-23"  # every fifth one is out of office: refused
            body = meeting(f"concurrent-{number}-{i}", day).encode()
            response = session.post(
                f"{seeded_server.url}/submissions", params=SOURCE, data=body, headers=HEADERS, timeout=120
            )
            with lock:
                outcomes.append((response.status_code, response.json()))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = [status for status, _body in outcomes]
    assert len(outcomes) == clients * each
    assert statuses.count(201) == clients * each * 4 // 5 and statuses.count(422) == clients * each // 5
    accepted = [body for status, body in outcomes if status == 201]
    per_graph = requests.get(
        f"{seeded_server.url}/sparql",
        timeout=60,
        params={
            "query": """
        SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o }
          FILTER STRSTARTS(STR(?g), "https://w3id.org/bilateral/graph/submission/") } GROUP BY ?g"""
        },
    ).json()
    sizes = {b["g"]["value"]: int(b["n"]["value"]) for b in per_graph["results"]["bindings"]}
    for body in accepted:
        assert sizes[str(body["graph"])] == 17, "every accepted submission is stored whole"
    records = 7  # the record of each accepted submission: type, id, submitter, time, source, hash, status
    assert count(seeded_server) == before + len(accepted) * (17 + records)


@pytest.mark.parametrize("delay", [0.8, 1.6, 2.4])
def test_a_server_killed_mid_submission_leaves_the_store_whole(tmp_path: Path, delay: float) -> None:
    """SIGKILL at several moments of a 40k-triple submission (parsing, validating, writing): afterwards the
    store holds it whole or not at all."""
    big = tmp_path / "big.nt"
    write(40_000, big, countries=30)
    distinct = len(set(big.read_text(encoding="utf-8").splitlines()))  # the generator repeats a few facts
    folder = tmp_path / "killed"
    folder.mkdir()
    server = BilateralServer(folder / "store")
    before = count(server)
    answers: list[int] = []

    def send() -> None:
        try:
            response = requests.post(
                f"{server.url}/submissions",
                params=SOURCE,
                data=big.read_bytes(),
                timeout=120,
                headers={**HEADERS, "Content-Type": "application/n-triples"},
            )
            answers.append(response.status_code)
        except requests.RequestException:
            answers.append(0)

    sender = threading.Thread(target=send)
    sender.start()
    threading.Event().wait(delay)
    server.kill()
    sender.join()
    revived = BilateralServer(folder / "store")
    try:
        after = count(revived)
        listed = requests.get(f"{revived.url}/submissions", timeout=30).json()["submissions"]
    finally:
        revived.stop()
    if answers == [201]:  # it was done before the kill
        assert len(listed) == 1 and after >= before + distinct
    else:
        assert after == before and listed == [] or (len(listed) == 1 and after >= before + distinct)
