"""The Store contract, run against both implementations: embedded pyoxigraph and a real `oxigraph serve`."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import XSD, Graph, Literal, URIRef

from graph import terms
from graph.embedded import EmbeddedStore
from graph.errors import InputError, NotFound, ParseError, QuerySyntaxError, RefusedInput, UnsupportedFormat
from graph.store import Dataset, Store

G1 = "http://example.org/g1"
G2 = "http://example.org/g2"
DATA = b"""<http://example.org/a> <http://example.org/p> "1" .
<http://example.org/a> <http://example.org/q> <http://example.org/b> .
<http://example.org/b> <http://example.org/p> "2"@en .
"""


def test_load_count_and_list_graphs(store: Store) -> None:
    store.load(DATA, ox.RdfFormat.N_TRIPLES, graph=G1)
    store.load(b'<http://example.org/c> <http://example.org/p> "3" .', ox.RdfFormat.N_TRIPLES, graph=G2)
    assert store.count() == 4
    assert store.count(G1) == 3
    assert store.named_graphs() == [G1, G2]


def test_default_graph_is_the_union_of_named_graphs(store: Store) -> None:
    store.load(DATA, ox.RdfFormat.N_TRIPLES, graph=G1)
    store.load(b'<http://example.org/c> <http://example.org/p> "3" .', ox.RdfFormat.N_TRIPLES, graph=G2)
    rows = store.select("SELECT ?s WHERE { ?s <http://example.org/p> ?o } ORDER BY ?s").rows
    assert [str(r[0]) for r in rows] == ["http://example.org/a", "http://example.org/b", "http://example.org/c"]


def test_a_query_that_names_its_dataset_reads_that_dataset_and_not_the_union(store: Store) -> None:
    store.load(DATA, ox.RdfFormat.N_TRIPLES, graph=G1)
    store.load(b'<http://example.org/c> <http://example.org/p> "3" .', ox.RdfFormat.N_TRIPLES, graph=G2)
    values = "SELECT ?o {from} WHERE { ?s <http://example.org/p> ?o } ORDER BY ?o"
    assert [str(r[0]) for r in store.select(values.replace("{from}", "")).rows] == ["1", "2", "3"]
    assert [str(r[0]) for r in store.select(values.replace("{from}", f"FROM <{G2}>")).rows] == ["3"]
    prefixed = f"PREFIX ex: <http://example.org/> {values.replace('{from}', 'FROM ex:g1')}"
    assert [str(r[0]) for r in store.select(prefixed).rows] == ["1", "2"]
    named = f"SELECT ?g ?o FROM NAMED <{G2}> WHERE {{ {{ GRAPH ?g {{ ?s ?p ?o }} }} UNION {{ ?s ?p ?o }} }}"
    assert [(str(g), str(o)) for g, o in store.select(named).rows] == [(G2, "3")]  # and an empty default graph
    as_json = json.loads(store.serialize_bytes(values.replace("{from}", f"FROM <{G2}>"), "json"))
    assert [b["o"]["value"] for b in as_json["results"]["bindings"]] == ["3"]
    protocol = store.serialize_bytes(values.replace("{from}", f"FROM <{G2}>"), "json", Dataset((G1,)))
    assert [b["o"]["value"] for b in json.loads(protocol)["results"]["bindings"]] == ["1", "2"]  # the request wins
    assert store.ask(f"ASK FROM <{G1}> {{ <http://example.org/a> ?p ?o }}")
    assert not store.ask(f"ASK FROM <{G2}> {{ <http://example.org/a> ?p ?o }}")


def test_select_rows_are_rdflib_terms(store: Store) -> None:
    store.load(DATA, ox.RdfFormat.N_TRIPLES, graph=G1)
    result = store.select(
        "SELECT ?o ?x WHERE { ?s <http://example.org/p> ?o OPTIONAL { ?s <http://nope> ?x } } ORDER BY ?o"
    )
    assert result.variables == ["o", "x"]
    assert result.rows == [(Literal("1"), None), (Literal("2", lang="en"), None)]
    assert result.dicts() == [{"o": Literal("1")}, {"o": Literal("2", lang="en")}]


def test_ask_and_construct(store: Store) -> None:
    store.load(DATA, ox.RdfFormat.N_TRIPLES, graph=G1)
    assert store.ask("ASK { <http://example.org/a> ?p ?o }") is True
    assert store.ask("ASK { <http://example.org/zzz> ?p ?o }") is False
    graph = store.construct("CONSTRUCT { ?s ?p ?o } WHERE { ?s <http://example.org/q> ?o ; ?p ?o }")
    assert set(graph) == {
        (URIRef("http://example.org/a"), URIRef("http://example.org/q"), URIRef("http://example.org/b"))
    }


def test_streamed_answers_are_the_answers_in_engine_terms(store: Store) -> None:
    store.load(DATA, ox.RdfFormat.N_TRIPLES, graph=G1)
    store.load(b'<http://example.org/c> <http://example.org/p> "3" .', ox.RdfFormat.N_TRIPLES, graph=G2)
    query = "SELECT ?s ?o ?x WHERE { ?s <http://example.org/p> ?o OPTIONAL { ?s <http://nope> ?x } } ORDER BY ?o"
    streamed = store.stream_select(query)
    assert streamed.variables == ["s", "o", "x"]
    rows = [tuple(row) for row in streamed.rows]
    assert rows == [
        (ox.NamedNode("http://example.org/a"), ox.Literal("1"), None),
        (ox.NamedNode("http://example.org/b"), ox.Literal("2", language="en"), None),
        (ox.NamedNode("http://example.org/c"), ox.Literal("3"), None),
    ]
    assert [tuple(map(str, r[:2])) for r in store.select(query).rows] == [(r[0].value, r[1].value) for r in rows]
    construct = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    triples = set(store.stream_construct(construct))
    assert len(triples) == 4 and all(isinstance(t, ox.Triple) for t in triples)
    assert {tuple(str(term) for term in t) for t in store.construct(construct)} == {
        (t.subject.value, t.predicate.value, t.object.value) for t in triples
    }
    with pytest.raises(TypeError):
        store.stream_select(construct)
    with pytest.raises(TypeError):
        store.stream_construct(query)
    with pytest.raises(QuerySyntaxError):
        store.stream_select("SELECT * WHERE { ?s ?p }")


@pytest.mark.parametrize(
    ("query", "fmt", "media_type"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", "json", "application/sparql-results+json"),
        ("SELECT * WHERE { ?s ?p ?o }", "xml", "application/sparql-results+xml"),
        ("SELECT * WHERE { ?s ?p ?o }", "csv", "text/csv"),
        ("SELECT * WHERE { ?s ?p ?o }", "tsv", "text/tab-separated-values"),
        ("ASK { ?s ?p ?o }", "json", "application/sparql-results+json"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "turtle", "text/turtle"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "ntriples", "application/n-triples"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "nquads", "application/n-quads"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "trig", "application/trig"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "jsonld", "application/ld+json"),
        ("CONSTRUCT WHERE { ?s ?p ?o }", "rdfxml", "application/rdf+xml"),
    ],
)
def test_serialize_every_standard_format(store: Store, query: str, fmt: str, media_type: str) -> None:
    store.load(DATA, ox.RdfFormat.N_TRIPLES, graph=G1)
    out = io.BytesIO()
    assert store.serialize(query, fmt, out).split(";")[0] == media_type
    body = out.getvalue()
    if fmt == "json" and query.startswith("SELECT"):
        assert len(json.loads(body)["results"]["bindings"]) == 3
    elif fmt == "json":
        assert json.loads(body)["boolean"] is True
    elif fmt == "xml":
        assert body.count(b"<result>") == 3
    elif fmt in ("csv", "tsv"):
        assert len(body.decode().strip().splitlines()) == 4
    else:
        parsed = ox.parse(body, ox.RdfFormat.from_media_type(media_type))
        assert len(list(parsed)) == 3


def test_a_format_that_does_not_fit_the_query_form_is_refused(store: Store) -> None:
    with pytest.raises(UnsupportedFormat, match="CONSTRUCT query cannot be written as 'csv'"):
        store.serialize_bytes("CONSTRUCT WHERE { ?s ?p ?o }", "csv")
    with pytest.raises(UnsupportedFormat, match="not an RDF format"):
        store.serialize_bytes("CONSTRUCT WHERE { ?s ?p ?o }", "yaml")


def test_query_syntax_error_names_the_position(store: Store) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        store.select("SELECT * WHERE { ?s ?p }")
    assert caught.value.line == 1 and caught.value.column is not None


@pytest.mark.parametrize(
    ("text", "place", "words"),
    [
        ("SELECT ?s WHERE { ?s rdfs:label ?o }", (1, 22), "add PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>"),
        ('PREFIX ex: <urn:x:>\nSELECT ?s { ?s ex:p "x"^^xsd:string }', (2, 26), "the prefix xsd: is not declared"),
        ("SELECT ?s WHERE { ?s dc:title ?o }", (1, 22), "dc: is not declared; declare it before the query"),
        ("INSERT DATA { <urn:x:a> skos:note 'x' }", (1, 25), "add PREFIX skos: <http://www.w3.org/2004/02/skos/"),
        ("SELECT ?s WHERE { ?s ?p ?o } GROUP BY ?p", (1, 41), "neither grouped (GROUP BY) nor aggregated"),
        ("SELECT * WHERE { ?s ?p ?o } GROUP BY ?s", (1, 40), "SELECT * cannot be grouped"),
        ("SELECT ?s WHERE { ?s ?p ?o } ORDER BY", (1, 38), 'the text ends before it is complete: expected one of "$"'),
        ("SELECT ?s WHERE { ?s ?p '}' ", (1, 17), "this { is never closed; add its }"),
        ("SELECT ?s WHERE { ?s ?p ?o FILTER(?o > 3 }", (1, 42), "this } comes before the ( at 1:34 is closed"),
    ],
    ids=[
        "known-prefix",
        "prefix-of-a-datatype",
        "unknown-prefix",
        "update",
        "ungrouped",
        "star",
        "unfinished",
        "unclosed",
        "closed-by-another",
    ],
)
def test_a_syntax_error_says_what_to_fix(store: Store, text: str, place: tuple[int, int], words: str) -> None:
    # Oxigraph's words were a list of character classes over several lines ("['A' ..= 'Z' | 'a' ..= 'z' | …")
    with pytest.raises(QuerySyntaxError) as caught:
        store.update(text) if text.startswith("INSERT") else store.select(text)
    message = str(caught.value)
    assert words in message and "['" not in message and "\\u{" not in message, message
    assert (caught.value.line, caught.value.column) == place
    assert store.count() == 0


def test_a_relative_iri_with_nothing_to_resolve_it_is_named() -> None:
    # Oxigraph's words were "expected OPTIONAL" at the object, or "expected NAMED" after a FROM <g>
    store = EmbeddedStore()
    for text, column in (("SELECT * { ?s <p> ?o }", 15), ("SELECT * FROM <g> { ?s ?p ?o }", 15)):
        with pytest.raises(QuerySyntaxError, match="the IRI <.> is relative, and nothing gives a base") as caught:
            store.select(text)
        assert (caught.value.line, caught.value.column) == (1, column)
    assert store.select("BASE <urn:x:> SELECT * { ?s <p> ?o }").rows == []
    with pytest.raises(QuerySyntaxError, match="is never closed") as unrelated:  # a base given: another error
        store.serialize_bytes("SELECT * { ?s <p> ?o", "json", base_iri="http://example.org/")
    assert "relative" not in str(unrelated.value)


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 5000 + "?o" + ")" * 5000 + ") }",
        "SELECT * WHERE " + "{" * 3000 + " ?s ?p ?o " + "}" * 3000,
        "ASK { ?s ?p " + "[ ?p " * 100 + "?o" + " ]" * 100 + " }",
        "SELECT * WHERE { ?s ?p ?o FILTER(" + "!" * 10000 + "bound(?o)) }",
        "INSERT DATA { <urn:x:a> <urn:x:p> " + "[ <urn:x:q> " * 20000 + "1" + " ]" * 20000 + " }",
    ],
    ids=["parentheses", "groups", "blank-nodes", "negations", "update"],
)
def test_a_request_nested_past_what_the_parser_survives_is_refused_with_the_place(store: Store, text: str) -> None:
    # Each ended the process in Oxigraph's parser (a stack overflow), or (the blank nodes) took 1 s and more.
    store.load(DATA, ox.RdfFormat.N_TRIPLES, graph=G1)
    with pytest.raises(QuerySyntaxError, match="at most 64 levels") as caught:
        if text.startswith("INSERT"):
            store.update(text)
        else:
            store.serialize(text, "json" if "SELECT" in text or "ASK" in text else "ntriples", io.BytesIO())
    assert caught.value.line == 1 and caught.value.column is not None and caught.value.column > 64
    assert store.count() == 3
    nested = "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 60 + "bound(?o)" + ")" * 60 + ") }"
    assert len(store.select(nested).rows) == 3  # 63 levels with the braces and bound(): read


def test_json_ld_nested_past_what_the_parser_survives_is_refused_with_the_place(store: Store, tmp_path: Path) -> None:
    # 5,000 nested objects ended the process in Oxigraph's JSON-LD parser (SIGSEGV); 3,000 took 2.6 s.
    store.load(DATA, ox.RdfFormat.N_TRIPLES, graph=G1)
    deep = b'{"@context": {"p": "http://example.org/p"}, "@id": "http://example.org/a",\n'
    deep += b'"p": {' * 5000 + b'"@id": "http://example.org/z"' + b"}" * 5001
    path = tmp_path / "deep.jsonld"
    path.write_bytes(deep)
    for data in (deep, io.BytesIO(deep), path):
        with pytest.raises(ParseError, match="line 2, column 3000: the JSON-LD nests objects and arrays more than"):
            store.load(data, ox.RdfFormat.JSON_LD, graph=G2)
    assert store.count() == 3
    shallow = b'{"@context": {"p": "http://example.org/p"}, "@id": "http://example.org/a", '
    shallow += b'"p": {' * 400 + b'"@id": "http://example.org/z"' + b"}" * 401
    store.load(shallow, ox.RdfFormat.JSON_LD, graph=G2)
    assert store.count(G2) == 400


def test_dropping_a_graph_the_store_lacks_says_so_and_how_to_go_on(store: Store) -> None:
    store.load(DATA, ox.RdfFormat.N_TRIPLES, graph=G1)
    never = "urn:x:never-written"  # a name of its own: a server may keep an emptied graph's name
    for update in (
        f"DROP GRAPH <{never}>",
        f"CLEAR GRAPH <{never}>",
        f"INSERT DATA {{ GRAPH <{G2}> {{ <urn:x:a> <urn:x:p> 1 }} }} ; DROP GRAPH <{never}>",
    ):
        with pytest.raises(InputError, match=f"<{never}> does not exist.*Add SILENT"):
            store.update(update)
    assert store.named_graphs() == [G1] and store.count() == 3
    store.update(f"DROP SILENT GRAPH <{never}>")


def test_update_write_and_replace_graphs_atomically(store: Store) -> None:
    store.update(f"INSERT DATA {{ GRAPH <{G1}> {{ <http://example.org/x> <http://example.org/p> 1 }} }}")
    new = Graph()
    new.add((URIRef("http://example.org/y"), URIRef("http://example.org/p"), Literal(2)))
    store.write_graphs({G1: new, G2: new}, replace=True)
    assert store.count(G1) == 1 and store.count(G2) == 1
    assert not store.ask("ASK { <http://example.org/x> ?p ?o }")
    store.write_graphs({G1: new}, replace=False)
    assert store.count(G1) == 1


def test_a_failing_write_leaves_every_graph_as_it_was(store: Store) -> None:
    store.load(DATA, ox.RdfFormat.N_TRIPLES, graph=G1)
    before = store.count()
    with pytest.raises(QuerySyntaxError):
        store.update(f"DROP GRAPH <{G1}> ; INSERT DATA {{ GRAPH <{G2}> {{ <http://x> <http://p> }} }}")
    assert store.count() == before == 3


def test_read_dump_and_drop_graph(store: Store) -> None:
    store.load(DATA, ox.RdfFormat.N_TRIPLES, graph=G1)
    assert len(store.read_graph(G1)) == 3
    out = io.BytesIO()
    store.dump_graph(G1, ox.RdfFormat.TURTLE, out)
    assert len(Graph().parse(data=out.getvalue(), format="turtle")) == 3
    store.drop_graph(G1)
    assert store.count() == 0
    with pytest.raises(NotFound):
        store.read_graph(G1)


def test_load_is_all_or_nothing(store: Store) -> None:
    store.load(DATA, ox.RdfFormat.N_TRIPLES, graph=G1)
    with pytest.raises(SyntaxError):
        store.load(
            DATA + b'<http://example.org/z> <http://example.org/p> "unterminated .\n', ox.RdfFormat.N_TRIPLES, graph=G2
        )
    assert store.count() == 3 and store.named_graphs() == [G1]


def test_dump_dataset_streams_every_named_graph(store: Store) -> None:
    store.load(b'<http://x/a> <http://x/p> "1" .', ox.RdfFormat.N_TRIPLES, graph="http://x/g1")
    store.load(b'<http://x/b> <http://x/p> "2" .', ox.RdfFormat.N_TRIPLES, graph="http://x/g2")
    output = io.BytesIO()
    store.dump_dataset(ox.RdfFormat.N_QUADS, output)
    lines = sorted(output.getvalue().decode().strip().splitlines())
    assert len(lines) == 2 and "<http://x/g1>" in lines[0] and "<http://x/g2>" in lines[1]


def test_relative_iris_resolve_against_the_given_base(store: Store) -> None:
    base = "http://example.org/sparql"
    store.update("INSERT DATA { GRAPH <urn:x:g> { <s> <urn:x:p> <o> } }", base_iri=base)
    answer = json.loads(store.serialize_bytes("SELECT ?s WHERE { ?s <urn:x:p> <o> }", "json", base_iri=base))
    rows = answer["results"]["bindings"]
    assert len(rows) == 1 and rows[0]["s"]["type"] == "uri"
    if isinstance(store, EmbeddedStore):  # a server resolves against its own URL instead
        assert rows[0]["s"]["value"] == "http://example.org/s"


def test_converted_terms_are_kept_between_results_up_to_a_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    from graph import terms

    monkeypatch.setattr(terms, "CACHE_LIMIT", 3)
    monkeypatch.setattr(terms, "_converted", {})
    date = ox.Literal("2025-08-23", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#date"))
    first = terms.converter()(date)
    assert terms.converter()(date) is first  # a second result set reuses the term
    assert first == Literal("2025-08-23", datatype=URIRef("http://www.w3.org/2001/XMLSchema#date"))
    convert = terms.converter()
    for n in range(4):
        convert(ox.NamedNode(f"http://example.org/{n}"))
    assert len(terms._converted) <= 3  # never more than the limit, even within one result
    assert terms.converter()(date) is not first  # the cache started afresh when full
    assert terms.converter()(ox.BlankNode("b1")) == terms.converter()(ox.BlankNode("b1"))


@pytest.mark.parametrize("name", ["http://example.org/g1> { ?s ?p ?o } } #", "g1", "http://example.org/a b"])
def test_a_graph_name_must_be_an_absolute_iri(store: Store, name: str) -> None:
    store.load(DATA, ox.RdfFormat.N_TRIPLES, graph=G1)
    for action in (
        lambda: store.has_graph(name),
        lambda: store.count(name),
        lambda: store.load(DATA, ox.RdfFormat.N_TRIPLES, graph=name),
        lambda: store.drop_graph(name),
        lambda: store.serialize("ASK {}", "application/sparql-results+json", io.BytesIO(), Dataset((name,))),
    ):
        with pytest.raises(RefusedInput, match="is not a graph name"):
            action()
    assert store.count() == 3 and store.named_graphs() == [G1]


def test_an_ill_typed_literal_comes_back_as_written_without_a_logged_traceback(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    day = '"2025-02-30"'
    terms._converted.clear()  # converted afresh, not found in the process-wide cache
    store.load(
        f"<http://example.org/e> <http://example.org/day> {day}^^<{XSD.date}> .".encode(),
        ox.RdfFormat.N_TRIPLES,
        graph=G1,
    )
    with caplog.at_level(logging.DEBUG):
        rows = store.select("SELECT ?d WHERE { ?e <http://example.org/day> ?d }").rows
        triples = set(store.construct("CONSTRUCT WHERE { ?e <http://example.org/day> ?d }"))
    assert rows == [(Literal(day.strip('"'), datatype=XSD.date),)]
    assert {o for _s, _p, o in triples} == {rows[0][0]}
    assert not [r for r in caplog.records if r.name.startswith("rdflib")]


class CountingBuffer(io.BytesIO):
    """A buffer that counts the writes it receives."""

    writes = 0

    def write(self, data: object) -> int:
        self.writes += 1
        return super().write(data)  # type: ignore[arg-type]


@pytest.mark.parametrize("query", ["CONSTRUCT WHERE { ?s ?p ?o }", "SELECT * WHERE { ?s ?p ?o }"])
def test_results_into_memory_come_from_the_engine_in_one_piece(query: str) -> None:
    # Each write from Oxigraph into a Python file takes the GIL again, which on a busy server waits up
    # to a switch interval (5 ms) behind other threads: into memory the results come as one write.
    store = EmbeddedStore()
    lines = "".join(f'<http://example.org/s{i}> <http://example.org/p> "value {i}" .\n' for i in range(5000))
    store.load(lines.encode(), ox.RdfFormat.N_TRIPLES, graph="http://example.org/g")
    into_memory = CountingBuffer()
    store.serialize(query, "nt" if query.startswith("CONSTRUCT") else "json", into_memory)
    assert into_memory.writes == 1 and len(into_memory.getvalue()) > 200_000
    assert into_memory.getvalue() == store.serialize_bytes(query, "nt" if query.startswith("CONSTRUCT") else "json")


@pytest.mark.parametrize("kind", ["path", "bytes", "stream"])
def test_a_byte_order_mark_before_the_data_is_skipped(store: Store, tmp_path: Path, kind: str) -> None:
    path = tmp_path / "marked.ttl"
    path.write_bytes(b"\xef\xbb\xbf@prefix ex: <http://example.org/> .\nex:a ex:p ex:b .\n")
    data = {"path": path, "bytes": path.read_bytes(), "stream": io.BytesIO(path.read_bytes())}[kind]
    store.load(data, ox.RdfFormat.TURTLE, graph=G1)
    assert store.count(G1) == 1
