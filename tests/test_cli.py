"""The console script, run as real processes: --help everywhere, init, query, and exit codes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import click
import pytest

from api.cli_options import write_whole
from tests.api.test_submissions import meeting

RDFS = "http://www.w3.org/2000/01/rdf-schema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
COMMANDS = ["init", "load", "validate", "query", "submit", "serve", "export", "network"]


def bilateral(
    *args: str, cwd: Path | None = None, hash_seed: int | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "bilateral"
    env = {k: v for k, v in os.environ.items() if not k.startswith("BILATERAL_")}
    if hash_seed is not None:
        env["PYTHONHASHSEED"] = str(hash_seed)
    return subprocess.run(
        [str(script), *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120, input=stdin
    )


@pytest.mark.parametrize("command", [[], *[[c] for c in COMMANDS]])
def test_help(command: list[str]) -> None:
    result = bilateral(*command, "--help")
    assert result.returncode == 0
    assert "Usage: bilateral" in result.stdout


def test_init_query_and_errors(tmp_path: Path) -> None:
    store = str(tmp_path / "data")
    assert bilateral("init", "--store", store).returncode == 0
    found = bilateral(
        "query",
        "--store",
        store,
        "--format",
        "table",
        "SELECT DISTINCT ?who WHERE { ?b a bl:Briefing ; bl:participant ?p . ?p rdfs:label ?who }",
    )
    assert found.returncode == 0, found.stderr
    assert "Kang Yu-jung@en" in found.stdout and "(1 row)" in found.stdout
    bad = bilateral("query", "--store", store, "SELECT * WHERE { ?s ?p }")
    assert bad.returncode == 2 and "line 1, column" in bad.stderr
    # bl: and rdfs: are declared for it (a line added first), dc: is not: its place is in the text as written
    undeclared = bilateral("query", "--store", store, "SELECT ?m WHERE {\n ?m a bl:Meeting ; dc:title ?t }")
    assert undeclared.returncode == 2, undeclared.stderr
    assert "at line 2, column 20: the prefix dc: is not declared; declare it" in undeclared.stderr, undeclared.stderr
    assert "\n   ?m a bl:Meeting ; dc:title ?t }\n" + " " * 21 + "^\n" in undeclared.stderr  # the line, a caret
    empty = bilateral("query", "--store", store, "-", stdin="  \n")
    assert empty.returncode == 2 and "The query is empty: give the text of a SELECT" in empty.stderr
    assert "bilateral load" not in empty.stderr  # the hint about updates is for text that is not a query
    # A SELECT * written out lists its columns as the query writes them (Oxigraph sorts them by name).
    star = bilateral("query", "--store", store, "--format", "csv", "SELECT * WHERE { ?z ?p ?a } LIMIT 1")
    assert star.returncode == 0 and star.stdout.splitlines()[0] == "z,p,a", star.stderr
    ask_as_csv = bilateral("query", "--store", store, "--format", "csv", "ASK {}")
    assert ask_as_csv.returncode == 2 and "An ASK query cannot be written as 'csv'" in ask_as_csv.stderr
    nameless = tmp_path / "nameless.ttl"
    nameless.write_text("<https://w3id.org/bilateral/id/person/x> a <https://w3id.org/bilateral/ontology#Person> .\n")
    refused = bilateral("load", "--store", store, str(nameless))
    assert refused.returncode == 1 and "blsh:PersonLabelShape" in refused.stderr
    assert bilateral("validate", "--store", store, str(nameless)).returncode == 1
    folder = bilateral("load", "--store", store, str(tmp_path))
    assert folder.returncode == 2 and "is a directory" in folder.stderr
    for extra in ([], ["--no-validate", "--graph", "urn:x:g"]):
        device = bilateral("load", "--store", store, "--format", "nt", *extra, os.devnull)
        assert device.returncode == 2 and "is not a regular file (a device or a pipe)" in device.stderr


def test_a_folder_without_a_store_is_refused_but_by_init(tmp_path: Path) -> None:
    missing = tmp_path / "mistyped"
    for command in (["query", "ASK {}"], ["validate"], ["export", "gexf"], ["network", "centrality"]):
        refused = bilateral(command[0], "--store", str(missing), *command[1:])
        assert refused.returncode == 2, (command, refused.stdout)
        assert f"no store at {missing}" in refused.stderr and "bilateral init" in refused.stderr
    assert not missing.exists()  # nothing was created on the way
    assert bilateral("init", "--store", str(missing)).returncode == 0
    assert bilateral("query", "--store", str(missing), "ASK { ?s a bl:Summit }").stdout.strip().endswith("true}")


def test_export_writes_its_file_whole_or_says_why_not(tmp_path: Path) -> None:
    store = str(tmp_path / "data")
    assert bilateral("init", "--store", store).returncode == 0
    nowhere = tmp_path / "missing" / "korea.gexf"
    refused = bilateral("export", "gexf", "--store", store, "-o", str(nowhere))
    assert refused.returncode == 2 and f"there is no folder {nowhere.parent}" in refused.stderr
    assert "Traceback" not in refused.stderr and not nowhere.parent.exists()
    one, two = tmp_path / "one.gexf", tmp_path / "two.gexf"
    assert bilateral("export", "gexf", "--store", store, "--country", "KOR,JPN", "-o", str(one)).returncode == 0
    assert (
        bilateral("export", "gexf", "--store", store, "--country", "KOR", "--country", "JPN", "-o", str(two)).returncode
        == 0
    )
    assert one.read_bytes() == two.read_bytes() and b"JPN" in one.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "one.gexf", "two.gexf"]  # no temporary left


@pytest.mark.parametrize("fmt", ["gexf", "csv"])
def test_the_same_network_exports_to_the_same_bytes(tmp_path: Path, fmt: str) -> None:
    store = str(tmp_path / "data")
    assert bilateral("init", "--store", store).returncode == 0
    written = []
    for seed in (1, 2):  # a neighbourhood is a set of nodes, whose order changes with the hash seed
        path = tmp_path / f"{seed}.{fmt}"
        assert (
            bilateral("export", fmt, "--store", store, "--country", "KOR", "-o", str(path), hash_seed=seed).returncode
            == 0
        )
        written.append(path.read_bytes())
    assert written[0] == written[1] and len(written[0]) > 1000


def test_a_failed_write_leaves_the_file_that_was_there(tmp_path: Path) -> None:
    target = tmp_path / "network.gexf"
    target.write_bytes(b"the export of yesterday")

    def fails_halfway(out: IO[bytes]) -> None:
        out.write(b"<gexf")
        raise OSError(28, "No space left on device")

    with pytest.raises(click.UsageError, match="No space left on device"):
        write_whole(target, fails_halfway)
    assert target.read_bytes() == b"the export of yesterday"
    assert [p.name for p in tmp_path.iterdir()] == ["network.gexf"]


def test_an_update_given_to_query_says_where_updates_go(tmp_path: Path) -> None:
    store = str(tmp_path / "data")
    assert bilateral("init", "--store", store).returncode == 0
    refused = bilateral("query", "--store", store, "INSERT DATA { GRAPH <urn:x:g> { <urn:x:a> <urn:x:b> <urn:x:c> } }")
    assert refused.returncode == 2 and "bilateral load" in refused.stderr and "POST /sparql" in refused.stderr


def test_submit_from_the_shell(tmp_path: Path) -> None:
    store = str(tmp_path / "data")
    assert bilateral("init", "--store", store).returncode == 0
    facts = tmp_path / "meeting.ttl"
    facts.write_text(meeting("cli-submitted"), encoding="utf-8")
    source = "https://w3id.org/bilateral/id/source/seed-000"
    first = bilateral("submit", "--store", store, "--source", source, "--as", "tester", str(facts))
    assert first.returncode == 0 and first.stdout.startswith("accepted: submission"), first.stderr
    again = bilateral("submit", "--store", store, "--source", source, str(facts))
    assert again.returncode == 0 and again.stdout.startswith("already submitted")
    facts.write_text(meeting("cli-too-early", day="2001-05-05"), encoding="utf-8")
    refused = bilateral("submit", "--store", store, "--source", source, str(facts))
    assert refused.returncode == 1 and "blsh:MeetingOutOfOfficeShape" in refused.stderr
    nameless = bilateral("submit", "--store", store, str(facts))
    assert nameless.returncode == 2 and "--source on the command line" in nameless.stderr


def test_load_validate_and_submit_read_standard_input(tmp_path: Path) -> None:
    store = str(tmp_path / "data")
    assert bilateral("init", "--store", store).returncode == 0
    ada = "<https://w3id.org/bilateral/id/person/ada> "
    person = f'{ada}<{RDF_TYPE}> <https://w3id.org/bilateral/ontology#Person> .\n{ada}<{RDFS}label> "Ada"@en .\n'
    loaded = bilateral("load", "--store", store, "-", "--format", "nt", "--graph", "urn:x:piped", stdin=person)
    assert loaded.returncode == 0 and "Loaded 2 quads into urn:x:piped; validated." in loaded.stdout, loaded.stderr
    nameless = person.split("\n")[0].replace("/ada", "/bob") + "\n"
    refused = bilateral("load", "--store", store, "-", "--format", "nt", "--graph", "urn:x:other", stdin=nameless)
    assert refused.returncode == 1 and "standard input does not conform" in refused.stderr
    assert "blsh:PersonLabelShape" in refused.stderr
    assert bilateral("validate", "--store", store, "-", "--format", "nt", stdin=nameless).returncode == 1
    assert bilateral("validate", "--store", store, "-", "--format", "nt", stdin=person).returncode == 0
    with_bom = bilateral("validate", "--store", store, "-", "--format", "nt", stdin="\ufeff" + person)
    assert with_bom.returncode == 0, with_bom.stderr  # read as it comes, a byte order mark skipped
    source = "https://w3id.org/bilateral/id/source/seed-000"
    submitted = bilateral(
        "submit", "--store", store, "--source", source, "-", "--format", "ttl", stdin=meeting("piped")
    )
    assert submitted.returncode == 0 and submitted.stdout.startswith("accepted: submission"), submitted.stderr
    for args, message in [
        (["-"], "needs --format"),
        (["-", "--format", "nt"], "--graph IRI"),
        (["-", "--format", "trig"], "--graph IRI"),  # a TriG default graph's triples
        (["-", "--format", "nt", "--graph", "urn:x:g", str(tmp_path / "x.nt")], "read alone"),
    ]:
        usage = bilateral("load", "--store", store, *args, stdin=person)
        assert usage.returncode == 2 and message in usage.stderr, (args, usage.stderr)
    graphs = bilateral("query", "--store", store, "--format", "csv", "SELECT DISTINCT ?g WHERE { GRAPH ?g {} }")
    names = graphs.stdout.split()
    assert "urn:x:piped" in names and "urn:x:other" not in names and "urn:x:g" not in names


def test_serve_refuses_what_it_cannot_listen_with_before_creating_anything(tmp_path: Path) -> None:
    store = str(tmp_path / "data")
    for args, message in [
        (["--workers", "0"], "0 is not in the range x>=1"),
        (["--port", "70000"], "70000 is not in the range 0<=x<=65535"),
        (["--host", "name.invalid"], "cannot listen on name.invalid:8000"),
    ]:
        refused = bilateral("serve", "--store", store, *args)
        assert refused.returncode == 2 and message in refused.stderr, (args, refused.stderr)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        refused = bilateral("serve", "--store", store, "--port", port)
    assert refused.returncode == 2 and f"cannot listen on 127.0.0.1:{port} (Address already in use)" in refused.stderr
    assert not (tmp_path / "data").exists()


PERSON = """<https://w3id.org/bilateral/id/person/by-update-url> a <https://w3id.org/bilateral/ontology#Person> ;
  <http://www.w3.org/2000/01/rdf-schema#label> "Written at the update URL given"@en .
