"""Bulk loads of files of triples into the embedded store: in slices, undone on failure or after a crash."""

from __future__ import annotations

import gzip
import io
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph import bulk, file_content
from graph.bulk import PENDING_GRAPH, bulk_load_file, drop_graph, signature
from graph.embedded import EmbeddedStore
from graph.errors import ParseError, RefusedInput, StoreError, StoreFull, disk_error
from graph.file_content import line_slices, sliceable
from graph.loading import load_files
from graph.parsing import stage

GRAPH = "http://example.org/graph/big"
LINES = 3000


def write_triples(path: Path, lines: int = LINES, broken_at: int | None = None) -> Path:
    with path.open("w") as out:
        for n in range(1, lines + 1):
            if n == broken_at:
                out.write(f'<http://example.org/s{n}> <http://example.org/p> "unterminated .\n')
            else:
                out.write(f'<http://example.org/s{n}> <http://example.org/p> "{n}" .\n')
    return path


@pytest.fixture
def small_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(file_content, "SLICE_BYTES", 4096)  # about 60 lines: a few thousand lines make many slices


def test_a_file_loaded_in_slices_is_all_there(tmp_path: Path, small_slices: None) -> None:
    store = EmbeddedStore(tmp_path / "store")
    reported: list[int] = []
    path = write_triples(tmp_path / "big.nt")
    bulk_load_file(store.oxigraph, path, ox.RdfFormat.N_TRIPLES, GRAPH, progress=reported.append)
    assert store.count(GRAPH) == LINES
    assert len(reported) > 10 and sum(reported) == path.stat().st_size
    assert store.named_graphs() == [GRAPH]  # the journal marker is gone


def test_a_gzipped_file_is_loaded_in_slices_and_its_progress_counted_on_disk(
    tmp_path: Path, small_slices: None
) -> None:
    store = EmbeddedStore(tmp_path / "store")
    reported: list[int] = []
    path = tmp_path / "big.nt.gz"
    path.write_bytes(gzip.compress(write_triples(tmp_path / "big.nt").read_bytes()))
    assert sliceable(path, ox.RdfFormat.N_TRIPLES)
    bulk_load_file(store.oxigraph, path, ox.RdfFormat.N_TRIPLES, GRAPH, progress=reported.append)
    assert store.count(GRAPH) == LINES
    assert sum(reported) == path.stat().st_size  # what the bar's length is: the file's size on disk
    broken = tmp_path / "broken.nt.gz"
    broken.write_bytes(gzip.compress(write_triples(tmp_path / "broken.nt", broken_at=2500).read_bytes()))
    with pytest.raises(ParseError, match=r"broken\.nt\.gz, line 2500"):
        bulk_load_file(store.oxigraph, broken, ox.RdfFormat.N_TRIPLES, "http://example.org/graph/broken")
    assert store.named_graphs() == [GRAPH]


def test_a_syntax_error_in_a_late_slice_names_its_line_and_leaves_nothing(tmp_path: Path, small_slices: None) -> None:
    store = EmbeddedStore(tmp_path / "store")
    store.load(
        b"<http://example.org/a> <http://example.org/p> <http://example.org/b> .",
        ox.RdfFormat.N_TRIPLES,
        "http://example.org/g",
    )
    before = sorted(map(str, store.oxigraph))
    path = write_triples(tmp_path / "big.nt", broken_at=2500)
    with pytest.raises(ParseError, match=r"big\.nt, line 2500") as error:
        bulk_load_file(store.oxigraph, path, ox.RdfFormat.N_TRIPLES, GRAPH)
    assert error.value.line == 2500
    assert sorted(map(str, store.oxigraph)) == before


def test_an_iri_error_in_a_late_slice_is_named_by_its_line_in_the_file(tmp_path: Path, small_slices: None) -> None:
    path = write_triples(tmp_path / "big.nt")
    with path.open("a") as out:
        out.write("<http://example.org/s-<http://example.org/p> <http://example.org/p> <http://example.org/o> .\n")
    with pytest.raises(ParseError) as error:
        stage(path, graph=GRAPH)
    assert error.value.line == LINES + 1
    assert str(error.value).endswith(f"big.nt, line {LINES + 1}, column 1: Invalid IRI code point '<'")


