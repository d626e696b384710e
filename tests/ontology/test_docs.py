"""`make docs` builds the ontology's HTML documentation with pyLODE, one section per term."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, Graph

from graph.resources import ontology_dir

ROOT = Path(__file__).resolve().parents[2]


def test_make_docs_writes_every_class(tmp_path: Path) -> None:
    if shutil.which("make") is None:
        pytest.fail("`make` is needed to build the docs (Debian package make).")
    done = subprocess.run(["make", "-s", "docs", f"DOCS={tmp_path}"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    core = Graph().parse(ontology_dir() / "bilateral.ttl")
    labels = {str(core.value(c, RDFS.label)) for c in core.subjects(RDF.type, OWL.Class)}
    assert len(labels) >= 40
    assert [label for label in sorted(labels) if label not in html] == []
