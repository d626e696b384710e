"""Real clients against a live `bilateral serve` (its own store, and a remote `oxigraph serve` behind it)."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore, SPARQLUpdateStore
from SPARQLWrapper import JSON, XML, SPARQLWrapper

from tests.api.conftest import TOKEN, BilateralServer

SUMMITS = "SELECT ?s WHERE { ?s a bl:Summit } ORDER BY ?s"
PREFIX = "PREFIX bl: <https://w3id.org/bilateral/ontology#>\n"


@pytest.mark.parametrize("fmt", [JSON, XML])
def test_sparqlwrapper(seeded_server: BilateralServer, fmt: str) -> None:
    wrapper = SPARQLWrapper(f"{seeded_server.url}/sparql")
    wrapper.setQuery(PREFIX + SUMMITS)
    wrapper.setReturnFormat(fmt)
    result = wrapper.queryAndConvert()
    if fmt == JSON:
        found = [b["s"]["value"] for b in result["results"]["bindings"]]  # type: ignore[index]
    else:
        found = [n.firstChild.data for n in result.getElementsByTagName("uri")]  # type: ignore[union-attr]
    assert "https://w3id.org/bilateral/id/event/lee-ishiba-summit-2025-08" in found


def test_rdflib_sparqlstore_prepends_prefixes_and_reads_xml(seeded_server: BilateralServer) -> None:
    graph = Graph(SPARQLStore(f"{seeded_server.url}/sparql"))
    graph.bind("bl", "https://w3id.org/bilateral/ontology#")
    rows = list(graph.query(SUMMITS))
    assert URIRef("https://w3id.org/bilateral/id/event/lee-ishiba-summit-2025-08") in {r[0] for r in rows}


def test_rdflib_sparqlupdatestore_writes_with_a_token(seeded_server: BilateralServer) -> None:
    endpoint = f"{seeded_server.url}/sparql"
    store = SPARQLUpdateStore(endpoint, endpoint, headers={"Authorization": f"Bearer {TOKEN}"})
    graph = Graph(store, identifier=URIRef("urn:x:client-test"))
    graph.add((URIRef("urn:x:s"), URIRef("urn:x:p"), Literal("written by rdflib")))
    check = Graph(SPARQLStore(endpoint))
    assert list(check.query('ASK { GRAPH <urn:x:client-test> { <urn:x:s> <urn:x:p> "written by rdflib" } }'))[0]
    refused = SPARQLUpdateStore(endpoint, endpoint)
    with pytest.raises(Exception, match="401"):
        Graph(refused, identifier=URIRef("urn:x:client-test")).add((URIRef("urn:x:s"), URIRef("urn:x:p"), Literal(2)))