def test_blank_nodes_keep_their_identity_across_what_would_be_slices(tmp_path: Path, small_slices: None) -> None:
    store = EmbeddedStore(tmp_path / "store")
    path = write_triples(tmp_path / "big.nt")
    with path.open("a") as out:  # the same label at both ends of the file, thousands of lines apart
        out.write('_:shared <http://example.org/p> "last" .\n')
    text = '_:shared <http://example.org/p> "first" .\n' + path.read_text()
    path.write_text(text)
    bulk_load_file(store.oxigraph, path, ox.RdfFormat.N_TRIPLES, GRAPH)
    blank = store.select(
        f"SELECT (COUNT(DISTINCT ?b) AS ?n) WHERE {{ GRAPH <{GRAPH}> {{ ?b ?p ?o FILTER isBlank(?b) }} }}"
    )
    assert int(str(blank.rows[0][0])) == 1
    assert store.count(GRAPH) == LINES + 2


def test_a_file_changed_after_validation_is_refused(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    path = write_triples(tmp_path / "big.nt")
    validated = signature(path)
    write_triples(path, lines=LINES + 1)
    with pytest.raises(RefusedInput, match="changed after it was validated"):
        bulk_load_file(store.oxigraph, path, ox.RdfFormat.N_TRIPLES, GRAPH, parsed_as=validated)
    assert store.count() == 0


def test_a_graph_is_dropped_in_batches_and_nothing_else_with_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "UNDO_BATCH", 7)
    store, target = ox.Store(), ox.NamedNode(GRAPH)
    store.load(path=str(write_triples(tmp_path / "big.nt", lines=50)), format=ox.RdfFormat.N_TRIPLES, to_graph=target)
    tricky = r"""<http://example.org/t> <http://example.org/p> "say \"hi\"\n\\ é"@en-GB .
<http://example.org/t> <http://example.org/p> "2025-08-23"^^<http://www.w3.org/2001/XMLSchema#date> .
_:b <http://example.org/p> _:c ."""  # a blank node: that batch is removed a quad at a time
    store.load(tricky.encode(), ox.RdfFormat.N_TRIPLES, to_graph=target)
    kept = ox.Quad(ox.NamedNode("http://example.org/s1"), ox.NamedNode("http://example.org/p"), ox.Literal("1"))
    store.add(ox.Quad(kept.subject, kept.predicate, kept.object, ox.NamedNode("http://example.org/other")))
    assert len(store) == 54
    drop_graph(store, target)
    assert [q.graph_name for q in store] == [ox.NamedNode("http://example.org/other")]
    assert not store.contains_named_graph(target)


KILLED_MID_LOAD = """
import os, sys
from pathlib import Path
import pyoxigraph as ox
from graph import bulk, file_content
from graph.embedded import EmbeddedStore
file_content.SLICE_BYTES = 4096
slices = []
def die_after_three(size):
    slices.append(size)
    if len(slices) == 3:
        os._exit(9)  # the process dies between two slices, nothing cleaned up
store = EmbeddedStore(Path(sys.argv[1]))
bulk.bulk_load_file(store.oxigraph, Path(sys.argv[2]), ox.RdfFormat.N_TRIPLES, sys.argv[3], progress=die_after_three)
"""


def test_a_load_killed_half_way_is_undone_when_the_store_is_next_opened(tmp_path: Path) -> None:
    folder, path = tmp_path / "store", write_triples(tmp_path / "big.nt")
    EmbeddedStore(folder).close()
    killed = subprocess.run([sys.executable, "-c", KILLED_MID_LOAD, str(folder), str(path), GRAPH], check=False)
    assert killed.returncode == 9
    raw = ox.Store.read_only(str(folder))  # what the killed process left: part of the graph, and its marker
    assert 0 < sum(1 for _ in raw.quads_for_pattern(None, None, None, ox.NamedNode(GRAPH))) < LINES
    assert raw.contains_named_graph(PENDING_GRAPH)
    del raw
    store = EmbeddedStore(folder)
    assert store.undone_loads == [GRAPH]
    assert store.count() == 0 and store.named_graphs() == []


