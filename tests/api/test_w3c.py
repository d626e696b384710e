"""The W3C SPARQL 1.1 Protocol (34 tests) and Graph Store Protocol (13 tests) suites against a live
`bilateral serve`, backed by its own store and by a remote `oxigraph serve`. Skipped without ../shared."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.api.conftest import TOKEN, BilateralServer
from tests.api.w3c import Case, Runner, read_manifest

SUITES = Path(__file__).resolve().parents[3] / "shared" / "w3c" / "rdf-tests" / "sparql" / "sparql11"
pytestmark = pytest.mark.skipif(not SUITES.is_dir(), reason="../shared/w3c is absent")


def protocol_cases() -> list[Case]:
    return read_manifest(SUITES / "protocol" / "manifest.ttl") if SUITES.is_dir() else []


def graph_store_cases() -> list[Case]:
    if not SUITES.is_dir():
        return []
    folder = SUITES / "graph-store-protocol"
    return read_manifest(folder / "manifest-direct.ttl") + read_manifest(folder / "manifest-indirect.ttl")


def passes_all(url: str, cases: list[Case], expected: int) -> None:
    """Run every case; assert the manifest held `expected` cases and every one of them passed."""
    assert len(cases) == expected
    failures = {case.name: f for case in cases if (f := Runner(url, TOKEN).run(case))}
    assert failures == {}, "\n".join(line for lines in failures.values() for line in lines)
    assert len(cases) - len(failures) == expected


def test_the_protocol_suite_passes_34_of_34(live_server: BilateralServer) -> None:
    passes_all(live_server.url, protocol_cases(), 34)


def test_the_graph_store_suite_passes_13_of_13(live_server: BilateralServer) -> None:
    passes_all(live_server.url, graph_store_cases(), 13)
