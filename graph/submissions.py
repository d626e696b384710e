"""Fact submissions: checked in context, stored whole in their own graph with their record, or refused.

A submission is staged data plus who sent it and the source it cites. It is validated together with what the
store knows about the nodes it mentions; violations refuse it with nothing written. Accepted facts go into
`graph/submission/{id}` and their record (submitter, time, source, content hash, comment, warnings) into
`graph/meta`, in one update guarded by the content hash: the same facts sent twice are recognised, also
when the two arrive at once, and answered with the first submission. A curator's retraction removes the
facts from the served graphs and keeps them, as N-Triples text, in the record.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.namespace import DCTERMS, PROV, XSD

from graph.errors import InputError, NotFound, ValidationFailed
from graph.namespaces import BL, META_GRAPH, graph_iri, instance_iri
from graph.parsing import Staged
from graph.report import ValidationReport
from graph.store import Store
from graph.validation import Validator

_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$")
_WEB_URL = re.compile(r"^https?://[^\s/<>\"{}|\\^`?#]+[^\s<>\"{}|\\^`]*$", re.IGNORECASE)
"""The address of a page a cited source is minted for: http or https, with a host, nothing an IRI cannot hold."""


class MissingSource(InputError):
    """A submission that cites no source and does not describe one."""


@dataclass(frozen=True)
class SourceCitation:
    """What a submission cites: a source IRI, or a title and URL from which one is minted."""

    iri: str | None = None
    title: str | None = None
    url: str | None = None


@dataclass
class Submission:
    id: str
    graph: str
    submitter: str
    source: str
    created: str
    content_hash: str
    status: str = "accepted"
    comment: str | None = None
    warnings: list[str] = field(default_factory=list)
    quads: int = 0
    retracted_by: str | None = None
    retracted_at: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "graph": self.graph,
            "status": self.status,
            "submitter": self.submitter,
            "source": self.source,
            "created": self.created,
            "contentHash": self.content_hash,
            "comment": self.comment,
            "warnings": self.warnings,
            "triples": self.quads,
            "retractedBy": self.retracted_by,
            "retractedAt": self.retracted_at,
        }


@dataclass(frozen=True)
class Outcome:
    submission: Submission
    created: bool
    report: ValidationReport | None


def content_hash(data: Graph) -> str:
    """SHA-256 of the facts in canonical N-Triples: blank node labels and order do not matter."""
    canonical = to_canonical_graph(data) if any(isinstance(t, BNode) for triple in data for t in triple) else data
    lines = sorted(canonical.serialize(format="nt", encoding="utf-8").decode("utf-8").splitlines())
    return hashlib.sha256("\n".join(line for line in lines if line).encode("utf-8")).hexdigest()


_IRI = "its IRI (source= over HTTP, --source on the command line)"
_TITLE_AND_URL = "its title and URL (source_title= and source_url=; --source-title and --source-url)"


def _described_as_source(data: Graph, node: URIRef) -> bool:
    return (node, RDF.type, BL.Source) in data or (node, RDF.type, BL.NewsArticle) in data


def _source_of(store: Store, data: Graph, citation: SourceCitation) -> tuple[URIRef, Graph]:
    """The source IRI and any triples that describe a minted source. A cited IRI must name a source the
    data describes or the store holds: provenance that points nowhere is refused."""
    extra = Graph()
    if citation.iri:
        if not _ABSOLUTE_IRI.match(citation.iri):
            raise InputError(
                f"source={citation.iri!r} is not an absolute IRI; give one such as "
                f"https://w3id.org/bilateral/id/source/seed-000, or {_TITLE_AND_URL}."
            )
        known = f"ASK {{ <{citation.iri}> a/<{RDFS.subClassOf}>* <{BL.Source}> }}"
        if not _described_as_source(data, URIRef(citation.iri)) and not store.ask(known):
            raise MissingSource(
                f"source=<{citation.iri}> is not a source this graph holds: cite one it does (the sources "
                f"are listed on the home page), describe it in the data as a bl:Source, or give {_TITLE_AND_URL} "
                "instead."
            )
        return URIRef(citation.iri), extra
    if citation.url or citation.title:
        if not (citation.url and citation.title):
            raise MissingSource(f"A cited source needs both a title and a URL (or give {_IRI}).")
        if not _WEB_URL.match(citation.url):
            raise InputError(
                f"The source's URL {citation.url!r} (source_url=, --source-url) is not the http(s) address of a "
                "page; give the article's URL as "
                'a browser shows it, such as https://www.example.com/news/1 (spaces and <>"{}|\\^` written '
                "%-encoded), or cite a source the graph holds with " + _IRI + "."
            )
        iri = instance_iri("source", "web-" + hashlib.sha256(citation.url.encode()).hexdigest()[:16])
        extra.add((iri, RDF.type, BL.Source))
        extra.add((iri, DCTERMS.title, Literal(citation.title)))
        extra.add((iri, RDFS.seeAlso, URIRef(citation.url)))
        return iri, extra
    described = sorted(
        s for s in data.subjects(RDF.type, None) if isinstance(s, URIRef) and _described_as_source(data, s)
    )
    if len(described) == 1:
        return described[0], extra
    raise MissingSource(
        f"The submission names no source: give {_IRI}, or {_TITLE_AND_URL}, or describe exactly one "
        "bl:Source in the data."
    )


def submit(
    store: Store,
    staged: Staged,
    *,
    submitter: str,
    citation: SourceCitation,
    comment: str | None = None,
    validator: Validator | None = None,
) -> Outcome:
    """Validate and store a submission; raise ValidationFailed (nothing written) or MissingSource."""
    data = staged.to_rdflib()
    if len(data) == 0:
        raise InputError("The submission holds no triples.")
    source, source_facts = _source_of(store, data, citation)
    digest = content_hash(data)
    existing = find_by_hash(store, digest)
    if existing is not None:
        existing.quads = store.count(existing.graph)
        return Outcome(existing, False, None)
    report = (validator or Validator()).validate_staged(staged, store)
    if not report.conforms:
        raise ValidationFailed(report, source="the submission")
    key = uuid.uuid4().hex[:16]
    graph = URIRef(graph_iri("submission", key))
    created = datetime.now(UTC).replace(microsecond=0).isoformat()
    record = Graph()
    record.add((graph, RDF.type, BL.Submission))
    record.add((graph, BL.submissionId, Literal(key)))
    record.add((graph, BL.submittedBy, Literal(submitter)))
    record.add((graph, PROV.generatedAtTime, Literal(created, datatype=XSD.dateTime)))
    record.add((graph, PROV.wasDerivedFrom, source))
    record.add((graph, BL.submissionHash, Literal(digest)))
    record.add((graph, BL.submissionStatus, BL.Accepted))
    if comment:
        record.add((graph, RDFS.comment, Literal(comment)))
    warnings = [f"{w.severity}: {w.message} (focus {w.focus_node}, shape {w.shape})" for w in report.warnings]
    for warning in warnings:
        record.add((graph, BL.warningMessage, Literal(warning)))
    guarded_insert(store, str(graph), [data, source_facts], record, digest)
    stored = find_by_hash(store, digest)
    if stored is None:
        raise InputError("The submission could not be recorded; try again.")
    stored.quads = store.count(stored.graph)
    return Outcome(stored, stored.id == key, report)


def guarded_insert(store: Store, graph: str, facts: list[Graph], record: Graph, digest: str) -> None:
    """Insert facts and record in one update that does nothing if the hash is already recorded."""
    facts_text = "".join(part.serialize(format="nt", encoding="utf-8").decode("utf-8") for part in facts)
    record_text = record.serialize(format="nt", encoding="utf-8").decode("utf-8")
    store.update(
        f"INSERT {{ GRAPH <{graph}> {{\n{facts_text}\n}} GRAPH <{META_GRAPH}> {{\n{record_text}\n}} }}\n"
        f"WHERE {{ FILTER NOT EXISTS {{ GRAPH <{META_GRAPH}> {{ ?s <{BL.submissionHash}> {Literal(digest).n3()} ; "
        f"<{BL.submissionStatus}> <{BL.Accepted}> }} }} }}"
    )


_RECORD = f"""
SELECT ?g ?id ?who ?when ?source ?hash ?status ?comment ?by ?at
       (GROUP_CONCAT(DISTINCT ?warning; separator="\\u001f") AS ?warnings) WHERE {{
  GRAPH <{META_GRAPH}> {{
    ?g a <{BL.Submission}> ; <{BL.submissionId}> ?id ; <{BL.submittedBy}> ?who ; <{PROV.generatedAtTime}> ?when ;
       <{PROV.wasDerivedFrom}> ?source ; <{BL.submissionHash}> ?hash ; <{BL.submissionStatus}> ?status .
    OPTIONAL {{ ?g <{RDFS.comment}> ?comment }} OPTIONAL {{ ?g <{BL.warningMessage}> ?warning }}
    OPTIONAL {{ ?g <{BL.retractedBy}> ?by ; <{BL.retractedAt}> ?at }}
  }}
  FILTER_HERE
}} GROUP BY ?g ?id ?who ?when ?source ?hash ?status ?comment ?by ?at ORDER BY DESC(?when) ?id"""


def _records(store: Store, condition: str, limit: int | None = None, offset: int = 0) -> list[Submission]:
    query = _RECORD.replace("FILTER_HERE", condition)
    if limit is not None:
        query += f" LIMIT {limit} OFFSET {offset}"
    found = []
    for row in store.select(query).dicts():
        warnings = str(row.get("warnings", "")).split("\u001f") if row.get("warnings") else []
        found.append(
            Submission(
                id=str(row["id"]),
                graph=str(row["g"]),
                submitter=str(row["who"]),
                source=str(row["source"]),
                created=str(row["when"]),
                content_hash=str(row["hash"]),
                status="retracted" if row["status"] == BL.Retracted else "accepted",
                comment=str(row["comment"]) if "comment" in row else None,
                warnings=warnings,
                retracted_by=str(row["by"]) if "by" in row else None,
                retracted_at=str(row["at"]) if "at" in row else None,
            )
        )
    return found


def find_by_hash(store: Store, digest: str) -> Submission | None:
    found = _records(store, f"FILTER (?hash = {Literal(digest).n3()} && ?status = <{BL.Accepted}>)")
    return found[0] if found else None


def get_submission(store: Store, key: str) -> Submission:
    found = _records(store, f"FILTER (?id = {Literal(key).n3()})")
    if not found:
        raise NotFound(f"There is no submission {key!r}; list them with GET /submissions.")
    submission = found[0]
    if submission.status == "accepted":
        submission.quads = store.count(submission.graph)
    return submission


def list_submissions(store: Store, *, limit: int = 50, offset: int = 0) -> list[Submission]:
    return _records(store, "", limit=limit, offset=offset)


def retract(store: Store, key: str, *, curator: str) -> Submission:
    """Take a submission's facts out of the served graphs, keeping them as text in its record."""
    submission = get_submission(store, key)
    if submission.status == "retracted":
        return submission
    facts = store.read_graph(submission.graph) if store.has_graph(submission.graph) else Graph()
    archived = facts.serialize(format="nt", encoding="utf-8").decode("utf-8")
    when = datetime.now(UTC).replace(microsecond=0).isoformat()
    graph = URIRef(submission.graph)
    store.update(
        f"DROP SILENT GRAPH <{graph}> ;\n"
        f"DELETE DATA {{ GRAPH <{META_GRAPH}> {{ <{graph}> <{BL.submissionStatus}> <{BL.Accepted}> }} }} ;\n"
        f"INSERT DATA {{ GRAPH <{META_GRAPH}> {{ <{graph}> <{BL.submissionStatus}> <{BL.Retracted}> ; "
        f"<{BL.retractedBy}> {Literal(curator).n3()} ; "
        f"<{BL.retractedAt}> {Literal(when, datatype=XSD.dateTime).n3()} ; "
        f"<{BL.archivedContent}> {Literal(archived).n3()} }} }}"
    )
    return get_submission(store, key)
