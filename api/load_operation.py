"""SPARQL's `LOAD <document> INTO GRAPH <graph>`, for a document the allow-list lets the server reach, run
by bilateral itself: the document is fetched once, parsed, checked against the shapes in context like a
Graph Store write, and its triples added to the graph. The engine's own LOAD would store what it fetches
unchecked; a LOAD among other operations is refused by the update gate (`api/update_gate.py`).

`SILENT` passes over a document that cannot be fetched or read, as SPARQL says; never over one that
violates the shapes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

from api.graph_store import check_staged, refuse_other_graphs
from api.problems import Problem
from api.settings import Settings
from api.update_text import OPERATION_START, PROLOGUE
from graph.errors import InputError, UnsupportedFormat
from graph.formats import rdf_format, rdf_format_for_path
from graph.namespaces import refuse_unwritable
from graph.parsing import Staged, stage
from graph.sparql_names import graph_iris, head_of, prologue_of
from graph.sparql_text import blank_literals, operation_spans, without_comments
from graph.store import Store

_LOAD = re.compile(
    PROLOGUE + r"LOAD(?![\w:-])\s*(SILENT(?![\w:-]))?\s*<([^<>]*)>\s*"
    r"(?:INTO(?![\w:-])\s*GRAPH(?![\w:-])\s*(<[^<>]*>|[^\s<>{}]*:[^\s<>{}]*))?\s*$",
    re.IGNORECASE,
)
_STARTS_WITH_LOAD = re.compile(OPERATION_START + r"LOAD(?![\w:-])", re.IGNORECASE)
"""On blanked text (comments and IRIs as spaces): an update whose first operation is a LOAD."""
ACCEPT = "text/turtle, application/n-triples;q=0.9, application/rdf+xml;q=0.8, application/ld+json;q=0.7, */*;q=0.1"
INTO_A_GRAPH = (
    "LOAD without INTO GRAPH would write into the store's own default graph, where no source states them: "
    "every fact here lives in a named graph. Write LOAD <document> INTO GRAPH <https://w3id.org/bilateral/graph/…>."
)


def run_if_a_load(
    store: Store,
    update: str,
    settings: Settings,
    base_iri: str | None,
    one_write_at_a_time: Callable[[], AbstractContextManager[object]],
) -> bool:
    """Run `update` here if it is one LOAD operation (True); False for any other update. The document is
    fetched before the write lock is taken, so that other writes do not wait for the network."""
    if not _STARTS_WITH_LOAD.match(blank_literals(update)):  # the blanked text is kept for the gate
        return False
    text = without_comments(update) if "#" in update else update
    load = _LOAD.match(text)
    if load is None or len(operation_spans(text)) != 1:
        return False
    silent, document, graph = load.group(1) is not None, load.group(2), load.group(3)
    if graph is None:
        raise InputError(INTO_A_GRAPH)
    target = next(iter(graph_iris([graph], head_of(prologue_of(text), base_iri))), None)
    if target is None or not settings.allowed_outside(document):  # the engine says why
        return False
    refuse_unwritable([target])
    try:
        staged = _fetched(document, target, settings)
    except (InputError, Problem):  # not fetched, or not read
        if silent:
            return True
        raise
    with one_write_at_a_time():
        check_staged(store, staged, emptied=(), source=f"<{document}>")
        store.write_graphs({target: staged.ntriples()}, replace=False)
    return True


def _followed(document: str, settings: Settings) -> requests.Response:
    """The response for the document, through up to five redirects, each to an IRI the allow-list names:
    one that leads elsewhere (an address inside the server's network, say) is refused, not followed."""
    url = document
    for _ in range(6):
        try:
            response = requests.get(
                url, headers={"Accept": ACCEPT}, timeout=settings.timeout_s, stream=True, allow_redirects=False
            )
        except requests.RequestException as error:
            detail = f"LOAD could not fetch <{url}>: {error}"
            raise Problem(502, "The document could not be fetched", detail) from None
        if not response.is_redirect:
            return response
        response.close()
        url = urljoin(url, response.headers["Location"])
        if not settings.allowed_outside(url):
            detail = (
                f"<{document}> redirects to <{url}>, which the allow-list (BILATERAL_ALLOW_DATASETS) does not name."
            )
            raise Problem(502, "The document could not be fetched", detail)
    raise Problem(502, "The document could not be fetched", f"<{document}> redirects more than five times.")


def _fetched(document: str, graph: str, settings: Settings) -> Staged:
    """The document fetched (within the body limit and the time limit) and parsed into `graph`."""
    response = _followed(document, settings)
    with response:
        if response.status_code >= 400:
            raise Problem(502, "The document could not be fetched", f"<{document}> answered {response.status_code}.")
        body = response.raw.read(settings.max_body_bytes + 1, decode_content=True)
        media_type = response.headers.get("Content-Type", "").split(";")[0].strip()
    if len(body) > settings.max_body_bytes:
        raise Problem(413, "Payload too large", f"<{document}> is larger than this server takes at once.")
    try:
        fmt = rdf_format(media_type)
    except UnsupportedFormat:
        try:  # served as text/plain, say: its name tells
            fmt = rdf_format_for_path(Path(urlsplit(document).path))
        except UnsupportedFormat:
            raise InputError(
                f"<{document}> came as {media_type or 'an untyped body'} and its name says no RDF format; "
                "LOAD reads Turtle, N-Triples, RDF/XML and JSON-LD."
            ) from None
    staged = stage(body, fmt, graph=graph, source=f"<{document}>")
    refuse_other_graphs(staged, graph, "but LOAD takes a document of triples.")
    return staged
