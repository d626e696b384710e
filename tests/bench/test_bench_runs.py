"""The benchmark itself runs (at a small size, in the normal suite) and prints every figure it promises.

No timing is asserted here: figures are read by people from `python -m tests.bench.run` and
`python -m tests.bench.serve_bench`."""

from __future__ import annotations

import re
from pathlib import Path

from tests.bench import serve_bench
from tests.bench.run import QUERIES, bench_size

ROW = re.compile(r"^\| (?P<name>[^|]+) \|(?P<cells>.*)\|$")


def test_the_benchmark_prints_every_load_and_query_figure(tmp_path: Path) -> None:
    printed: list[str] = []
    bench_size(6000, tmp_path, repeat=1, out=printed.append, load_runs=2)
    rows = {m["name"].strip(): m["cells"] for line in printed if (m := ROW.match(line)) and "---" not in line}
    loads = {"oxigraph load", "bilateral load", "bilateral load --no-validate"}
    assert loads | set(QUERIES) <= set(rows)
    for name in loads:
        assert re.search(r"\d+\.\d\dx", rows[name]), rows[name]
    for name in QUERIES:
        assert len(re.findall(r"\d+\.\d\dx", rows[name])) == 2, rows[name]


def test_the_server_benchmark_prints_every_load_with_its_ratios(tmp_path: Path) -> None:
    printed: list[str] = []
    serve_bench.bench_size(5000, tmp_path, scale=0.01, out=printed.append)
    rows = [m for line in printed if (m := ROW.match(line)) and "---" not in line and "requests x" not in line]
    assert [m["name"].strip() for m in rows] == [query for query, _, _ in serve_bench.LOAD]
    for row in rows:
        cells = row["cells"]
        assert len(re.findall(r"\d+\.\d\dx", cells)) == 2, cells
        assert re.search(r"\| \d+\.\d\d / \d+\.\d\d \|$", "|" + cells + "|"), cells
