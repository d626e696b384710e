"""The submission benchmark: the median time to validate and store a 50-triple submission against stores of
0 (only the curated graph), 100k and 1M synthetic triples, in one run, with the ratio to the empty store.
Goals: at most 2x, and under 100 ms median.

    python -m tests.bench.submission_bench
    python -m tests.bench.submission_bench --sizes 0,20000 --repeat 5
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from graph.embedded import EmbeddedStore
from graph.parsing import stage
from graph.submissions import SourceCitation, submit
from graph.validation import Validator
from tests.api.test_submissions import meeting
from tests.bench.run import tool
from tests.bench.synthetic import write

SOURCE = SourceCitation("https://w3id.org/bilateral/id/source/seed-000")


def submission(key: str) -> bytes:
    """Three meetings of Lee and Ishiba: 51 triples that cite stored persons, countries and a source."""
    return "".join(meeting(f"bench-{key}-{n}", f"2025-09-{10 + n}") for n in range(3)).encode("utf-8")


def build(size: int, folder: Path) -> Path:
    store = folder / f"store-{size}"
    bilateral = tool("bilateral")
    subprocess.run([bilateral, "init", "--store", str(store)], check=True, capture_output=True)
    if size:
        data = folder / f"synthetic-{size}.nt"
        write(size, data)
        subprocess.run(
            [bilateral, "load", "--store", str(store), "--no-validate", str(data)], check=True, capture_output=True
        )
    return store


def median_ms(store_dir: Path, repeat: int) -> float:
    store = EmbeddedStore(store_dir)
    validator = Validator()
    times = []
    try:
        for run in range(repeat + 1):
            staged = stage(submission(f"{store_dir.name}-{run}"), ox.RdfFormat.TURTLE, graph="urn:bench")
            start = time.perf_counter()
            outcome = submit(store, staged, submitter="bench", citation=SOURCE, validator=validator)
            elapsed = time.perf_counter() - start
            if not outcome.created:
                raise RuntimeError("the benchmark's submissions must all be new")
            if run:  # the first one warms the caches
                times.append(elapsed)
    finally:
        store.close()
    return statistics.median(times) * 1e3


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="0,100000,1000000", help="synthetic triples in each store")
    parser.add_argument("--repeat", type=int, default=15, help="timed submissions per store")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        f"# bilateral submission benchmark ({Path(sys.executable).name}, 51-triple submissions, median of "
        f"{args.repeat})\n"
    )
    print("| store | median ms | vs empty store |\n|---|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="bilateral-submission-bench-") as scratch:
        base = None
        for size in sizes:
            figure = median_ms(build(size, Path(scratch)), args.repeat)
            base = base or figure
            print(f"| {size:,} synthetic triples | {figure:.1f} | {figure / base:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
