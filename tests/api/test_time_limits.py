"""The time limit on a live `bilateral serve`: a runaway query answers 504 and the worker that ran it goes,
its CPU with it, while a fresh one takes over; a cheap query is answered while an expensive one runs."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.api.conftest import TOKEN, BilateralServer
from tests.processes import children, cpu_seconds


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BilateralServer]:
    server = BilateralServer(tmp_path_factory.mktemp("strict") / "store", env={"BILATERAL_TIMEOUT_S": "2"})
    yield server
    server.stop()


def _worker(server: BilateralServer) -> int:
    """The pid of the gunicorn worker that holds the store, once it is up."""
    for _ in range(100):
        pids = children(server.process.pid)
        if len(pids) == 1:
            return pids[0]
        time.sleep(0.1)
    raise AssertionError(f"expected one worker, found {children(server.process.pid)}")


def test_a_runaway_query_is_stopped_and_its_cpu_released(strict_server: BilateralServer) -> None:
    worker = _worker(strict_server)
    runaway = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?a"  # sorts before its first row
    started = time.monotonic()
    response = requests.post(f"{strict_server.url}/sparql", data={"query": runaway}, timeout=60)
    assert response.status_code == 504 and response.headers["Content-Type"] == "application/problem+json"
    assert time.monotonic() - started < 10
    deadline = time.monotonic() + 15
    while Path(f"/proc/{worker}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{worker}").exists(), "the worker that ran the query is gone, and its CPU with it"
    answer = requests.get(f"{strict_server.url}/sparql", params={"query": "ASK {}"}, timeout=30)
    assert answer.status_code == 200 and answer.json()["boolean"] is True
    fresh = _worker(strict_server)
    assert fresh != worker
    before = cpu_seconds(fresh)
    time.sleep(1)
    assert cpu_seconds(fresh) - before < 0.3, "the new worker is idle"


def test_a_cheap_query_does_not_wait_behind_an_expensive_one(strict_server: BilateralServer) -> None:
    finished: dict[str, float] = {}

    def expensive() -> None:
        requests.post(
            f"{strict_server.url}/sparql",
            timeout=60,
            data={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"},
        )
        finished["expensive"] = time.monotonic()

    slow = threading.Thread(target=expensive)
    slow.start()
    time.sleep(0.3)
    answer = requests.get(f"{strict_server.url}/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=30)
    finished["cheap"] = time.monotonic()
    slow.join()
    assert answer.status_code == 200
    assert finished["cheap"] < finished["expensive"], "the cheap query was answered while the expensive one ran"


def test_a_request_may_lower_the_time_limit(strict_server: BilateralServer) -> None:
    _wait_until_answering(strict_server)  # an earlier test may have just stopped the engine
    runaway = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?a"
    response = requests.post(f"{strict_server.url}/sparql", data={"query": runaway, "timeout": "0.5"}, timeout=60)
    assert response.status_code == 504 and "within 0.5 s" in response.json()["detail"]
    _wait_until_answering(strict_server)
    bad = requests.get(f"{strict_server.url}/sparql", params={"query": "ASK {}", "timeout": "soon"}, timeout=30)
    assert bad.status_code == 400 and "timeout" in bad.json()["detail"]


def _wait_until_answering(server: BilateralServer) -> None:
    for _ in range(100):
        if requests.get(f"{server.url}/sparql", params={"query": "ASK {}"}, timeout=10).status_code == 200:
            return
        time.sleep(0.1)
    raise AssertionError("the engine did not come back")


def test_an_update_past_the_limit_answers_504_and_stores_nothing(strict_server: BilateralServer) -> None:
    _wait_until_answering(strict_server)
    slow = "INSERT { GRAPH <urn:x:slow> { ?a <urn:x:p> ?d } } WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    response = requests.post(
        f"{strict_server.url}/sparql",
        data=slow,
        headers={"Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"},
        timeout=60,
    )
    assert response.status_code == 504 and response.headers["Content-Type"] == "application/problem+json"
    assert "within 2 s" in response.json()["detail"]
    _wait_until_answering(strict_server)
    stored = requests.get(
        f"{strict_server.url}/sparql", params={"query": "ASK { GRAPH <urn:x:slow> { ?s ?p ?o } }"}, timeout=30
    )
    assert stored.json()["boolean"] is False
