"""The remote store: any SPARQL 1.1 server, through the Protocol (SPARQLWrapper) and the Graph Store
HTTP Protocol (plain HTTP with `requests`).

The server must answer queries with the union of its named graphs as the default graph: `oxigraph serve
--union-default-graph`, Fuseki with `tdb2:unionDefaultGraph true`, GraphDB and Virtuoso by their own
settings. `RemoteStore` checks this when it connects and refuses a server that does otherwise; an empty
server, before the first query or write that can tell (`graph/union_check.py`).
"""

from __future__ import annotations

import os
import urllib.error
from collections.abc import Iterable, Iterator, Mapping
from http.client import HTTPResponse
from pathlib import Path
from typing import IO, TypeVar
from urllib.parse import urlencode

import pyoxigraph as ox
import requests
import urllib3
from rdflib import Graph
from SPARQLWrapper import POST, POSTDIRECTLY, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import SPARQLWrapperException

from graph.endpoints import LARGE_BODY, http_url, refusal, sibling_urls, too_large, wrapper_error
from graph.errors import NotFound, QueryTimeout, StoreError, StoreUnavailable
from graph.file_content import without_bom
from graph.namespaces import graph_node
from graph.parsing import checked_input, load_file
from graph.sparql_syntax import refuse_deep_nesting
from graph.sparql_text import query_form
from graph.store import Dataset, GraphData, RdfInput, Solutions, SolutionStream, Store, graphs_update, own_dataset
from graph.terms import to_rdflib
from graph.union_check import misconfigured, reads_union, reads_union_of_a_probe

