"""Imports flow one way: api -> graph. graph/ never imports Flask, werkzeug or api; __all__ stays honest."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import graph

GRAPH = Path(__file__).resolve().parent.parent / "graph"
FORBIDDEN = {"flask", "werkzeug", "api"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_graph_never_imports_http_or_api() -> None:
    files = sorted(GRAPH.rglob("*.py"))
    assert len(files) >= 10
    offenders = {str(f.relative_to(GRAPH)): imported_roots(f) & FORBIDDEN for f in files}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_check_catches_a_wrong_way_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from flask import Flask\nimport api.cli\n")
    assert imported_roots(bad) & FORBIDDEN == {"flask", "api"}


def test_all_lists_exactly_the_public_names() -> None:
    public = {
        name for name, value in vars(graph).items() if not name.startswith("_") and not isinstance(value, ModuleType)
    }
    assert public <= set(graph.__all__)  # the names of __all__ asked for so far, and no other
    assert {name: getattr(graph, name).__name__ for name in graph.__all__} == {name: name for name in graph.__all__}
    with pytest.raises(AttributeError, match="no attribute 'Graph'"):
        graph.Graph  # noqa: B018 - the access is the test


def test_the_command_line_starts_without_rdflib() -> None:
    """rdflib and pySHACL take a tenth of a second to import: the command line, the store and the loader
    (which imports them once its file is loading, `graph.loading._validator`) do without them."""
    code = "import sys, api.cli; print(sorted(m for m in sys.modules if m.split('.')[0] in ('rdflib', 'pyshacl')))"
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert found.stdout.strip() == "[]"
    assert (
        "rdflib"
        in subprocess.run(
            [sys.executable, "-c", "import sys, graph.validation; print(sorted(sys.modules))"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
    )


def test_a_bulk_load_goes_without_rdflib(tmp_path: Path) -> None:
    """`bilateral load --no-validate` of a file of triples is Oxigraph's bulk load and a count: rdflib (a tenth
    of a second) is never imported."""
    from graph.embedded import EmbeddedStore

    EmbeddedStore(tmp_path / "store").close()
    data = tmp_path / "facts.nt"
    data.write_text("<https://example.org/a> <https://example.org/p> <https://example.org/b> .\n", encoding="utf-8")
    code = (
        "import sys; from api.cli import main\n"
        f"main(['load', '--no-validate', '--store', {str(tmp_path / 'store')!r}, {str(data)!r}], standalone_mode=False)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('rdflib', 'pyshacl')))"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert found.stdout.splitlines() == [
        "Loaded 1 quads into https://w3id.org/bilateral/graph/source/facts; NOT validated (--no-validate).",
        "[]",
    ]
