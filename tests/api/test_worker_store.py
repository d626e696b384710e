"""The store of a `bilateral serve` worker: engine calls watched against the request's time limit, a
runaway's client answered on its socket, and a store folder opened as soon as the process that held it
lets it go."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from api.context import RequestClock
from api.worker_store import TimedStore, Watchdog, answer_on_socket, open_when_free
from graph.embedded import EmbeddedStore
from graph.errors import QueryTimeout

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
"""A three-way cross product: over 250 triples, 15 million rows to count, a second or more."""


@pytest.fixture
def embedded() -> EmbeddedStore:
    store = EmbeddedStore()
    integer = "<http://www.w3.org/2001/XMLSchema#integer>"
    triples = "".join(f'<urn:x:s{i}> <urn:x:p> "{i}"^^{integer} .\n' for i in range(250)).encode()
    store.load(triples, ox.RdfFormat.N_TRIPLES, graph="urn:x:g")
    return store


def test_a_call_within_the_limit_answers_as_the_store_does(embedded: EmbeddedStore) -> None:
    overruns: list[tuple[str, bool]] = []
    timed = TimedStore(embedded, Watchdog(), 5, lambda detail, write: overruns.append((detail, write)))
    assert timed.count("urn:x:g") == 250 and timed.named_graphs() == ["urn:x:g"]
    timed.update("INSERT DATA { GRAPH <urn:x:h> { <urn:x:a> <urn:x:p> <rel> } }", base_iri="http://h/sparql")
    assert embedded.ask("ASK { GRAPH <urn:x:h> { <urn:x:a> <urn:x:p> <http://h/rel> } }")
    time.sleep(0.2)
    assert overruns == []


def test_a_call_past_the_limit_is_reported_at_its_deadline(embedded: EmbeddedStore) -> None:
    overruns: list[tuple[float, bool]] = []
    watchdog = Watchdog()
    timed = TimedStore(embedded, watchdog, 0.1, lambda detail, write: overruns.append((time.monotonic(), write)))
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match=r"query did not finish within 0\.1 s"):
        timed.select(SLOW)  # runs to its end here: in the server the worker exits meanwhile
    assert len(overruns) == 1 and overruns[0][0] - started < 0.5, "reported at the deadline, not at the end"
    assert overruns[0][1] is False, "a query: the worker may let other requests finish"
    writes = TimedStore(embedded, watchdog, 0.05, lambda detail, write: overruns.append((time.monotonic(), write)))
    with pytest.raises(QueryTimeout, match="update did not finish"):  # a million rows to filter
        writes.update(
            "INSERT { GRAPH <urn:x:big> { ?a <urn:x:q> ?d } } WHERE { ?a <urn:x:p> ?c . ?d <urn:x:p> ?f . "
            "?g <urn:x:p> ?i FILTER (?c < 100 && ?f < 100 && ?i < 100 && ?c + ?f + ?i < 0) }"
        )
    assert overruns[1][1] is True, "a write: the worker must stop before it lands"


def test_the_calls_of_one_request_share_its_time_limit(embedded: EmbeddedStore) -> None:
    # An export or a submission makes several calls: each used to get the whole limit afresh, so a request
    # of six calls could run six times its limit, and the route's own work between them unbounded.
    overruns: list[float] = []
    watchdog = Watchdog()
    clock = RequestClock(started=time.monotonic() - 4.8)
    late = TimedStore(embedded, watchdog, 5, lambda *_: overruns.append(time.monotonic()), clock)
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match=r"did not finish within 5 s"):
        late.select(SLOW)
    assert len(overruns) == 1 and overruns[0] - started < 1.0, "watched against what is left, not 5 s"
    spent = TimedStore(embedded, watchdog, 0.5, lambda *_: overruns.append(time.monotonic()), clock)
    with pytest.raises(QueryTimeout, match=r"used up its time limit of 0\.5 s before its next update"):
        spent.update("INSERT DATA { GRAPH <urn:x:late> { <urn:x:a> <urn:x:p> 1 } }")
    assert not embedded.has_graph("urn:x:late") and len(overruns) == 1, "not started: nothing to stop"


def test_a_request_is_timed_from_its_first_call_on_every_store_it_asks_for(tmp_path: Path) -> None:
    from api.worker_store import worker_store_factory

    open_timed = worker_store_factory(tmp_path / "store", grace_s=1, in_flight=lambda: 1)
    environ: dict[str, object] = {}
    first = open_timed(0.3, environ)
    time.sleep(0.4)  # before any call (a write waiting for the write lock): not counted
    assert first.ask("ASK {}") is True
    time.sleep(0.4)
    with pytest.raises(QueryTimeout, match="used up its time limit of 0.3 s"):
        open_timed(0.3, environ).ask("ASK {}")
    assert open_timed(0.3, {}).ask("ASK {}") is True, "another request has a limit of its own"


def test_the_client_of_a_runaway_call_gets_a_504_problem_and_the_connection_closes() -> None:
    ours, theirs = socket.socketpair()
    answer_on_socket(ours, "The query did not finish within 2 s and was stopped.", "/sparql")
    message = theirs.makefile("rb").read()
    head, body = message.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 504 ") and b"Content-Type: application/problem+json" in head
    assert f"Content-Length: {len(body)}".encode() in head and b"Connection: close" in head
    problem = json.loads(body)
    assert problem["status"] == 504 and problem["instance"] == "/sparql" and "within 2 s" in problem["detail"]
    answer_on_socket(ours, "again", None)  # a client that has gone is no error
    ours.close()
    theirs.close()


def test_a_folder_held_by_another_store_is_opened_once_it_is_let_go(tmp_path: Path) -> None:
    holder = EmbeddedStore(tmp_path / "store")
    opened: list[EmbeddedStore] = []
    waiter = threading.Thread(target=lambda: opened.append(open_when_free(tmp_path / "store")))
    waiter.start()
    time.sleep(0.5)
    assert opened == [], "it waits while the folder is held"
    holder.close()
    waiter.join(timeout=10)
    assert len(opened) == 1 and opened[0].count() == 0
    opened[0].close()


def test_serving_a_folder_another_process_holds_is_refused_with_the_reason(tmp_path: Path) -> None:
    holder = EmbeddedStore(tmp_path / "store")
    try:
        served = subprocess.run(
            [str(Path(sys.executable).parent / "bilateral"), "serve", "--store", str(tmp_path / "store")],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        holder.close()
    assert served.returncode != 0
    assert "open in another process" in served.stderr and str(tmp_path / "store") in served.stderr
    assert "Traceback" not in served.stderr


def test_workers_before_a_remote_server_check_its_union_until_it_can_tell() -> None:
    from api.remote_store import remote_factory
    from graph.errors import StoreMisconfigured
    from graph.remote import RemoteStore
    from tests.conftest import OxigraphServer

    plain, union = OxigraphServer(), OxigraphServer("--union-default-graph")
    fact = "INSERT DATA { GRAPH <urn:x:g> { <urn:x:a> <urn:x:p> 1 } }"
    try:
        open_plain = remote_factory(plain.url)
        assert open_plain(5, {}).select("SELECT * WHERE { ?s ?p ?o }").rows == []  # empty: cannot tell yet
        RemoteStore(plain.url, check=False).update(fact)  # written by another client
        with pytest.raises(StoreMisconfigured, match="--union-default-graph"):
            open_plain(5, {})
        open_union = remote_factory(union.url)
        first = open_union(5, {})
        first.update(fact)  # asked by a probe before it is written
        assert first.union_checked and open_union(5, {}).union_checked  # the next one can tell by reading
        assert not open_union(5, {}).checks_union  # known from then on: not asked again
    finally:
        plain.stop()
        union.stop()


def test_a_request_in_front_of_a_remote_server_shares_its_time_limit_too() -> None:
    from api.remote_store import remote_factory
    from tests.conftest import OxigraphServer

    server = OxigraphServer("--union-default-graph")
    try:
        open_remote = remote_factory(server.url)
        environ: dict[str, object] = {}
        first = open_remote(0.5, environ)
        assert first.ask("ASK {}") is True
        assert first.timeout is not None and 0 < first.timeout < 0.5, "each call waits what is left"
        time.sleep(0.6)
        with pytest.raises(QueryTimeout, match=r"used up its time limit of 0\.5 s before its next call to http"):
            open_remote(0.5, environ).ask("ASK {}")
        assert open_remote(0.5, {}).ask("ASK {}") is True, "another request has a limit of its own"
    finally:
        server.stop()
