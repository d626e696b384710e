"""How the console script shows where a file or a query goes wrong: the place, then the line with a caret
under it (run as real processes)."""

from __future__ import annotations

import gzip
from pathlib import Path

from tests.test_cli import bilateral

BROKEN = '@prefix bl: <https://w3id.org/bilateral/ontology#> .\n<urn:x:a> a bl:Person ;\n    bl:label "X" "Y" .\n'


def test_a_file_that_does_not_parse_is_shown_at_its_place(tmp_path: Path) -> None:
    store = str(tmp_path / "data")
    assert bilateral("init", "--store", store).returncode == 0
    broken = tmp_path / "broken.ttl"
    broken.write_text(BROKEN)
    for command in ("load", "validate"):
        refused = bilateral(command, "--store", store, str(broken))
        assert refused.returncode == 2, refused.stderr
        assert refused.stderr.startswith(f"error: {broken}, line 3, column 18: "), refused.stderr
        assert refused.stderr.endswith('\n      bl:label "X" "Y" .\n' + " " * 19 + "^\n"), refused.stderr
    packed = tmp_path / "broken.ttl.gz"  # the line is not read back out of a compressed file
    packed.write_bytes(gzip.compress(BROKEN.encode()))
    refused = bilateral("validate", "--store", store, str(packed))
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1, refused.stderr
    long = tmp_path / "long.nt"  # a long line is shown around the place
    long.write_text(f'<urn:x:a> <urn:x:p> "{"x" * 5000}" <urn:x:b> .\n')
    refused = bilateral("validate", "--store", store, str(long))
    shown, caret = refused.stderr.splitlines()[1:]
    assert refused.returncode == 2 and shown.startswith("  …x") and len(shown) < 110, refused.stderr
    assert shown[caret.index("^")] == "<", refused.stderr


def test_a_query_that_does_not_parse_is_shown_at_its_place(tmp_path: Path) -> None:
    store = str(tmp_path / "data")
    assert bilateral("init", "--store", store).returncode == 0
    refused = bilateral("query", "--store", store, "SELECT ?s WHERE {\n\t?s ?p ?o FILTER(?o > 3 }")
    assert refused.returncode == 2, refused.stderr
    assert "line 2, column 25: this } comes before the ( at 2:17 is closed" in refused.stderr, refused.stderr
    assert refused.stderr.endswith("\n  \t?s ?p ?o FILTER(?o > 3 }\n  \t" + " " * 23 + "^\n"), refused.stderr
