"""The export benchmark: GEXF and GraphML of the synthetic 1M-triple store's projection, written by
bilateral's streaming writers and by networkx's `write_gexf` / `write_graphml`, with time and peak memory.

Goal: at most 2x networkx's time; memory bounded by the projection, not by the serialized file.

    python -m tests.bench.export_bench                 # 1M triples
    python -m tests.bench.export_bench --size 100000
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import IO

import networkx as nx

from graph.embedded import EmbeddedStore
from graph.export_formats import write_gexf, write_graphml
from graph.network import project
from tests.bench.submission_bench import build


def measured(action: Callable[[], None]) -> tuple[float, float]:
    """Seconds and peak MB allocated by Python while `action` runs."""
    tracemalloc.start()
    start = time.perf_counter()
    action()
    seconds = time.perf_counter() - start
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, peak / 1e6


def _plain(network: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """networkx's writers want scalar attributes and no `id` clash: the same projection, as they take it."""
    copy = nx.MultiDiGraph()
    copy.add_nodes_from((n, {k: v for k, v in d.items() if v}) for n, d in network.nodes(data=True))
    copy.add_edges_from(
        (a, b, k, {key: v for key, v in d.items() if v and key != "id"})
        for a, b, k, d in network.edges(keys=True, data=True)
    )
    return copy


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bilateral-export-bench-") as scratch:
        folder = Path(scratch)
        store = EmbeddedStore(build(args.size, folder))
        start = time.perf_counter()
        network = project(store)
        projected = time.perf_counter() - start
        plain = _plain(network)
        print(
            f"# bilateral export benchmark ({os.cpu_count()} CPUs): {args.size:,} synthetic triples, projection of "
            f"{network.number_of_nodes():,} nodes and {network.number_of_edges():,} edges in {projected:.2f} s\n"
        )
        print(
            "| format | writer | seconds | peak MB (Python) | file MB | time vs networkx |\n|---|---|---:|---:|---:|---:|"
        )
        for name, ours, theirs in (("GEXF", write_gexf, nx.write_gexf), ("GraphML", write_graphml, nx.write_graphml)):
            figures = {}
            for label, write in (
                ("networkx", lambda out, w=theirs: w(plain, out)),
                ("bilateral", lambda out, w=ours: w(network, out)),
            ):
                path = folder / f"{name}-{label}.xml"

                def run(write: Callable[[IO[bytes]], None] = write, path: Path = path) -> None:
                    with path.open("wb") as out:
                        write(out)

                seconds, peak = measured(run)
                figures[label] = seconds
                ratio = seconds / figures["networkx"]
                print(
                    f"| {name} | {label} | {seconds:.2f} | {peak:.0f} | {path.stat().st_size / 1e6:.1f} | {ratio:.2f}x |",
                    flush=True,
                )
        store.close()


if __name__ == "__main__":
    main()