_POOL = urllib3.PoolManager(maxsize=16)
"""Kept-alive connections to query endpoints, shared by every RemoteStore of the process (thread-safe)."""
os.register_at_fork(after_in_child=_POOL.clear)  # a forked worker opens connections of its own
_CHUNK = 1 << 16
_UPDATE_URLS: dict[str, str] = {}
"""The update URL found for each query URL (see `RemoteStore.update_url`)."""
_T = TypeVar("_T")
SD = "http://www.w3.org/ns/sparql-service-description#"


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
        self.timeout = self.time_limit = timeout  # `timeout`: what a call may wait (a subclass may count down)
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._session = session or requests.Session()
        self.checks_union, self.union_checked, self._checking = check, False, False
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
        refuse_deep_nesting(text)  # servers on Oxigraph's parser crash on it
        wrapper = self._wrapper(url, text, accept, is_update=is_update, dataset=dataset)
        try:
            response, _ = wrapper._query()
            return response
        except SPARQLWrapperException as error:
            size = len(text.encode()) if is_update else 0
            raise wrapper_error(error, url, is_query=url == self.query_url, size=size, sent=text) from None
        except urllib.error.HTTPError as error:
            size = len(text.encode()) if is_update else 0
            raise refusal(url, error.code, error.read().decode("utf-8", "replace"), size, text) from None
        except (TimeoutError, urllib.error.URLError, ConnectionError) as error:
            reason = getattr(error, "reason", error)
            if isinstance(reason, TimeoutError):
                raise QueryTimeout(f"{url} did not answer within {self.time_limit} s.") from None
            if isinstance(reason, BrokenPipeError | ConnectionResetError) and len(text) > LARGE_BODY:
                raise too_large(url, len(text.encode()), cut_off=True) from None
            raise StoreUnavailable(
                f"The SPARQL endpoint {url} cannot be reached ({reason}); start the server or check --endpoint"
                + ("." if url == self.query_url else " (or --update-endpoint).")
            ) from None

    def _solutions(self, query: str, expected: str) -> ox.QuerySolutions | ox.QueryBoolean:
        """The server's JSON answer, parsed as it is read: its head (or boolean) here, its rows as taken."""
        form = query_form(query)
        if form != expected:
            raise TypeError(f"This method takes a {expected} query, not {form}.")
        self._union_known()
        response = self._send(self.query_url, query, "application/sparql-results+json", dataset=own_dataset(query))
        sent = response.peek(60)[:60]
        try:
            return ox.parse_query_results(response, ox.QueryResultsFormat.JSON)
        except SyntaxError:
            raise StoreError(
                f"{self.query_url} did not answer with SPARQL JSON results (it sent {sent!r}); check that "
                "--endpoint is the server's SPARQL query URL."
            ) from None

    # -- queries ---------------------------------------------------------------------------------------
    def select(self, query: str) -> Solutions:
        answer = self.stream_select(query)
        return Solutions(answer.variables, [tuple(None if t is None else to_rdflib(t) for t in r) for r in answer.rows])

    def ask(self, query: str) -> bool:
        result = self._solutions(query, "ASK")
        return bool(result)

    def construct(self, query: str) -> Graph:
        form = query_form(query)
        if form not in ("CONSTRUCT", "DESCRIBE"):
            raise TypeError(f"construct() takes a CONSTRUCT or DESCRIBE query, not {form}.")
        self._union_known()
        body = self._send(self.query_url, query, "application/n-triples", dataset=own_dataset(query)).read()
        return Graph().parse(data=body, format="nt")

    def stream_select(self, query: str) -> SolutionStream:
        result = self._solutions(query, "SELECT")
        assert isinstance(result, ox.QuerySolutions)
        return SolutionStream([v.value for v in result.variables], self._received(result))

    def stream_construct(self, query: str) -> Iterator[ox.Triple]:
        if (form := query_form(query)) not in ("CONSTRUCT", "DESCRIBE"):
            raise TypeError(f"stream_construct() takes a CONSTRUCT or DESCRIBE query, not {form}.")
        self._union_known()
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
        refuse_deep_nesting(query)
        self._union_known()
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
                raise refusal(self.query_url, response.status, response.read().decode("utf-8", "replace"), sent=query)
            for chunk in response.stream(_CHUNK):
                output.write(chunk)
            response.release_conn()
        except (urllib3.exceptions.ReadTimeoutError, urllib3.exceptions.ProtocolError):
            raise QueryTimeout(f"{self.query_url} did not answer within {self.time_limit} s.") from None
        except urllib3.exceptions.HTTPError:
            raise StoreUnavailable(
                f"The SPARQL endpoint {self.query_url} cannot be reached; start the server or check --endpoint."
            ) from None

    def has_graph(self, graph: str) -> bool:
        return self.ask(f"ASK {{ GRAPH {graph_node(graph)} {{ ?s ?p ?o }} }}")

    # -- writes ----------------------------------------------------------------------------------------
    def update(self, update: str, dataset: Dataset | None = None, base_iri: str | None = None) -> None:
        self._union_known(before_writing=True)
        self._send(self.update_url, update, is_update=True, dataset=dataset).read()

    def load(self, data: RdfInput, format: ox.RdfFormat, graph: str | None = None) -> None:
        staging = ox.Store()
        target = graph_node(graph) if graph else None
        if isinstance(data, Path):
            load_file(staging.load, data, format=format, to_graph=target)
        else:
            staging.load(input=checked_input(without_bom(data), format, "the data"), format=format, to_graph=target)
        self.load_dataset(staging)

    def load_dataset(self, dataset: ox.Store) -> None:
        named = list(dataset.named_graphs())
        if len(named) == 1 and next(dataset.quads_for_pattern(None, None, None, ox.DefaultGraph()), None) is None:
            # One graph goes through the Graph Store Protocol: no SPARQL text to build and parse, and no
            # limit of the server's on SPARQL requests (oxigraph serve's 128 MB), in one transaction still.
            self._post_graph(named[0].value, dataset.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=named[0]) or b"")
        else:
            self._insert_dataset(dataset)

    def _post_graph(self, graph: str, triples: bytes) -> None:
        """Add N-Triples to a graph with one Graph Store Protocol POST."""
        self._union_known(before_writing=True)
        headers = {**self._headers, "Content-Type": "application/n-triples"}
        try:
            response = self._session.post(
                self.store_url, params={"graph": graph}, data=triples, headers=headers, timeout=self.timeout
            )
        except requests.ConnectionError:
            if len(triples) > LARGE_BODY:
                raise too_large(self.store_url, len(triples), cut_off=True) from None
            raise StoreUnavailable(
                f"The Graph Store endpoint {self.store_url} cannot be reached; start the server or check it."
            ) from None
        if response.status_code >= 400:
            raise refusal(self.store_url, response.status_code, response.text, len(triples))

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

    def write_graphs(self, graphs: Mapping[str, GraphData], *, replace: bool = False) -> None:
        if graphs:
            self.update(graphs_update(graphs, replace=replace))

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

    # -- the union default graph (`graph/union_check.py`) ------------------------------------------------
    def check_union_default_graph(self) -> None:
        """Refuse a server whose default graph is not the union of its named graphs, if it can tell."""
        self._checking = True  # the check's own queries do not check again
        try:
            union = reads_union(self)
        finally:
            self._checking = False
        if union is False:
            raise misconfigured(self.query_url)
        self.union_checked = union is True

    def _union_known(self, *, before_writing: bool = False) -> None:
        """Check the union once the server can tell, when this store checks it (`check`); before a first
        write into a server that cannot tell yet, by a probe triple written and dropped again."""
        if not self.checks_union or self.union_checked or self._checking:
            return
        self.check_union_default_graph()
        if before_writing and not self.union_checked:
            self._checking = True
            try:
                union = reads_union_of_a_probe(
                    self, lambda text: self._send(self.update_url, text, is_update=True).read()
                )
            finally:
                self._checking = False
            if not union:
                raise misconfigured(self.query_url)
            self.union_checked = True

    def close(self) -> None:
        self._session.close()