"""


def test_a_remote_store_takes_its_write_urls_from_the_command_line(tmp_path: Path) -> None:
    from graph.remote import RemoteStore
    from tests.conftest import OxigraphServer

    graph, other = "http://example.org/graph/by-update-url", "http://example.org/graph/by-update-url-2"
    two_graphs = tmp_path / "people.trig"  # several graphs go in one update
    two_graphs.write_text(f"<{graph}> {{ {PERSON} }}\n<{other}> {{ {PERSON.replace('by-update-url', 'second')} }}\n")
    one_graph = tmp_path / "person.ttl"  # one graph goes to the Graph Store
    one_graph.write_text(PERSON, encoding="utf-8")
    server = OxigraphServer("--union-default-graph")
    query_url, nowhere = f"{server.url}/query", f"{server.url}/nowhere"
    try:
        # Oxigraph's own /update and /store would take them: the 404s show the URLs given are the ones used.
        for option, file in (("--update-endpoint", two_graphs), ("--graph-store-endpoint", one_graph)):
            wrong = bilateral("load", "--endpoint", query_url, option, nowhere, str(file))
            assert wrong.returncode == 2 and nowhere in wrong.stderr and "404" in wrong.stderr, wrong.stderr
        remote = RemoteStore(query_url)
        assert remote.named_graphs() == []
        right = bilateral("load", "--endpoint", query_url, "--update-endpoint", f"{server.url}/update", str(two_graphs))
        assert right.returncode == 0, right.stderr
        assert remote.count(graph) == remote.count(other) == 2
        remote.close()
    finally:
        server.stop()


def test_remote_urls_without_a_remote_store_or_not_http_are_refused(tmp_path: Path) -> None:
    store = str(tmp_path / "data")
    assert bilateral("init", "--store", store).returncode == 0
    alone = bilateral("query", "--store", store, "--update-endpoint", "http://127.0.0.1:1/update", "ASK {}")
    assert alone.returncode == 2 and "--update-endpoint go with --endpoint URL" in alone.stderr, alone.stderr
    for command in (["query", "ASK {}"], ["serve"]):
        not_http = bilateral(
            command[0],
            "--endpoint",
            "http://127.0.0.1:1/query",
            "--graph-store-endpoint",
            "ftp://h/store",
            *command[1:],
        )
        assert not_http.returncode == 2, not_http.stderr
        assert "'ftp://h/store' is not an http(s) URL; give the Graph Store endpoint as" in not_http.stderr


def test_query_results_that_cannot_be_written_or_evaluated_end_cleanly(tmp_path: Path) -> None:
    from tests.conftest import free_port

    store = str(tmp_path / "data")
    assert bilateral("init", "--store", store).returncode == 0
    script = Path(sys.executable).parent / "bilateral"
    everything = [str(script), "query", "--store", store, "--format", "ntriples", "CONSTRUCT WHERE { ?s ?p ?o }"]
    # A reader that stops early (`| head -1`) is not an error; the store holds far more than a pipe buffers.
    reader = subprocess.Popen(everything, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert reader.stdout is not None and reader.stderr is not None
    assert reader.stdout.readline().endswith(b" .\n")
    reader.stdout.close()
    with reader.stderr:
        assert reader.wait(timeout=60) == 0 and reader.stderr.read() == b""
    with open("/dev/full", "wb") as full:  # a disk that is full
        unwritten = subprocess.run(everything, stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
    assert unwritten.returncode == 2 and "No space left on device" in unwritten.stderr
    assert "Traceback" not in unwritten.stderr
    unreachable = f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{free_port()}/sparql> {{ ?s ?p ?o }} }}"
    for fmt in ("json", "table"):
        failed = bilateral("query", "--store", store, "--format", fmt, unreachable)
        assert failed.returncode == 2 and "error: The query failed while it ran" in failed.stderr, failed.stderr


def test_a_query_past_what_the_parser_survives_is_refused_or_answered_not_a_crash(tmp_path: Path) -> None:
    # Both ended the process in Oxigraph's parser (SIGSEGV): deep nesting is refused with the place (the
    # line counted without the prefixes the command adds), a long sum is answered on a deep enough stack.
    store = str(tmp_path / "data")
    assert bilateral("init", "--store", store).returncode == 0
    deep = bilateral("query", "--store", store, "ASK {\n FILTER(" + "(" * 5000 + "true" + ")" * 5000 + ") }")
    assert deep.returncode == 2 and "error: SPARQL syntax error at line 2, column 71" in deep.stderr, deep.stderr
    assert "more than 64 deep" in deep.stderr
    chain = bilateral("query", "--store", store, "ASK { FILTER(" + " + ".join(["1"] * 9000) + " > 0) }")
    assert chain.returncode == 0 and chain.stdout == '{"head":{},"boolean":true}', chain.stderr


def test_ctrl_c_ends_a_command_with_130_not_the_exit_code_of_invalid_data(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "bilateral"
    waiting = subprocess.Popen(
        [str(script), "query", "--store", str(tmp_path), "-"],  # reads its query from a pipe left open
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wchan = Path(f"/proc/{waiting.pid}/wchan")
    deadline = time.monotonic() + 30
    while "pipe" not in wchan.read_text() and time.monotonic() < deadline:  # until it waits on the pipe
        time.sleep(0.05)
    waiting.send_signal(signal.SIGINT)
    _, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 130 and err.strip() == "Interrupted."


def test_ctrl_c_stops_a_query_the_engine_is_still_evaluating(tmp_path: Path) -> None:
    from tests.processes import cpu_seconds

    store = str(tmp_path / "data")
    assert bilateral("init", "--store", store).returncode == 0
    endless = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # one answer, after hours
    script = Path(sys.executable).parent / "bilateral"
    running = subprocess.Popen(
        [str(script), "query", "--store", store, endless], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while cpu_seconds(running.pid) < 2 and time.monotonic() < deadline:  # past its imports, evaluating
            time.sleep(0.1)
        running.send_signal(signal.SIGINT)
        _, err = running.communicate(timeout=10)
        assert running.returncode == 130 and err.strip() == "Interrupted."
    finally:
        running.kill()
        running.communicate()


def test_a_command_ends_with_its_output_written_and_its_store_closed(tmp_path: Path) -> None:
    # The console script ends without the interpreter's teardown (`cli_options.finish`): what was written
    # to a pipe arrives whole, and what was loaded is there for the next process. In-process, commands
    # end by SystemExit, as click's test runner and scripts expect.
    from click.testing import CliRunner

    from api.cli import main

    store = str(tmp_path / "data")
    assert bilateral("init", "--store", store).returncode == 0
    ranking = ["network", "centrality", "--store", store, "--format", "csv"]
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED" and not k.startswith("BILATERAL_")}
    piped = subprocess.run(
        [str(Path(sys.executable).parent / "bilateral"), *ranking],
        capture_output=True,
        text=True,
        env=buffered,
        timeout=120,
    )
    in_process = CliRunner().invoke(main, ranking)
    with open("/dev/full", "w") as full:  # a disk that is full: the flush at the end fails
        unwritten = subprocess.run(
            [str(Path(sys.executable).parent / "bilateral"), *ranking],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=buffered,
            timeout=120,
        )
        told = subprocess.run(  # written, and flushed, by click while the command runs
            [str(Path(sys.executable).parent / "bilateral"), "validate", "--store", store],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=buffered,
            timeout=120,
        )
    for failed in (unwritten, told):
        assert failed.returncode == 2 and "error: the output could not be written" in failed.stderr
        assert "No space left on device" in failed.stderr and "Traceback" not in failed.stderr
    assert piped.returncode == in_process.exit_code == 0 and piped.stdout == in_process.output
    assert piped.stdout.startswith("state,code,label,score") and "Korea" in piped.stdout
    people = tmp_path / "people.nt"
    people.write_text(
        "".join(f'<urn:x:p{n}> <{RDF_TYPE}> <urn:x:Thing> .\n<urn:x:p{n}> <{RDFS}label> "{n}" .\n' for n in range(1000))
    )
    assert bilateral("load", "--store", store, "--no-validate", "--graph", "urn:x:people", str(people)).returncode == 0
    counting = "SELECT (COUNT(*) AS ?n) { GRAPH <urn:x:people> { ?s ?p ?o } }"
    assert bilateral("query", "--store", store, "--format", "csv", counting).stdout.split() == ["n", "2000"]
    refused = CliRunner().invoke(main, ["query", "--store", store, "--format", "csv", "ASK {}"])
    assert refused.exit_code == 2 and "cannot be written as 'csv'" in refused.output
