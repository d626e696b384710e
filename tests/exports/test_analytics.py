"""Network analytics on the seed graph and on a graph with known centralities, in Python, over HTTP and
from the shell."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from api.app import create_app
from api.settings import Settings
from graph.analytics import centrality, dyad_timeline, shortest_paths
from graph.embedded import EmbeddedStore
from graph.errors import NotFound
from graph.loading import init_store
from graph.network import NetworkFilter
from graph.store import Store

BL = "https://w3id.org/bilateral/ontology#"
STATE = "https://w3id.org/bilateral/id/country/"


def test_the_korea_japan_timeline_shows_both_meetings_in_their_months(seeded: Store) -> None:
    rows = dyad_timeline(seeded, "KOR", "JPN", by="month")
    by_month = {(r["period"], r["type"]): r for r in rows}
    assert by_month[("2025-06", "SidelinesMeeting")]["events"] == 1
    assert by_month[("2025-08", "Summit")]["events"] == 1
    assert by_month[("2025-06", "SidelinesMeeting")]["goldstein"] == 2.5  # CAMEO 044
    assert [r["period"] for r in dyad_timeline(seeded, "KOR", "JPN", start="2025-08-01", by="year")] == ["2025", "2025"]
    assert dyad_timeline(seeded, "KOR", "JPN", start="2025-08", by="year") == dyad_timeline(
        seeded, "KOR", "JPN", start="2025-08-01", by="year"
    )
    with pytest.raises(ValueError, match="is not a date"):  # nothing but a checked day reaches the query
        dyad_timeline(seeded, "KOR", "JPN", end='2025-01-01"^^xsd:date) FILTER (true')
    with pytest.raises(NotFound, match="No state with code JAP"):  # a typo is not an empty timeline
        dyad_timeline(seeded, "KOR", "jap")


def test_paths_carry_the_facts_along_each_hop(seeded: Store) -> None:
    paths = shortest_paths(seeded, "KOR", "USA")
    assert [p.states for p in paths] == [[STATE + "KOR", STATE + "USA"]]
    assert sorted(f["type"] for f in paths[0].steps[0]) == ["allied", "met"]
    with pytest.raises(NotFound, match="No state with code ZZZ"):
        shortest_paths(seeded, "KOR", "ZZZ")


@pytest.fixture(scope="module")
def star() -> EmbeddedStore:
    """Five states allied with one hub (BRA), and one more pact between two of the spokes (FRA, DEU); the seed
    graph adds its own component: KOR and JPN each allied with USA."""
    store = EmbeddedStore()
    init_store(store)
    spokes = ["FRA", "DEU", "CAN", "ITA", "GBR"]
    pairs = [("BRA", s) for s in spokes] + [("FRA", "DEU")]
    triples = []
    for n, (a, b) in enumerate(pairs):
        alliance = f"<https://w3id.org/bilateral/id/alliance/test-{n}>"
        triples.append(f"{alliance} a <{BL}Alliance> ; <{BL}member> <{STATE}{a}> , <{STATE}{b}> .")
    store.update("INSERT DATA { GRAPH <urn:x:star> { " + "\n".join(triples) + " } }")
    return store


@pytest.mark.parametrize("measure", ["degree", "betweenness", "eigenvector"])
def test_the_hub_ranks_first_on_every_measure(star: EmbeddedStore, measure: str) -> None:
    ranked = centrality(star, measure, NetworkFilter(relations=("allied",)))
    assert ranked[0]["code"] == "BRA"
    scores = {r["code"]: r["score"] for r in ranked}
    assert len(scores) == 9, "the star's six states and the seed's three; isolated states are left out"
    if measure == "degree":  # normalized by the 8 other states
        assert scores["BRA"] == pytest.approx(5 / 8, abs=1e-6) and scores["FRA"] == pytest.approx(2 / 8, abs=1e-6)
    if measure == "betweenness":  # 9 of the 10 spoke pairs go through BRA; C(8, 2) = 28 pairs normalize
        assert scores["BRA"] == pytest.approx(9 / 28, abs=1e-6) and scores["GBR"] == 0.0
        assert scores["USA"] == pytest.approx(1 / 28, abs=1e-6)


def test_network_routes_answer_json_and_csv(seeded: Store) -> None:
    client = create_app(Settings(), lambda *_: seeded).test_client()
    ranked = json.loads(client.get("/network/centrality", query_string={"measure": "degree"}).data)["states"]
    assert {r["code"] for r in ranked} == {"KOR", "JPN", "USA"}
    paths = json.loads(client.get("/network/path", query_string={"from": "JPN", "to": "USA"}).data)["paths"]
    assert paths[0]["steps"][0][0]["type"] == "allied"
    timeline = client.get("/network/dyad/KOR/JPN/timeline", query_string={"format": "csv"})
    assert timeline.mimetype == "text/csv" and b"2025-06,SidelinesMeeting,1,2.5" in timeline.data
    assert client.get("/network/centrality", query_string={"measure": "fame"}).status_code == 400
    assert client.get("/network/path", query_string={"from": "KOR"}).status_code == 400
    assert client.get("/network/path", query_string={"from": "KOR", "to": "XXX"}).status_code == 404
    malformed = client.get("/network/path", query_string={"from": "KOR", "to": "U S A"})
    assert (
        malformed.status_code == 400
        and malformed.json is not None
        and "not a valid identifier" in malformed.json["detail"]
    )


def test_export_routes_name_their_files(seeded: Store) -> None:
    client = create_app(Settings(), lambda *_: seeded).test_client()
    with client.get("/export/gexf", query_string={"country": "KOR", "depth": "1"}) as gexf:
        assert gexf.mimetype == "application/gexf+xml" and "bilateral.gexf" in gexf.headers["Content-Disposition"]
        assert gexf.data.count(b"<node ") == 5
    with client.get("/export/nquads") as nquads:
        assert nquads.mimetype == "application/n-quads" and nquads.data.count(b"\n") == seeded.count()
    assert client.get("/export/turtle").status_code == 400
    assert client.get("/export/svg").status_code == 404
    assert client.get("/export/gexf", query_string={"type": "likes"}).status_code == 400
    for parameters, detail in [
        ({"from": "2025-13-01"}, "from='2025-13-01' is not a date; write YYYY-MM-DD, YYYY-MM or YYYY."),
        ({"depth": "two"}, "depth='two' is not a whole number."),
        ({"min_sources": "-1"}, "min_sources is 0 or more."),
    ]:
        refused = client.get("/export/graphml", query_string=parameters)
        assert refused.status_code == 400 and refused.json is not None and refused.json["detail"] == detail
    ranked = client.get("/network/centrality", query_string={"top": "ten"})
    assert ranked.status_code == 400 and ranked.json is not None and "top='ten'" in ranked.json["detail"]
    for top in ("0", "-1"):
        refused = client.get("/network/centrality", query_string={"top": top})
        assert refused.status_code == 400 and refused.json is not None and refused.json["detail"] == "top is 1 or more."
    unknown = client.get("/network/dyad/KOR/ZZZ/timeline")
    assert (
        unknown.status_code == 404 and unknown.json is not None and "No state with code ZZZ" in unknown.json["detail"]
    )


def test_export_and_network_from_the_shell(tmp_path: Path) -> None:
    script = str(Path(sys.executable).parent / "bilateral")
    store = str(tmp_path / "data")
    subprocess.run([script, "init", "--store", store], check=True, capture_output=True)
    out = tmp_path / "net.graphml"
    done = subprocess.run(
        [script, "export", "graphml", "--store", store, "--country", "JPN", "-o", str(out)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "nodes" in done.stderr and out.read_bytes().startswith(b"<?xml")
    timeline = subprocess.run(
        [script, "network", "timeline", "KOR", "JPN", "--store", store, "--format", "json"],
        capture_output=True,
        text=True,
    )
    assert json.loads(timeline.stdout)[0]["period"] == "2025-06"
    bad = subprocess.run([script, "network", "path", "KOR", "--store", store], capture_output=True, text=True)
    assert bad.returncode == 2 and "two alpha-3 codes" in bad.stderr
    stray = subprocess.run([script, "network", "centrality", "KOR", "--store", store], capture_output=True, text=True)
    assert stray.returncode == 2 and "--country" in stray.stderr  # not a ranking that ignored the code
