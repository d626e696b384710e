"""A store's ontology and shapes brought to the installed release's (`graph.model_graphs`), on both stores;
by `bilateral init` and at the start of `bilateral serve`, on a folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from api.serve import initialize
from graph.embedded import EmbeddedStore
from graph.loading import init_store
from graph.model_graphs import update_model_graphs
from graph.namespaces import MODEL_GRAPHS, ONTOLOGY_GRAPH, SHAPES_GRAPH
from graph.store import Store

SH = "http://www.w3.org/ns/shacl#"


def as_an_older_release_left_it(store: Store) -> None:
    """Change what only a release writes: the messages of the property shapes (blank nodes) and a class."""
    store.update(
        f"""DELETE {{ GRAPH <{SHAPES_GRAPH}> {{ ?shape <{SH}message> ?said }} }}
        INSERT {{ GRAPH <{SHAPES_GRAPH}> {{ ?shape <{SH}message> "an older message" }} }}
        WHERE {{ GRAPH <{SHAPES_GRAPH}> {{ ?shape <{SH}message> ?said FILTER (isBlank(?shape)) }} }}"""
    )
    store.update(
        f"INSERT DATA {{ GRAPH <{ONTOLOGY_GRAPH}> {{ <https://w3id.org/bilateral/ontology#Retired> "
        "a <http://www.w3.org/2002/07/owl#Class> } }"
    )


def test_an_older_model_is_replaced_with_the_release_and_the_facts_are_kept(store: Store) -> None:
    init_store(store)
    assert update_model_graphs(store) == {}  # as the release wrote it
    model = {graph: store.count(graph) for graph in MODEL_GRAPHS}
    facts = {graph: store.count(graph) for graph in store.named_graphs() if graph not in MODEL_GRAPHS}
    as_an_older_release_left_it(store)
    older = f'ASK {{ GRAPH <{SHAPES_GRAPH}> {{ ?shape ?p "an older message" }} }}'
    assert store.ask(older) and store.count(ONTOLOGY_GRAPH) == model[ONTOLOGY_GRAPH] + 1
    replaced = update_model_graphs(store)
    assert sorted(replaced) == sorted(MODEL_GRAPHS) and all(replaced.values())
    assert {graph: store.count(graph) for graph in MODEL_GRAPHS} == model and not store.ask(older)
    assert update_model_graphs(store) == {}
    assert {graph: store.count(graph) for graph in store.named_graphs() if graph not in MODEL_GRAPHS} == facts


def test_init_and_serve_bring_a_folder_to_the_release(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "data"
    script = Path(sys.executable).parent / "bilateral"

    def init() -> str:
        done = subprocess.run([str(script), "init", "--store", str(folder)], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert init().startswith(f"Initialized {folder}")
    assert "already holds this release's ontology and shapes; nothing to do." in init()
    for bring in (init, lambda: initialize(folder) or capsys.readouterr().out):  # the command, serve's start
        store = EmbeddedStore(folder)
        as_an_older_release_left_it(store)
        store.close()
        said = bring()
        assert f"{folder} held another release's model: <{ONTOLOGY_GRAPH}> (" in said, said
        assert "`bilateral validate` checks them against these" in said
        assert "nothing to do" in init()
