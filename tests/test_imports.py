"""Imports flow one way: api -> graph. graph/ never imports Flask, werkzeug or api; __all__ stays honest."""

from __future__ import annotations

import ast
from pathlib import Path
from types import ModuleType

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
    assert set(graph.__all__) == public
