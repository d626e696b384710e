"""The server benchmark: `bilateral serve` against `oxigraph serve` on copies of the same store, driven with the
same bounded load on 127.0.0.1 (a fixed number of requests per query, a fixed number of concurrent clients).

Prints, per size and query, throughput and median / p95 latency of both servers and their ratios, and the
CPU time each server's processes spent per request. Both servers stay up and their runs alternate (three
each, the median reported), so that a machine that slows down meanwhile slows both alike; CPU per request
is the steadiest figure on a busy machine. Goals: at least 0.67x Oxigraph's throughput on the point query,
at most 1.2x its latency on the join and the aggregation.

    python -m tests.bench.serve_bench                      # 100k and 1M triples
    python -m tests.bench.serve_bench --sizes 20000 --scale 0.2
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.bench.run import PREFIXES, QUERIES, tool
from tests.bench.synthetic import write
from tests.processes import cpu_seconds, free_port

RUNS = 3
"""Each load is driven this many times per server; the run with the median throughput is reported."""
LOAD = [  # (query, requests per run, concurrent clients): 8 clients saturate a small machine, 1 shows a
    # request's own latency, Python's share of it included
    ("point lookup", 400, 8),
    ("point lookup", 200, 1),
    ("two-hop join, date range", 200, 8),
    ("two-hop join, date range", 100, 1),
    ("aggregate per pair and year", 16, 4),
    ("CONSTRUCT neighbourhood", 100, 8),
]


@dataclass(frozen=True)
class Figures:
    throughput: float
    median_ms: float
    p95_ms: float
    cpu_ms: float = 0.0
    """CPU time of the server's processes per request."""


def drive(url: str, query: str, total: int, clients: int) -> Figures:
    """Send `total` POSTs of `query` from `clients` threads; every answer must be a 200."""
    latencies: list[float] = []
    lock = threading.Lock()
    remaining = iter(range(total))
    accept = "application/n-triples" if "CONSTRUCT" in query else "application/sparql-results+json"

    def client() -> None:
        session = requests.Session()
        while True:
            with lock:
                if next(remaining, None) is None:
                    return
            start = time.perf_counter()
            response = session.post(url, data={"query": query}, headers={"Accept": accept}, timeout=300)
            elapsed = time.perf_counter() - start
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}: {response.text[:300]}")
            with lock:
                latencies.append(elapsed)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    ordered = sorted(latencies)
    return Figures(total / wall, statistics.median(ordered) * 1e3, ordered[int(0.95 * (len(ordered) - 1))] * 1e3)


def wait_for(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            requests.get(url, params={"query": "ASK {}"}, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


@contextmanager
def running(command: list[str], url: str) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(url, process)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def measured(process: subprocess.Popen[bytes], url: str, query: str, total: int, clients: int) -> Figures:
    before = cpu_seconds(process.pid, with_descendants=True)
    figures = drive(url, query, total, clients)
    spent = cpu_seconds(process.pid, with_descendants=True) - before
    return Figures(figures.throughput, figures.median_ms, figures.p95_ms, spent * 1e3 / total)


def build_store(size: int, folder: Path) -> Path:
    data = folder / f"synthetic-{size}.nt"
    write(size, data)
    store = folder / f"store-{size}"
    bilateral = tool("bilateral")
    subprocess.run([bilateral, "init", "--store", str(store)], check=True, capture_output=True)
    subprocess.run(
        [bilateral, "load", "--store", str(store), "--no-validate", str(data)], check=True, capture_output=True
    )
    return store


def bench_size(size: int, folder: Path, scale: float, out: Callable[[str], None]) -> None:
    store = build_store(size, folder)
    twin = folder / f"oxigraph-{size}"
    shutil.copytree(store, twin)
    ours_port, theirs_port = free_port(), free_port()
    ours = [
        tool("bilateral"),
        "serve",
        "--store",
        str(store),
        "--port",
        str(ours_port),
        "--workers",
        str(os.cpu_count() or 2),
    ]
    theirs = [
        tool("oxigraph"),
        "serve",
        "--location",
        str(twin),
        "--bind",
        f"127.0.0.1:{theirs_port}",
        "--union-default-graph",
    ]
    results: dict[tuple[str, int, int], dict[str, Figures]] = {}
    theirs_url, ours_url = f"http://127.0.0.1:{theirs_port}/query", f"http://127.0.0.1:{ours_port}/sparql"
    with running(theirs, theirs_url) as oxigraph, running(ours, ours_url) as bilateral:
        servers = (("oxigraph serve", oxigraph, theirs_url), ("bilateral serve", bilateral, ours_url))
        for query, total, clients in LOAD:
            text = PREFIXES + QUERIES[query]
            count = max(4, int(total * scale))
            runs: dict[str, list[Figures]] = {}
            for _name, _process, url in servers:
                drive(url, text, max(2, count // 10), clients)  # warm-up
            for _ in range(RUNS):
                for name, process, url in servers:
                    runs.setdefault(name, []).append(measured(process, url, text, count, clients))
            results[(query, count, clients)] = {
                name: sorted(figures, key=lambda f: f.throughput)[RUNS // 2] for name, figures in runs.items()
            }
    out(f"\n## {size:,} triples\n")
    out(
        "| query | requests x clients | oxigraph req/s | bilateral req/s | throughput ratio "
        "| oxigraph median / p95 ms | bilateral median / p95 ms | latency ratio (median) "
        "| server CPU ms/request: oxigraph / bilateral |"
    )
    out("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for (query, total, clients), by_server in results.items():
        base, ours_figures = by_server["oxigraph serve"], by_server["bilateral serve"]
        out(
            f"| {query} | {total} x {clients} | {base.throughput:.1f} "
            f"| {ours_figures.throughput:.1f} | {ours_figures.throughput / base.throughput:.2f}x "
            f"| {base.median_ms:.1f} / {base.p95_ms:.1f} | {ours_figures.median_ms:.1f} / {ours_figures.p95_ms:.1f} "
            f"| {ours_figures.median_ms / base.median_ms:.2f}x | {base.cpu_ms:.2f} / {ours_figures.cpu_ms:.2f} |"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated triple counts")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the request counts")
    args = parser.parse_args(argv)
    print(f"# bilateral server benchmark ({os.cpu_count()} CPUs, Python {sys.version.split()[0]})")
    with tempfile.TemporaryDirectory(prefix="bilateral-serve-bench-") as scratch:
        for size in (int(s) for s in args.sizes.split(",")):
            bench_size(size, Path(scratch), args.scale, lambda line: print(line, flush=True))


if __name__ == "__main__":
    main()
