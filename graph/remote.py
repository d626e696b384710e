"""The remote store: any SPARQL 1.1 server, through the Protocol (SPARQLWrapper) and the Graph Store
HTTP Protocol (plain HTTP with `requests`).

The server must answer queries with the union of its named graphs as the default graph: `oxigraph serve
--union-default-graph`, Fuseki with `tdb2:unionDefaultGraph true`, GraphDB and Virtuoso by their own
settings. `RemoteStore` checks this when it connects and refuses a server that does otherwise.
"""

from __future__ import annotations

import ast
import json
import os
import urllib.error
from collections.abc import Iterable, Iterator, Mapping
from http.client import HTTPResponse
from pathlib import Path
from typing import IO, TypeVar
from urllib.parse import urlencode, urlsplit, urlunsplit

import pyoxigraph as ox
import requests
import urllib3
from rdflib import Graph
from SPARQLWrapper import POST, POSTDIRECTLY, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from graph.errors import NotFound, QueryTimeout, StoreError, StoreMisconfigured, StoreUnavailable
from graph.parsing import load_file
from graph.sparql_text import query_form, syntax_error
from graph.store import (
    Dataset,
    GraphData,
    RdfInput,
    Solutions,
    SolutionStream,
    Store,
    graphs_update,
    own_dataset,
)
from graph.terms import graph_node, to_rdflib

_POOL = urllib3.PoolManager(maxsize=16)
"""Kept-alive connections to query endpoints, shared by every RemoteStore of the process (thread-safe)."""
os.register_at_fork(after_in_child=_POOL.clear)  # a forked worker opens connections of its own
_CHUNK = 1 << 16
_UPDATE_URLS: dict[str, str] = {}
"""The update URL found for each query URL (see `RemoteStore.update_url`)."""
_T = TypeVar("_T")
_LARGE_BODY = 1 << 20
"""A request this long, cut off by the server while it was sent, was most likely over its size limit."""
SD = "http://www.w3.org/ns/sparql-service-description#"


def sibling_urls(endpoint: str) -> tuple[str, str, str]:
    """The query, update and Graph Store URLs a single endpoint URL stands for.

    A bare server URL is taken as Oxigraph's layout; a URL ending in /query or /sparql gets siblings. (A
    server that takes updates at its query URL says so in its service description: see `RemoteStore`.)

    >>> sibling_urls("http://127.0.0.1:7878")
    ('http://127.0.0.1:7878/query', 'http://127.0.0.1:7878/update', 'http://127.0.0.1:7878/store')
    >>> sibling_urls("http://h/ds/sparql")[1:]
    ('http://h/ds/update', 'http://h/ds/store')
    """
    parts = urlsplit(http_url(endpoint, "the SPARQL endpoint"))
    path = parts.path.rstrip("/")
    base, _, last = path.rpartition("/")
    if last in ("query", "sparql"):
        query_path = path
    else:
        base, query_path = path, path + "/query"

    def url(p: str) -> str:
        return urlunsplit((parts.scheme, parts.netloc, p, "", ""))

    return url(query_path), url(base + "/update"), url(base + "/store")


