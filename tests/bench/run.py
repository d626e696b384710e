"""The core benchmark: loading and querying synthetic graphs through `bilateral`, against Oxigraph itself.

For each size it generates a synthetic graph (`tests/bench/synthetic.py`) and prints, measured in the same
run on the same machine:
- load: wall time and peak memory of `bilateral load` (validated, and with --no-validate) and of
  `oxigraph load --graph` into the same named graph, each a separate process, three times in turn (the
  median, the slowest and the highest peak), with the ratio to Oxigraph (goals: at most 1.5x, at most
  1 GB);
- queries: the median time of six representative queries through the `Store` and through pyoxigraph called
  directly on the same store (a fast query repeated within each sample), as rows and as SPARQL JSON, with
  the ratio (goal: at most 1.2x).

    python -m tests.bench.run                   # 10k, 100k and 1M triples
    python -m tests.bench.run --sizes 20000     # one size
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from graph.embedded import EmbeddedStore
from graph.loading import default_graph_for
from graph.sparql_text import query_form
from tests.bench.synthetic import write
from tests.processes import installed

PREFIXES = """PREFIX bl: <https://w3id.org/bilateral/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
PREFIX country: <https://w3id.org/bilateral/id/country/>
PREFIX event: <https://w3id.org/bilateral/id/event/>
"""

QUERIES = {
    "point lookup": "SELECT ?p ?o WHERE { event:synthetic-7 ?p ?o }",
    "two-hop join, date range": """SELECT ?event ?leader ?day WHERE {
        ?event bl:hasParticipation ?part ; bl:earliest ?day .
        ?part bl:actsFor country:KOR ; bl:agent ?leader .
        FILTER (?day >= "2005-01-01"^^xsd:date && ?day < "2015-01-01"^^xsd:date) }""",
    "aggregate per pair and year": """SELECT ?dyad ?year (COUNT(?event) AS ?events) WHERE {
        ?event bl:dyad ?dyad ; bl:earliest ?day . BIND (YEAR(?day) AS ?year) }
        GROUP BY ?dyad ?year ORDER BY DESC(?events) ?dyad ?year LIMIT 100""",
    "OPTIONAL + FILTER": """SELECT ?event ?dispute WHERE {
        ?event a bl:Summit ; bl:dyad ?dyad ; bl:earliest ?day .
        OPTIONAL { ?dispute bl:dyad ?dyad ; bl:status bl:Ongoing }
        FILTER (?day >= "2020-01-01"^^xsd:date && !bound(?dispute)) }""",
    "property path": """SELECT (COUNT(DISTINCT ?meeting) AS ?meetings) WHERE {
        ?meeting a/rdfs:subClassOf* bl:Meeting ; bl:participant/^bl:holder/bl:office/bl:officeOf country:JPN }""",
    "CONSTRUCT neighbourhood": """CONSTRUCT { ?event ?p ?o } WHERE {
        ?part bl:actsFor country:KOR . ?event bl:hasParticipation ?part ; ?p ?o }""",
}


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float


AS_INSTALLED = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
"""The environment of the commands measured: with their modules' bytecode written and read, as a package
pip installs has it (PYTHONDONTWRITEBYTECODE would have every run compile bilateral's modules again: some
0.05 s of a 10k load)."""


def measure(command: list[str]) -> Run:
    """Run a command as a child process; its wall time and its own peak resident memory."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=AS_INSTALLED)
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4, which Popen cannot see
    if process.returncode != 0:
        error = process.stderr.read().decode() if process.stderr else ""
        raise RuntimeError(f"{' '.join(command)} failed: {error.strip()[:2000]}")
    if process.stderr:
        process.stderr.close()
    return Run(seconds, usage.ru_maxrss / 1024)


def tool(name: str) -> str:
    found = installed(name)
    if found is None:
        raise SystemExit(f"`{name}` is not installed; run pip install -e '.[test]' first.")
    return found


SAMPLE_S = 0.005
"""A sample of a fast query repeats it until the sample lasts about this long: a lone call of 0.2 ms is
within the timer's and the scheduler's jitter."""


def paired_medians(first: Callable[[], object], second: Callable[[], object], repeat: int) -> tuple[float, float]:
    """The median times of two actions run in turn, so that a machine that slows down meanwhile slows both;
    each sample of a fast action runs it several times (`SAMPLE_S`) and counts the time per run."""
    first(), second()  # warm-up
    once = []
    for action in (first, second):
        start = time.perf_counter()
        action()
        once.append(time.perf_counter() - start)
    calls = max(1, math.ceil(SAMPLE_S / max(min(once), 1e-6)))
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for action, spent in ((first, times[0]), (second, times[1])):
            start = time.perf_counter()
            for _ in range(calls):
                action()
            spent.append((time.perf_counter() - start) / calls)
    return statistics.median(times[0]), statistics.median(times[1])


