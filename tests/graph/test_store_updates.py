"""The Store's updates over named graphs, on both implementations: the default graph they read is the union,
as a query's, unless the protocol names a dataset; over many graphs the embedded store gives an update the
union's solutions only when it reads the union, and the result is the same either way."""

from __future__ import annotations

import io
import re

import pyoxigraph as ox
import pytest

from graph import embedded
from graph.embedded import EmbeddedStore
from graph.store import Dataset, Store


def test_an_update_reads_the_union_default_graph_like_a_query(store: Store) -> None:
    store.update("INSERT DATA { GRAPH <urn:x:g1> { <urn:x:a> <urn:x:p> <urn:x:b> } }")
    store.update("INSERT { GRAPH <urn:x:g2> { ?s ?p ?o } } WHERE { ?s ?p ?o }")
    assert store.count("urn:x:g2") == 1
    store.update("PREFIX x: <urn:x:> DELETE { GRAPH <urn:x:g2> { ?s ?p ?o } } WHERE { ?s x:p ?o . ?s ?p ?o }")
    assert store.count("urn:x:g2") == 0 and store.count("urn:x:g1") == 1


@pytest.mark.parametrize("checked_from", [10_000, 2])  # the union always given; only when read (`_union_needed`)
def test_updates_over_many_graphs_read_the_union_or_each_graph_as_they_ask(
    store: Store, checked_from: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(embedded, "UNION_CHECKED_FROM", checked_from)
    for n in range(4):
        store.update(f"INSERT DATA {{ GRAPH <urn:x:g{n}> {{ <urn:x:s{n}> <urn:x:p> {n} }} }}")
    in_each_graph = "DELETE { GRAPH ?g { ?s <urn:x:p> ?o } } INSERT { GRAPH ?g { ?s <urn:x:q> ?o } } WHERE { GRAPH ?g { ?s <urn:x:p> ?o } }"
    store.update(in_each_graph)
    assert [store.count(f"urn:x:g{n}") for n in range(4)] == [1, 1, 1, 1]
    assert store.ask("ASK { GRAPH <urn:x:g3> { <urn:x:s3> <urn:x:q> 3 } }") and not store.ask("ASK { ?s <urn:x:p> ?o }")
    from_the_union = "INSERT { GRAPH <urn:x:all> { ?s <urn:x:seen> ?o } } WHERE { ?s <urn:x:q> ?o }"
    store.update(from_the_union)
    assert store.count("urn:x:all") == 4
    with_exists = (
        "INSERT { GRAPH <urn:x:marked> { ?s <urn:x:mark> 1 } } "
        "WHERE { GRAPH <urn:x:g1> { ?s ?p ?o } FILTER EXISTS { ?s <urn:x:seen> ?any } }"
    )
    store.update(with_exists)  # the EXISTS reads the union: the triple is in <urn:x:all> only
    assert store.ask("ASK { GRAPH <urn:x:marked> { <urn:x:s1> <urn:x:mark> 1 } }")
    store.update("DELETE WHERE { ?s <urn:x:seen> ?o }")  # matches in the union, deletes nothing
    assert store.count("urn:x:all") == 4


class RecordingUpdates:
    """A pyoxigraph store that keeps the text of every update it runs."""

    def __init__(self, store: ox.Store):
        self.store, self.updates = store, list[str]()

    def update(self, text: str, **options: object) -> None:
        self.updates.append(text)
        self.store.update(text, **options)

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)


def test_over_many_graphs_an_update_is_given_its_solutions_or_the_union_only_when_it_reads_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Oxigraph matches each pattern once per USING graph: over thousands of graphs (a store of submissions)
    # a small update took seconds. With many graphs, one that reads only GRAPH patterns runs as it is, one
    # that reads the union gets its solutions as VALUES, and USING is left for what VALUES cannot carry.
    monkeypatch.setattr(embedded, "UNION_CHECKED_FROM", 2)
    store = EmbeddedStore()
    for n in range(3):
        store.update(f"INSERT DATA {{ GRAPH <urn:x:g{n}> {{ <urn:x:s{n}> <urn:x:p> {n} }} }}")
    store.update("INSERT DATA { GRAPH <urn:x:b> { _:b <urn:x:p> 9 } }")
    recording = RecordingUpdates(store.oxigraph)
    monkeypatch.setattr(store, "_store", recording)
    store.update("DELETE { GRAPH ?g { ?s <urn:x:p> 0 } } WHERE { GRAPH ?g { ?s <urn:x:p> 0 } }")
    store.update("INSERT { GRAPH <urn:x:all> { ?s <urn:x:seen> 1 } } WHERE { ?s <urn:x:p> ?o FILTER isIRI(?s) }")
    store.update("INSERT { GRAPH <urn:x:blank> { ?s <urn:x:seen> 1 } } WHERE { ?s <urn:x:p> 9 }")
    assert [("USING" in text, "VALUES" in text) for text in recording.updates] == [
        (False, False),
        (False, True),
        (True, False),
    ]
    assert store.count("urn:x:g0") == 0 and store.count("urn:x:all") == 2 and store.count("urn:x:blank") == 1