def http_url(url: str, what: str) -> str:
    """`url` if it is an http(s) URL with a host, else StoreUnavailable saying how to give `what`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise StoreUnavailable(f"{url!r} is not an http(s) URL; give {what} as http://host:port/…")
    return url


class RemoteStore(Store):
    """A SPARQL 1.1 server used as the store. `session` is the HTTP seam for the Graph Store Protocol."""

    def __init__(
        self,
        endpoint: str,
        *,
        update_url: str | None = None,
        store_url: str | None = None,
        token: str | None = None,
        timeout: float | None = None,
        session: requests.Session | None = None,
        check: bool = True,
    ):
        self.query_url, self._sibling_update_url, default_store = sibling_urls(endpoint)
        self._update_url = http_url(update_url, "the update endpoint") if update_url else None
        self.store_url = http_url(store_url, "the Graph Store endpoint") if store_url else default_store
        self.description = self.query_url
        self.timeout = timeout
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._session = session or requests.Session()
        self._union_checked = False
        if check:
            self.check_union_default_graph()

    @property
    def update_url(self) -> str:
        """Where updates go: the URL configured, else the query URL if the server's service description
        says it takes updates there (`bilateral serve`, Virtuoso, Blazegraph), else the sibling /update
        (Oxigraph, Fuseki). Asked once per query URL and process (a server opens a store per request)."""
        if self._update_url is None:
            found = _UPDATE_URLS.get(self.query_url)
            if found is None:
                found = self.query_url if self._describes_updates_at_query_url() else self._sibling_update_url
                _UPDATE_URLS[self.query_url] = found
            self._update_url = found
        return self._update_url

    def _describes_updates_at_query_url(self) -> bool:
        try:
            response = self._session.get(
                self.query_url, headers={"Accept": "text/turtle", **self._headers}, timeout=self.timeout
            )
            if response.status_code != 200 or "turtle" not in response.headers.get("Content-Type", ""):
                return False
            described = ox.Store()
            described.load(response.content, ox.RdfFormat.TURTLE, base_iri=self.query_url)
        except (requests.RequestException, SyntaxError):
            return False
        return bool(
            described.query(f"""PREFIX sd: <{SD}>
                ASK {{ ?service sd:endpoint <{self.query_url}> ; sd:supportedLanguage sd:SPARQL11Update }}""")
        )

    # -- the protocol ----------------------------------------------------------------------------------
    def _wrapper(
        self, url: str, text: str, accept: str | None, *, is_update: bool, dataset: Dataset | None = None
    ) -> SPARQLWrapper:
        wrapper = SPARQLWrapper(url, updateEndpoint=url)
        # Accept alone says what to answer with: SPARQLWrapper would add format=xml&output=xml to the URL,
        # which servers that read those parameters (Fuseki, Virtuoso, bilateral serve) obey over Accept.
        wrapper.setOnlyConneg(True)
        wrapper.setMethod(POST)
        wrapper.setRequestMethod(POSTDIRECTLY)
        if is_update:  # setQuery would scan the text for its form: 18 s for 15 MB of INSERT DATA
            wrapper.queryString = text
            wrapper.queryType = "INSERT"  # any update form: SPARQLWrapper then posts to the update URL
        else:
            wrapper.setQuery(text)
        if self.timeout:
            wrapper.setTimeout(int(self.timeout) or 1)
        for name, value in self._headers.items():
            wrapper.addCustomHttpHeader(name, value)
        if accept:
            wrapper.addCustomHttpHeader("Accept", accept)
        if dataset:
            prefix = "using-" if is_update else ""
            for graph in dataset.default:
                wrapper.addParameter(f"{prefix}{'graph' if is_update else 'default-graph'}-uri", graph)
            for graph in dataset.named:
                wrapper.addParameter(f"{prefix}named-graph-uri", graph)
        return wrapper

    def _send(
        self, url: str, text: str, accept: str | None = None, *, is_update: bool = False, dataset: Dataset | None = None
    ) -> HTTPResponse:
        wrapper = self._wrapper(url, text, accept, is_update=is_update, dataset=dataset)
        try:
            response, _ = wrapper._query()
            return response
        except SPARQLWrapperException as error:
            raise self._map_error(error, url) from None
        except urllib.error.HTTPError as error:
            raise _refusal(url, error.code, error.read().decode("utf-8", "replace")) from None
        except (TimeoutError, urllib.error.URLError, ConnectionError) as error:
            reason = getattr(error, "reason", error)
            if isinstance(reason, TimeoutError):
                raise QueryTimeout(f"{url} did not answer within {self.timeout} s.") from None
            if isinstance(reason, BrokenPipeError | ConnectionResetError) and len(text) > _LARGE_BODY:
                raise StoreError(
                    f"{url} closed the connection while {len(text.encode()) / 2**20:.1f} MB were being sent: it "
                    "probably limits the size of a request (bilateral serve: BILATERAL_MAX_BODY_MB, 16 by "
                    "default). Raise its limit, or send less at once."
                ) from None
            raise StoreUnavailable(
                f"The SPARQL endpoint {url} cannot be reached ({reason}); start the server or check --endpoint"
                + ("." if url == self.query_url else " (or --update-endpoint).")
            ) from None

    def _map_error(self, error: SPARQLWrapperException, url: str) -> Exception:
        text = str(error)
        message = text.split("Response:", 1)[-1].strip().strip("b'\"").replace("\\n", " ")
        name = type(error).__name__
        if name == "QueryBadFormed":
            return syntax_error(message)
        if name == "Unauthorized":
            return _unauthorized(url, 401, _reason(_response_body(text) or message))
        if name == "EndPointNotFound":
            option = "--endpoint" if url == self.query_url else "--endpoint (or --update-endpoint)"
            return StoreUnavailable(f"{url} is not a SPARQL endpoint (404); check {option}.")
        if "timeout" in message.lower():
            return QueryTimeout(f"The server stopped the query: {message}")
        return StoreError(f"The SPARQL server failed: {message[:300]}")

    def _solutions(self, query: str, expected: str) -> ox.QuerySolutions | ox.QueryBoolean:
        form = query_form(query)
        if form != expected:
            raise TypeError(f"This method takes a {expected} query, not {form}.")
        body = self._send(self.query_url, query, "application/sparql-results+json", dataset=own_dataset(query)).read()
        try:
            return ox.parse_query_results(body, ox.QueryResultsFormat.JSON)
        except SyntaxError:
            raise StoreError(
                f"{self.query_url} did not answer with SPARQL JSON results (it sent {body[:60]!r}); check that "
                "--endpoint is the server's SPARQL query URL."
            ) from None

    # -- queries ---------------------------------------------------------------------------------------
    def select(self, query: str) -> Solutions:
        result = self._solutions(query, "SELECT")
        assert isinstance(result, ox.QuerySolutions)
        names = [v.value for v in result.variables]
        return Solutions(names, [tuple(None if t is None else to_rdflib(t) for t in row) for row in result])

    def ask(self, query: str) -> bool:
        result = self._solutions(query, "ASK")
        return bool(result)

    def construct(self, query: str) -> Graph:
        form = query_form(query)
        if form not in ("CONSTRUCT", "DESCRIBE"):
            raise TypeError(f"construct() takes a CONSTRUCT or DESCRIBE query, not {form}.")
        body = self._send(self.query_url, query, "application/n-triples", dataset=own_dataset(query)).read()
        return Graph().parse(data=body, format="nt")

    def stream_select(self, query: str) -> SolutionStream:
        if (form := query_form(query)) != "SELECT":
            raise TypeError(f"stream_select() takes a SELECT query, not {form}.")
        response = self._send(self.query_url, query, "application/sparql-results+json", dataset=own_dataset(query))
        try:  # the head is read here; the rows as they are taken
            result = ox.parse_query_results(response, ox.QueryResultsFormat.JSON)
        except SyntaxError:
            raise StoreError(
                f"{self.query_url} did not answer with SPARQL JSON results; check that --endpoint is the "
                "server's SPARQL query URL."
            ) from None
        assert isinstance(result, ox.QuerySolutions)
        return SolutionStream([v.value for v in result.variables], self._received(result))

    def stream_construct(self, query: str) -> Iterator[ox.Triple]:
        if (form := query_form(query)) not in ("CONSTRUCT", "DESCRIBE"):
            raise TypeError(f"stream_construct() takes a CONSTRUCT or DESCRIBE query, not {form}.")
        response = self._send(self.query_url, query, "application/n-triples", dataset=own_dataset(query))
        return (quad.triple for quad in self._received(ox.parse(response, ox.RdfFormat.N_TRIPLES)))

    def _received(self, answer: Iterable[_T]) -> Iterator[_T]:
        """An answer read from the server as it is taken, a broken or cut one told as a StoreError."""
        try:
            yield from answer
        except (OSError, SyntaxError) as error:
            raise StoreError(f"The answer of {self.query_url} broke off or could not be read: {error}") from None

    def _serialize(
        self,
        query: str,
        form: str,
        media_type: str,
        output: IO[bytes],
        dataset: Dataset | None = None,
        base_iri: str | None = None,  # the server resolves against its own URL
    ) -> None:
        # The raw answer is streamed over a kept-alive connection from a pool shared by the process's
        # threads: on a busy server a new connection per query (as SPARQLWrapper opens), or even requests'
        # per-call bookkeeping, costs more than a point query itself.
        dataset = dataset or own_dataset(query, base_iri)  # the server reads the union for any query otherwise
        params = (
            [("default-graph-uri", g) for g in dataset.default] + [("named-graph-uri", g) for g in dataset.named]
            if dataset
            else []
        )
        url = self.query_url + ("?" + urlencode(params) if params else "")
        headers = {**self._headers, "Accept": media_type, "Content-Type": "application/sparql-query"}
        timeout = urllib3.Timeout(connect=5, read=self.timeout) if self.timeout else urllib3.Timeout(connect=5)
        try:
            response = _POOL.request(
                "POST",
                url,
                body=query.encode("utf-8"),
                headers=headers,
                timeout=timeout,
                preload_content=False,
                retries=False,
            )
            if response.status >= 400:
                raise _refusal(self.query_url, response.status, response.read().decode("utf-8", "replace"))
            for chunk in response.stream(_CHUNK):
                output.write(chunk)
            response.release_conn()
        except (urllib3.exceptions.ReadTimeoutError, urllib3.exceptions.ProtocolError):
            raise QueryTimeout(f"{self.query_url} did not answer within {self.timeout} s.") from None
        except urllib3.exceptions.HTTPError:
            raise StoreUnavailable(
                f"The SPARQL endpoint {self.query_url} cannot be reached; start the server or check --endpoint."
            ) from None

    def has_graph(self, graph: str) -> bool:
        return self.ask(f"ASK {{ GRAPH {graph_node(graph)} {{ ?s ?p ?o }} }}")

    # -- writes ----------------------------------------------------------------------------------------
    def update(self, update: str, dataset: Dataset | None = None, base_iri: str | None = None) -> None:
        self._send(self.update_url, update, is_update=True, dataset=dataset).read()

    def load(self, data: RdfInput, format: ox.RdfFormat, graph: str | None = None) -> None:
        staging = ox.Store()
        target = graph_node(graph) if graph else None
        if isinstance(data, Path):
            load_file(staging.load, data, format=format, to_graph=target)
        else:
            staging.load(input=data, format=format, to_graph=target)
        self._insert_dataset(staging)

    def _insert_dataset(self, staging: ox.Store) -> None:
        """Add a staged dataset in one SPARQL Update request, which the server runs as one transaction."""
        blocks = []
        graphs: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph] = [ox.DefaultGraph(), *staging.named_graphs()]
        for name in graphs:
            triples = staging.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=name)
            if triples:
                opening = "{" if isinstance(name, ox.DefaultGraph) else f"GRAPH {name} {{"
                blocks.append(f"{opening}\n{triples.decode('utf-8')}}}")
        if blocks:
            self.update("INSERT DATA {\n" + "\n".join(blocks) + "\n}")
            self._recheck()

    def write_graphs(self, graphs: Mapping[str, GraphData], *, replace: bool = False) -> None:
        if graphs:
            self.update(graphs_update(graphs, replace=replace))
            self._recheck()

    def drop_graph(self, graph: str) -> None:
        response = self._gsp("DELETE", graph)
        if response.status_code == 404:
            raise NotFound(f"There is no graph <{graph}> in the store.")

    # -- the Graph Store Protocol ----------------------------------------------------------------------
    def _gsp(self, method: str, graph: str, accept: str | None = None) -> requests.Response:
        graph_node(graph)
        headers = {**self._headers, **({"Accept": accept} if accept else {})}
        try:
            response = self._session.request(
                method, self.store_url, params={"graph": graph}, headers=headers, timeout=self.timeout, stream=True
            )
        except requests.ConnectionError:
            raise StoreUnavailable(
                f"The Graph Store endpoint {self.store_url} cannot be reached; start the server or check it."
            ) from None
        if response.status_code >= 400 and response.status_code != 404:
            raise StoreError(
                f"{self.store_url} answered {response.status_code}: {response.text[:300]} (check --endpoint, "
                "or --graph-store-endpoint)"
            )
        return response

    def dump_graph(self, graph: str, format: ox.RdfFormat, output: IO[bytes]) -> None:
        response = self._gsp("GET", graph, format.media_type)
        if response.status_code == 404:
            raise NotFound(f"There is no graph <{graph}> in the store.")
        for chunk in response.iter_content(_CHUNK):
            output.write(chunk)

    def dump_dataset(self, format: ox.RdfFormat, output: IO[bytes]) -> None:
        try:
            response = self._session.get(
                self.store_url,
                headers={**self._headers, "Accept": format.media_type},
                timeout=self.timeout,
                stream=True,
            )
        except requests.ConnectionError:
            raise StoreUnavailable(f"The Graph Store endpoint {self.store_url} cannot be reached.") from None
        if response.status_code >= 400:
            raise StoreError(f"{self.store_url} answered {response.status_code}: {response.text[:300]}")
        for chunk in response.iter_content(_CHUNK):
            output.write(chunk)

    def named_graphs(self) -> list[str]:
        rows = self.select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }").rows
        return sorted(str(row[0]) for row in rows)

    # -- the union default graph -----------------------------------------------------------------------
    def check_union_default_graph(self) -> None:
        """Refuse a server whose default graph is not the union of its named graphs.

        Takes one triple of one named graph and asks whether the default graph holds it. An empty server
        cannot tell; the check then runs again after the first write.
        """
        probe = self.select(
            "SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } FILTER(!isBlank(?s) && !isBlank(?o)) } LIMIT 1"
        )
        if not probe.rows:
            return
        s, p, o = (ox_term_text(t) for t in probe.rows[0])
        if not self.ask(f"ASK {{ {s} {p} {o} }}"):
            raise StoreMisconfigured(
                f"{self.query_url} does not use the union of its named graphs as the default graph. "
                "Start Oxigraph with `oxigraph serve --union-default-graph`, or set the equivalent option "
                "(Fuseki: tdb2:unionDefaultGraph true)."
            )
        self._union_checked = True

    def _recheck(self) -> None:
        if not self._union_checked:
            self.check_union_default_graph()

    def close(self) -> None:
        self._session.close()


def _refusal(url: str, status: int, body: str) -> Exception:
    """The error for a server's refusal: a syntax error, a timeout, or the server's own failure."""
    text = _reason(body)
    if status in (401, 403):
        return _unauthorized(url, status, text)
    if status == 400:
        return syntax_error(text)
    if status in (503, 504) or "timeout" in text.lower():
        return QueryTimeout(f"{url} stopped the request: {text[:300]}")
    return StoreError(f"{url} answered {status}: {text[:300]}")


def _response_body(text: str) -> str | None:
    """The body of the response a SPARQLWrapper error quotes (as the repr of its bytes), if any."""
    _, found, quoted = text.partition("Response:\n")
    try:
        body = ast.literal_eval(quoted) if found else None
    except (ValueError, SyntaxError):
        return None
    return body.decode("utf-8", "replace") if isinstance(body, bytes) else None


def _reason(body: str) -> str:
    """A server's reason for a refusal: the title and detail of a problem document (RFC 9457), else the body."""
    try:
        problem = json.loads(body)
    except ValueError:
        return body.strip()
    if not isinstance(problem, dict) or not isinstance(problem.get("detail"), str):
        return body.strip()
    return f"{problem.get('title') or 'Refused'}: {problem['detail']}"


def _unauthorized(url: str, status: int, text: str) -> StoreUnavailable:
    return StoreUnavailable(
        f"{url} refused the request ({status}): {text[:300]} It needs a bearer token it accepts: "
        "RemoteStore(token=...), or $BILATERAL_ENDPOINT_TOKEN for the command line."
    )


def ox_term_text(term: object) -> str:
    """A term written in SPARQL / N-Triples syntax, from an rdflib term."""
    from rdflib.term import Node

    assert isinstance(term, Node)
    return term.n3()
