"""A runner for the W3C SPARQL 1.1 Protocol and Graph Store Protocol test manifests, over real HTTP.

Each test is a sequence of raw HTTP requests (method, path, headers, body) with expected status classes,
result kinds (boolean, tabular, RDF) and, for the Graph Store Protocol, expected RDF bodies compared by graph
isomorphism. Paths starting with /sparql/ or /gsp go to this server's /sparql and /store. Every request
carries the write token: the manifests assume an open endpoint, this server asks writers for a token.
"""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

from rdflib import RDF, RDFS, Graph, Namespace
from rdflib.collection import Collection
from rdflib.compare import isomorphic
from rdflib.term import Node

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
STATUS = {"OK": 200, "Created": 201, "NoContent": 204, "NotFound": 404}
RDF_PARSERS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
    "application/ld+json": "json-ld",
    "application/n-quads": "nquads",
    "application/trig": "trig",
}


@dataclass
class Step:
    method: str
    path: str
    headers: dict[str, str]
    body: str | None
    statuses: list[str]
    result_format: str | None = None
    boolean: bool | None = None
    location_template: str | None = None
    expected_body: str | None = None
    expected_type: str | None = None


@dataclass
class Case:
    name: str
    steps: list[Step]
    data: dict[str, Path] = field(default_factory=dict)
    """graph IRI -> file to load before the test."""


def _headers(graph: Graph, node: Node | None) -> dict[str, str]:
    if node is None:
        return {}
    return {
        str(graph.value(h, HT.fieldName)).lower(): str(graph.value(h, HT.fieldValue)) for h in Collection(graph, node)
    }


def _chars(graph: Graph, node: Node | None) -> str | None:
    return None if node is None else str(graph.value(node, CNT.chars))


def read_manifest(path: Path) -> list[Case]:
    graph = Graph().parse(path)
    manifest = graph.value(predicate=RDF.type, object=MF.Manifest)
    cases = []
    for entry in Collection(graph, graph.value(manifest, MF.entries)):
        action = graph.value(entry, MF.action)
        steps = []
        for request in Collection(graph, graph.value(action, HT.requests)):
            response = graph.value(request, HT.resp)
            boolean = graph.value(response, MF.expectedBoolean)
            location = graph.value(response, MF.expectedLocation)
            expected_headers = _headers(graph, graph.value(response, HT.headers))
            steps.append(
                Step(
                    method=str(graph.value(request, HT.methodName)),
                    path=str(graph.value(request, HT.absolutePath)),
                    headers=_headers(graph, graph.value(request, HT.headers)),
                    body=_chars(graph, graph.value(request, HT.body)),
                    statuses=[str(s).rsplit("#", 1)[-1] for s in graph.objects(response, MF.expectedStatus)],
                    result_format=str(graph.value(response, MF.expectedFormat) or "") or None,
                    boolean=None if boolean is None else bool(boolean.toPython()),
                    location_template=str(location) if location is not None else None,
                    expected_body=_chars(graph, graph.value(response, HT.body)),
                    expected_type=expected_headers.get("content-type"),
                )
            )
        data = {
            str(graph.value(d, RDFS.label)): path.parent / str(graph.value(d, UT.graph)).rsplit("/", 1)[-1]
            for d in graph.objects(entry, UT.graphData)
        }
        cases.append(Case(str(entry).rsplit("#", 1)[-1], steps, data))
    return cases


def status_matches(status: int, expected: list[str]) -> bool:
    for name in expected:
        if name.startswith("StatusCode") and str(status)[0] == name[len("StatusCode")]:
            return True
        if STATUS.get(name) == status:
            return True
    return False


class Runner:
    """Runs cases against a server at `base` (http://host:port) with a write token."""

    def __init__(self, base: str, token: str):
        parts = urlsplit(base)
        self.host, self.port, self.token = parts.hostname or "127.0.0.1", parts.port or 80, token

    def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            connection.putrequest(method, path, skip_accept_encoding=True)
            for name, value in {**headers, "authorization": f"Bearer {self.token}"}.items():
                connection.putheader(name, value)
            if body is not None:
                connection.putheader("content-length", str(len(body)))
            connection.endheaders(body)
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def reset(self) -> None:
        status, _h, body = self.request("POST", "/sparql", {"content-type": "application/sparql-update"}, b"CLEAR ALL")
        assert status == 204, body

    def load(self, graph: str, path: Path) -> None:
        status, _h, body = self.request(
            "PUT", f"/store?graph={quote(graph, safe='')}", {"content-type": "application/n-triples"}, path.read_bytes()
        )
        assert status in (201, 204), body

    def run(self, case: Case) -> list[str]:
        """The failures of one case (empty when it passes)."""
        self.reset()
        for graph, path in case.data.items():
            self.load(graph, path)
        failures: list[str] = []
        replacements: dict[str, str] = {}
        for number, step in enumerate(case.steps, 1):
            path, body = step.path, step.body
            for template, value in replacements.items():
                path = path.replace(template, value)
                body = body.replace(template, value) if body is not None else None
            path = path.replace("/sparql/", "/sparql", 1) if path.startswith("/sparql/") else path
            path = "/store" + path[len("/gsp") :] if path.startswith("/gsp") else path
            status, headers, content = self.request(
                step.method, path, step.headers, body.encode("utf-8") if body is not None else None
            )
            where = f"{case.name} step {number} ({step.method} {path})"
            if not status_matches(status, step.statuses):
                failures.append(f"{where}: status {status}, expected {step.statuses}: {content[:300]!r}")
                continue
            if step.location_template:
                if "location" not in headers:
                    failures.append(f"{where}: no Location header")
                    continue
                location = headers["location"]
                replacements[step.location_template] = location
            failures += self.check_content(where, step, headers, content)
        return failures

    def check_content(self, where: str, step: Step, headers: dict[str, str], content: bytes) -> list[str]:
        media = headers.get("content-type", "").split(";")[0].strip()
        if step.result_format == "boolean":
            if media not in ("application/sparql-results+json", "application/sparql-results+xml"):
                return [f"{where}: boolean result as {media}"]
            if media.endswith("json") and step.boolean is not None and json.loads(content)["boolean"] != step.boolean:
                return [f"{where}: boolean {content!r}, expected {step.boolean}"]
        if step.result_format == "tabular" and media not in (
            "application/sparql-results+json",
            "application/sparql-results+xml",
            "text/csv",
            "text/tab-separated-values",
        ):
            return [f"{where}: tabular result as {media}"]
        if step.result_format == "RDF":
            if media not in RDF_PARSERS:
                return [f"{where}: RDF result as {media}"]
            Graph().parse(data=content, format=RDF_PARSERS[media])
        if step.expected_type and media != step.expected_type.split(";")[0].strip():
            return [f"{where}: Content-Type {media}, expected {step.expected_type}"]
        if step.method == "HEAD" and content:
            return [f"{where}: HEAD answered with a body"]
        if step.expected_body is not None:
            expected = Graph().parse(
                data=step.expected_body,
                format=RDF_PARSERS[step.expected_type.split(";")[0]] if step.expected_type else "turtle",
            )
            found = Graph().parse(data=content, format=RDF_PARSERS.get(media, "turtle"))
            if not isomorphic(expected, found):
                return [f"{where}: the graph differs from the expected one: {content[:400]!r}"]
        return []