UPDATES_READING_THE_UNION = [
    "PREFIX x: <urn:x:> INSERT { GRAPH <urn:x:out> { ?s x:seen ?o } } WHERE { ?s x:p ?o }",
    "DELETE { GRAPH ?g { ?s <urn:x:p> ?o } } INSERT { GRAPH ?g { ?s <urn:x:q> ?o } } WHERE { ?s <urn:x:p> ?o . GRAPH ?g { ?s <urn:x:p> ?o } }",
    "INSERT { GRAPH <urn:x:out> { ?s <urn:x:label> ?l } } WHERE { ?s <urn:x:p> ?o OPTIONAL { ?s <urn:x:label> ?l } }",
    "INSERT { GRAPH <urn:x:out> { ?s <urn:x:none> 1 } } WHERE { ?s <urn:x:absent> ?o }",
    "INSERT { GRAPH <urn:x:out> { <urn:x:const> <urn:x:at> ?n } } WHERE { BIND (1 AS ?n) FILTER EXISTS { ?s ?p ?o } }",
    "INSERT { GRAPH <urn:x:out> { ?s <urn:x:pair> ?t } } WHERE { ?s <urn:x:p> ?o . ?t <urn:x:p> ?o2 FILTER (?o < ?o2) }",
    "INSERT { GRAPH <urn:x:out> { ?s <urn:x:text> ?l } } WHERE { ?s <urn:x:label> ?l }",
    "BASE <urn:x:> INSERT { GRAPH <out> { ?s <n> ?c } } WHERE { { SELECT ?s (COUNT(*) AS ?c) WHERE { ?s ?p ?o } GROUP BY ?s } }",
    "INSERT { GRAPH <urn:x:out> { ?s <urn:x:tagged> [] } } WHERE { ?s <urn:x:p> 2 }",
    "DELETE { GRAPH <urn:x:g1> { ?s ?p ?o } } WHERE { ?s <urn:x:p> 1 ; ?p ?o }",
]


@pytest.mark.parametrize("update", UPDATES_READING_THE_UNION)
def test_an_update_given_its_solutions_does_what_it_does_given_the_union(
    update: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = (
        "INSERT DATA { GRAPH <urn:x:g0> { <urn:x:a> <urn:x:p> 0 } GRAPH <urn:x:g1> { <urn:x:b> <urn:x:p> 1 ; "
        '<urn:x:label> "say \\"b\\"\\n"@en } GRAPH <urn:x:g2> { <urn:x:c> <urn:x:p> 2 . <urn:x:b> <urn:x:p> 1 } }'
    )
    results = []
    for checked_from in (10_000, 2):  # the union as USING, then the solutions as VALUES
        monkeypatch.setattr(embedded, "UNION_CHECKED_FROM", checked_from)
        store = EmbeddedStore()
        store.update(data)
        store.update(update)
        dump = io.BytesIO()
        store.dump_dataset(ox.RdfFormat.N_QUADS, dump)
        results.append(sorted(re.sub(r"_:\S+", "_:b", line) for line in dump.getvalue().decode().splitlines()))
    assert results[0] == results[1] and len(results[0]) >= 3


def test_an_update_reads_the_protocol_dataset_when_one_is_given(store: Store) -> None:
    store.update(
        "INSERT DATA { GRAPH <urn:x:g1> { <urn:x:a> <urn:x:p> 1 } GRAPH <urn:x:g2> { <urn:x:b> <urn:x:p> 2 } }"
    )
    copy = "INSERT { GRAPH <urn:x:out> { ?s ?p ?o } } WHERE { ?s ?p ?o }"
    store.update(copy, Dataset(default=("urn:x:g2",), named=()))
    copied = store.select("SELECT ?s WHERE { GRAPH <urn:x:out> { ?s ?p ?o } }").rows
    assert [str(row[0]) for row in copied] == ["urn:x:b"], "only the using-graph-uri graph was read"
    named = "INSERT { GRAPH <urn:x:names> { ?g <urn:x:holds> ?s } } WHERE { GRAPH ?g { ?s ?p ?o } }"
    store.update(named, Dataset(default=(), named=("urn:x:g1",)))
    assert store.ask("ASK { GRAPH <urn:x:names> { <urn:x:g1> <urn:x:holds> <urn:x:a> } }")
    assert store.count("urn:x:names") == 1, "only the using-named-graph-uri graph was visible by name"