def direct_rows(store: ox.Store, query: str) -> int:
    result = store.query(query, use_default_graph_as_union=True)
    assert not isinstance(result, ox.QueryBoolean)
    terms = 0
    for row in result:
        for _term in row:  # every term touched, as the Store does
            terms += 1
    return terms


def direct_json(store: ox.Store, query: str) -> bytes:
    """Serialized by pyoxigraph into bytes: its quickest way (into a Python file it takes the GIL per buffer)."""
    result = store.query(query, use_default_graph_as_union=True)
    if isinstance(result, ox.QueryTriples):
        written = result.serialize(format=ox.RdfFormat.N_TRIPLES)
    else:
        written = result.serialize(format=ox.QueryResultsFormat.JSON)
    assert written is not None
    return written


def bench_size(size: int, folder: Path, repeat: int, out: Callable[[str], None], load_runs: int = 3) -> None:
    data = folder / f"synthetic-{size}.nt"
    lines = write(size, data)
    out(f"\n## {lines:,} triples ({data.stat().st_size / 1e6:.1f} MB of N-Triples)\n")
    bilateral, oxigraph = tool("bilateral"), tool("oxigraph")
    runs: dict[str, list[Run]] = {}
    graph = default_graph_for(data)  # the same named graph on both sides: named graphs cost more indexes
    for attempt in range(load_runs):  # in turn, so that a machine that slows down meanwhile slows all three
        last = attempt == load_runs - 1
        baseline_dir = folder / f"oxigraph-{size}-{attempt}"
        command = [oxigraph, "load", "--location", str(baseline_dir), "--file", str(data), "--graph", graph]
        runs.setdefault("oxigraph load", []).append(measure(command))
        shutil.rmtree(baseline_dir)
        for label, extra in (("bilateral load", []), ("bilateral load --no-validate", ["--no-validate"])):
            store_dir = folder / f"bilateral-{size}-{len(extra)}"
            subprocess.run(
                [bilateral, "init", "--store", str(store_dir)], check=True, capture_output=True, env=AS_INSTALLED
            )
            runs.setdefault(label, []).append(
                measure([bilateral, "load", "--store", str(store_dir), *extra, str(data)])
            )
            if not last or extra:  # the validated load of the last turn is the store the queries read
                shutil.rmtree(store_dir)
    base = statistics.median(r.seconds for r in runs["oxigraph load"])
    out(f"| load (median of {load_runs}, in turn) | seconds | slowest | peak MB | time vs oxigraph |")
    out("|---|---:|---:|---:|---:|")
    for label, measured in runs.items():
        seconds = statistics.median(r.seconds for r in measured)
        peak = max(r.peak_mb for r in measured)
        slowest = max(r.seconds for r in measured)
        out(f"| {label} | {seconds:.2f} | {slowest:.2f} | {peak:.0f} | {seconds / base:.2f}x |")

    store = EmbeddedStore(folder / f"bilateral-{size}-0")
    out(
        f"\n| query (median of {repeat}, ≥{SAMPLE_S * 1e3:.0f} ms a sample) | rows | Store ms | pyoxigraph ms | ratio "
        "| Store JSON ms | direct JSON ms | ratio |"
    )
    out("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, body in QUERIES.items():
        out(query_row(store, name, PREFIXES + body, repeat))
    store.close()


def query_row(store: EmbeddedStore, name: str, query: str, repeat: int) -> str:
    """One query through the Store and through pyoxigraph directly: as rows, then serialized."""
    direct = store.oxigraph
    construct = query_form(query) == "CONSTRUCT"
    rows = len(store.construct(query)) if construct else len(store.select(query))
    through, plain = paired_medians(
        lambda: store.construct(query) if construct else store.select(query),
        lambda: direct_rows(direct, query),
        repeat,
    )
    fmt = "nt" if construct else "json"
    through_json, plain_json = paired_medians(
        lambda: store.serialize_bytes(query, fmt), lambda: direct_json(direct, query), repeat
    )
    return (
        f"| {name} | {rows} | {through * 1e3:.1f} | {plain * 1e3:.1f} | {through / plain:.2f}x "
        f"| {through_json * 1e3:.1f} | {plain_json * 1e3:.1f} | {through_json / plain_json:.2f}x |"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated triple counts")
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per query (median reported)")
    parser.add_argument("--load-runs", type=int, default=3, help="loads per tool, in turn (median reported)")
    args = parser.parse_args(argv)
    print(
        f"# bilateral core benchmark ({os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
        f"pyoxigraph {ox.__version__})"
    )
    with tempfile.TemporaryDirectory(prefix="bilateral-bench-") as scratch:
        for size in (int(s) for s in args.sizes.split(",")):
            bench_size(size, Path(scratch), args.repeat, lambda line: print(line, flush=True), args.load_runs)


if __name__ == "__main__":
    main()
