"""Answers as an HTML page (`format=html`, `api.html_results`): every form of query, the links that walk
the graph, the row limit, escaping, and the home page asking for them."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox
from flask.testing import FlaskClient

from api.app import create_app
from api.pages import EXAMPLES
from api.settings import Settings
from graph.embedded import EmbeddedStore

KOR = "https://w3id.org/bilateral/id/country/KOR"
MEETINGS = "SELECT ?m ?label WHERE { ?m a/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* <https://w3id.org/bilateral/ontology#Meeting> ; <http://www.w3.org/2000/01/rdf-schema#label> ?label }"


class Page(HTMLParser):
    """What a page holds: its table's cells by row, and its links."""

    def __init__(self, text: str):
        super().__init__()
        self.rows: list[list[str]] = []
        self.links: list[str] = []
        self._cell: list[str] | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "a":
            self.links.append(dict(attrs)["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def client_for(store: EmbeddedStore, **settings: object) -> FlaskClient:
    return create_app(Settings(**settings), lambda *_: store).test_client()  # type: ignore[arg-type]


def page(client: FlaskClient, query: str) -> Page:
    answer = client.get("/sparql", query_string={"query": query, "format": "html"})
    assert answer.status_code == 200 and answer.mimetype == "text/html", answer.data[:500]
    return Page(answer.get_data(as_text=True))


def test_a_select_is_a_table_whose_names_link_to_their_description(store: EmbeddedStore) -> None:
    client = client_for(store)
    rows = json.loads(client.get("/sparql", query_string={"query": MEETINGS, "format": "json"}).data)
    shown = page(client, MEETINGS)
    assert shown.rows[0] == ["m", "label"] and len(shown.rows) - 1 == len(rows["results"]["bindings"]) > 0
    assert all(row[0].startswith("event:") for row in shown.rows[1:]), shown.rows
    described = [link for link in shown.links if "DESCRIBE" in link]
    assert len(described) == len(rows["results"]["bindings"])
    followed = parse_qs(urlsplit(described[0]).query)
    assert followed["format"] == ["html"] and followed["query"][0].startswith("DESCRIBE <https://w3id.org/")
    description = page(client, followed["query"][0])
    assert description.rows[0] == ["subject", "predicate", "object"] and len(description.rows) > 3
    assert page(client, "ASK { ?s ?p ?o }").rows == [] and "<strong>true</strong>" in client.get(
        "/sparql", query_string={"query": "ASK { ?s ?p ?o }", "format": "HTML"}
    ).get_data(as_text=True)


def test_a_construct_is_a_table_of_triples_and_the_row_limit_is_said(store: EmbeddedStore) -> None:
    query = f"CONSTRUCT {{ <{KOR}> ?p ?o }} WHERE {{ <{KOR}> ?p ?o }}"
    whole = page(client_for(store), query)
    assert whole.rows[0] == ["subject", "predicate", "object"]
    assert {row[0] for row in whole.rows[1:]} == {"country:KOR"} and len(whole.rows) > 3
    cut = client_for(store, row_limit=2).get("/sparql", query_string={"query": query, "format": "html"})
    assert "X-Bilateral-Truncated" in cut.headers and "triples cut to 2" in cut.get_data(as_text=True)
    assert len(Page(cut.get_data(as_text=True)).rows) == 3


def test_what_the_data_says_is_shown_as_text_never_as_markup() -> None:
    store = EmbeddedStore()
    hostile = '<script>alert(1)</script>"'
    store.load(
        f'<javascript:alert(2)> <urn:x:says> "{hostile.replace(chr(34), chr(92) + chr(34))}"@en .'.encode(),
        ox.RdfFormat.N_TRIPLES,
        graph="urn:x:g",
    )
    answer = client_for(store).get("/sparql", query_string={"query": "SELECT * { ?s ?p ?o }", "format": "html"})
    text = answer.get_data(as_text=True)
    assert "<script>" not in text and "&lt;script&gt;" in text
    shown = Page(text)
    assert [hostile + " @en"] == [cell for row in shown.rows for cell in row if "alert(1)" in cell]
    assert not any(link.startswith("javascript:") for link in shown.links), shown.links  # a DESCRIBE of it


def test_browsers_get_the_usual_formats_unless_they_ask_for_the_page(store: EmbeddedStore) -> None:
    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    answer = client_for(store).get("/sparql", query_string={"query": "ASK {}"}, headers=browser)
    assert answer.status_code == 200 and answer.mimetype != "text/html", answer.mimetype


def test_the_home_page_asks_for_pages_and_its_examples_answer_as_tables(store: EmbeddedStore) -> None:
    client = client_for(store)
    home = client.get("/").get_data(as_text=True)
    assert '<select name="format"><option value="html">' in home
    examples = [link for link in Page(home).links if link.startswith("sparql?")]
    assert len(examples) == len(EXAMPLES)
    for link in examples:
        asked = parse_qs(urlsplit(link).query)
        assert asked["format"] == ["html"] and len(page(client, asked["query"][0]).rows) > 1, link
