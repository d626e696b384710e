"""Every export read back by a real reader, with node and edge counts equal to the projection's: GEXF and
GraphML validated against their XSDs by xmllint and read by networkx, DOT laid out by Graphviz, the JSON
formats loaded by the npm packages cytoscape and graphology in node, and the CSV checked against Neo4j's
header grammar. Parallel edges of different types between Korea and Japan survive in each."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import zipfile
from collections import Counter
from pathlib import Path

import networkx as nx
import pytest

from graph.export_formats import WRITERS
from graph.loading import init_store
from graph.network import NetworkFilter, project
from graph.store import Store

SCHEMAS = Path(__file__).resolve().parents[3] / "shared" / "schemas"
KOR, JPN = "https://w3id.org/bilateral/id/country/KOR", "https://w3id.org/bilateral/id/country/JPN"


@pytest.fixture(scope="module", params=[False, True], ids=["actors", "with-events"])
def network(request: pytest.FixtureRequest, seeded: Store) -> nx.MultiDiGraph:
    return project(seeded, NetworkFilter(include_events=request.param))


def written(network: nx.MultiDiGraph, name: str, folder: Path) -> Path:
    path = folder / f"export.{WRITERS[name][2]}"
    with path.open("wb") as out:
        WRITERS[name][0](network, out)
    return path


def pair_types(edges: list[tuple[str, str, str]]) -> Counter[str]:
    """The relation types of the edges between Korea and Japan, either way."""
    return Counter(kind for a, b, kind in edges if {a, b} == {KOR, JPN})


def expected_pair(network: nx.MultiDiGraph) -> Counter[str]:
    found = pair_types([(a, b, d["type"]) for a, b, d in network.edges(data=True)])
    assert found["met"] >= 2 and found["dispute"] == 2, "the seed graph has parallel KOR-JPN edges of two types"
    return found


def xmllint(schema: Path, path: Path) -> None:
    if not SCHEMAS.is_dir():
        pytest.skip("../shared/schemas is absent")
    if shutil.which("xmllint") is None:
        pytest.fail("xmllint is missing: apt-get install libxml2-utils (.ci/run does)")
    done = subprocess.run(["xmllint", "--noout", "--schema", str(schema), str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_gexf_validates_and_reads_back(network: nx.MultiDiGraph, tmp_path: Path) -> None:
    path = written(network, "gexf", tmp_path)
    xmllint(SCHEMAS / "gexf-1.3" / "gexf.xsd", path)
    back = nx.read_gexf(path)
    assert (back.number_of_nodes(), back.number_of_edges()) == (network.number_of_nodes(), network.number_of_edges())
    kinds = [(a, b, d.get("kind") or d.get("type")) for a, b, d in back.edges(data=True)]
    assert pair_types(kinds) == expected_pair(network)
    assert b'mode="dynamic"' in path.read_bytes() and b'start="2025-08-23"' in path.read_bytes()


def test_graphml_validates_and_reads_back(network: nx.MultiDiGraph, tmp_path: Path) -> None:
    path = written(network, "graphml", tmp_path)
    xmllint(SCHEMAS / "graphml-1.0" / "graphml.xsd", path)
    back = nx.read_graphml(path, force_multigraph=True)
    assert (back.number_of_nodes(), back.number_of_edges()) == (network.number_of_nodes(), network.number_of_edges())
    iri = nx.get_node_attributes(back, "iri")
    assert pair_types([(iri[a], iri[b], d["type"]) for a, b, d in back.edges(data=True)]) == expected_pair(network)


def test_dot_is_laid_out_by_graphviz(network: nx.MultiDiGraph, tmp_path: Path) -> None:
    if shutil.which("dot") is None:
        pytest.fail("Graphviz is missing: apt-get install graphviz (.ci/run does)")
    path = written(network, "dot", tmp_path)
    done = subprocess.run(["dot", "-Tplain", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert sum(line.startswith("node ") for line in lines) == network.number_of_nodes()
    assert sum(line.startswith("edge ") for line in lines) == network.number_of_edges()
    # a relation both states share has no arrow (the lesser IRI comes first); holding an office has one
    arrows = {
        (line.split('type="')[1].split('"')[0], 'dir="none"' in line)
        for line in path.read_text().splitlines()
        if " -> " in line
    }
    assert {("met", False), ("holds-office", True)}.isdisjoint(arrows) and ("met", True) in arrows, arrows


def test_d3_and_cx2_hold_every_node_and_edge(network: nx.MultiDiGraph, tmp_path: Path) -> None:
    d3 = json.loads(written(network, "d3", tmp_path).read_bytes())
    assert (len(d3["nodes"]), len(d3["links"])) == (network.number_of_nodes(), network.number_of_edges())
    assert pair_types([(e["source"], e["target"], e["type"]) for e in d3["links"]]) == expected_pair(network)
    cx2 = json.loads(written(network, "cx2", tmp_path).read_bytes())
    aspects = {next(iter(a)): next(iter(a.values())) for a in cx2}
    assert cx2[0]["CXVersion"] == "2.0" and aspects["status"][0]["success"] is True
    assert (len(aspects["nodes"]), len(aspects["edges"])) == (network.number_of_nodes(), network.number_of_edges())


def test_csv_follows_the_neo4j_import_header_grammar(network: nx.MultiDiGraph, tmp_path: Path) -> None:
    with zipfile.ZipFile(written(network, "csv", tmp_path)) as archive:
        nodes = list(csv.reader(io.StringIO(archive.read("nodes.csv").decode())))
        edges = list(csv.reader(io.StringIO(archive.read("edges.csv").decode())))
    assert sum(1 for h in nodes[0] if h.endswith(":ID")) == 1 and ":LABEL" in nodes[0]
    assert {":START_ID", ":END_ID", ":TYPE"} <= set(edges[0])
    assert all(
        ":" not in h or h.split(":", 1)[1] in ("ID", "LABEL", "START_ID", "END_ID", "TYPE") for h in nodes[0] + edges[0]
    )
    assert (len(nodes) - 1, len(edges) - 1) == (network.number_of_nodes(), network.number_of_edges())
    ids = {row[0] for row in nodes[1:]}
    assert all(row[0] in ids and row[1] in ids for row in edges[1:]), "every edge ends at exported nodes"


@pytest.fixture(scope="session")
def npm_scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are not installed: the Cytoscape.js and graphology checks need them")
    folder = tmp_path_factory.mktemp("npm")
    done = subprocess.run(
        [
            "npm",
            "install",
            "--silent",
            "--no-audit",
            "--no-fund",
            "--prefix",
            str(folder),
            "cytoscape@3",
            "graphology@0.25",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return folder


def node_counts(scratch: Path, script: str) -> list[int]:
    done = subprocess.run(
        ["node", "-e", script],
        capture_output=True,
        text=True,
        cwd=scratch,
        timeout=60,
        env={"NODE_PATH": str(scratch / "node_modules"), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return [int(x) for x in done.stdout.split()]


def test_cytoscape_js_loads_every_element(network: nx.MultiDiGraph, tmp_path: Path, npm_scratch: Path) -> None:
    path = written(network, "cytoscape", tmp_path)
    script = (
        f"const cy = require('cytoscape')({{headless: true, elements: JSON.parse(require('fs').readFileSync({json.dumps(str(path))})).elements}});"
        "console.log(cy.nodes().length, cy.edges().length);"
    )
    assert node_counts(npm_scratch, script) == [network.number_of_nodes(), network.number_of_edges()]


def test_graphology_imports_the_multigraph(network: nx.MultiDiGraph, tmp_path: Path, npm_scratch: Path) -> None:
    path = written(network, "graphology", tmp_path)
    script = (
        f"const {{MultiDirectedGraph}} = require('graphology'); const g = MultiDirectedGraph.from("
        f"require({json.dumps(str(path))})); console.log(g.order, g.size);"
    )
    assert node_counts(npm_scratch, script) == [network.number_of_nodes(), network.number_of_edges()]


def test_filters_narrow_the_network(seeded: Store) -> None:
    whole = project(seeded)
    around_korea = project(seeded, NetworkFilter(countries=("KOR",), depth=1))
    assert KOR in around_korea and JPN in around_korea and around_korea.number_of_nodes() < whole.number_of_nodes()
    june = project(seeded, NetworkFilter(start="2025-06-01", end="2025-06-30", relations=("met",)))
    assert [d["label"] for _a, _b, d in june.edges(data=True)] == ["First Lee–Ishiba meeting, June 2025"]
    corroborated = project(seeded, NetworkFilter(relations=("met", "dispute"), min_sources=2))
    assert sorted(d["type"] for _a, _b, d in corroborated.edges(data=True)) == ["dispute", "met"]
    with pytest.raises(ValueError, match="No state with code"):
        project(seeded, NetworkFilter(countries=("XXX",)))
    with pytest.raises(ValueError, match="Unknown relation"):
        NetworkFilter(relations=("likes",))


def test_date_filters_take_a_day_a_month_or_a_year(seeded: Store) -> None:
    def labels(selection: NetworkFilter) -> list[str]:
        return sorted(d["label"] for _a, _b, d in project(seeded, selection).edges(data=True))

    june = labels(NetworkFilter(start="2025-06-01", end="2025-06-30", relations=("met",)))
    assert june and labels(NetworkFilter(start="2025-06", end="2025-06", relations=("met",))) == june
    assert labels(NetworkFilter(start="2025", end="2025", relations=("met",))) == labels(
        NetworkFilter(start="2025-01-01", end="2025-12-31", relations=("met",))
    )
    assert NetworkFilter(start="2024-02", end="2024-02").end == "2024-02-29"
    for start, end, problem in [
        ("2025-13-01", None, "from='2025-13-01' is not a date"),
        ("2025-02-30", None, "from='2025-02-30' is not a date"),
        (None, "yesterday", "to='yesterday' is not a date"),
        ("2025-09-01", "2025-08", "from (2025-09-01) is after to (2025-08-31)"),
    ]:
        with pytest.raises(ValueError, match=re.escape(problem)):
            NetworkFilter(start=start, end=end)


def test_the_projection_is_the_same_on_both_engines(store: Store, seeded: Store) -> None:
    init_store(store)
    here, there = project(seeded), project(store)
    assert sorted(here.nodes) == sorted(there.nodes)
    assert sorted(here.edges(keys=True)) == sorted(there.edges(keys=True))


def test_nodes_and_edges_carry_label_type_iri_dates_and_sources(seeded: Store) -> None:
    network = project(seeded)
    korea = network.nodes[KOR]
    assert (korea["label"], korea["type"], korea["iri"], korea["code"]) == ("Korea, Republic of", "State", KOR, "KOR")
    assert korea["sources"].endswith("id/source/iso-3166-1")
    summit = next(d for _a, _b, d in network.edges(data=True) if d["iri"].endswith("lee-ishiba-summit-2025-08"))
    assert (summit["type"], summit["start"], summit["end"]) == ("met", "2025-08-23", "2025-08-24")
    assert summit["precision"] == "IntervalPrecision" and len(summit["sources"].split()) == 2