def test_staging_in_slices_names_the_line_of_a_syntax_error(tmp_path: Path, small_slices: None) -> None:
    path = write_triples(tmp_path / "big.nt", broken_at=2777)
    with pytest.raises(ParseError, match=r"big\.nt, line 2777"):
        stage(path, graph=GRAPH)


def test_line_slices_cut_between_lines_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(file_content, "SLICE_BYTES", 7)
    data = b"a\nbb\nccc\n\ndddddddddddd\ne"
    slices = list(line_slices(io.BytesIO(data)))
    assert slices == [(1, b"a\nbb\n"), (3, b"ccc\n\n"), (5, b"dddddddddddd\n"), (6, b"e")]


def test_a_missing_file_is_a_parse_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match=r"missing\.nt: no such file"):
        load_files(EmbeddedStore(tmp_path / "store"), [tmp_path / "missing.nt"])


def test_a_blank_node_label_is_found_across_a_block_boundary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(file_content, "_SCAN_BYTES", 8)
    before = b'<http://example.org/s> <http://example.org/p> "1" .\n<http://example.org/a> <http://example.org/b> '
    before += b" " * (7 - len(before) % 8)  # "_" is the last byte of one block, ":" the first of the next
    path = tmp_path / "split.nt"
    path.write_bytes(before + b"_:c .\n")
    assert len(before) % 8 == 7
    assert not sliceable(path, ox.RdfFormat.N_TRIPLES)


def test_a_file_is_scanned_again_once_it_changed(tmp_path: Path) -> None:
    path = write_triples(tmp_path / "grows.nt", lines=10)
    assert sliceable(path, ox.RdfFormat.N_TRIPLES)
    with path.open("a") as out:
        out.write('_:late <http://example.org/p> "x" .\n')
    assert not sliceable(path, ox.RdfFormat.N_TRIPLES)


def test_a_load_that_cannot_fit_on_the_disk_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    claimed = tmp_path / "huge.nt.gz"  # a gzip member recording 4 GiB of content
    claimed.write_bytes(gzip.compress(b"<urn:x:a> <urn:x:b> <urn:x:c> .\n")[:-4] + (2**32 - 1).to_bytes(4, "little"))
    copies = shutil.disk_usage(tmp_path).free // (bulk.ROOM_A_BYTE * (2**32 - 1)) + 1  # more than the disk holds
    store = EmbeddedStore(tmp_path / "store")
    store.load(b"<urn:x:s> <urn:x:p> <urn:x:o> .", ox.RdfFormat.N_TRIPLES, graph="urn:x:g")
    with pytest.raises(StoreFull, match=r"MB free, and loading huge\.nt\.gz.*Nothing was written"):
        load_files(store, [claimed] * copies, validate=False)
    assert store.count() == 1 and store.named_graphs() == ["urn:x:g"]
    fits = tmp_path / "fits.nt.gz"
    fits.write_bytes(gzip.compress(b"<urn:x:a> <urn:x:b> <urn:x:c> .\n"))
    assert load_files(store, [fits], validate=False).quads == 1


@pytest.mark.parametrize(
    ("message", "kind", "says"),
    [
        ("IO error: No space left on device: While appending to file: /s/000025.sst", StoreFull, "disk is full"),
        ("IO error: Input/output error: While reading /s/000025.sst", StoreError, "could not read or write"),
        ("No such file or directory", None, None),
    ],
)
def test_the_engine_failing_on_its_own_files_is_told_as_such(
    message: str, kind: type[StoreError] | None, says: str | None
) -> None:
    told = disk_error(OSError(message))
    if kind is None:
        assert told is None
    else:
        assert type(told) is kind and says in str(told) and "/s/000025.sst" in str(told)
