"""RDF and SPARQL results formats: names people type, media types, and the Oxigraph format objects.

Formats are resolved by Oxigraph's own registry (`RdfFormat.from_extension`, `from_media_type`, and the same
for `QueryResultsFormat`); the only table here is a handful of long names people expect to type.
"""

from __future__ import annotations

from pathlib import Path

from pyoxigraph import QueryResultsFormat, RdfFormat

from graph.errors import UnsupportedFormat

_ALIASES = {
    "turtle": "ttl",
    "ntriples": "nt",
    "n-triples": "nt",
    "nquads": "nq",
    "n-quads": "nq",
    "json-ld": "jsonld",
    "rdfxml": "rdf",
    "rdf/xml": "rdf",
    "owl": "rdf",
}

RDF_NAMES = "turtle, ntriples, nquads, trig, jsonld, rdfxml"
RESULTS_NAMES = "json, xml, csv, tsv"


def rdf_format(name: str) -> RdfFormat:
    """An RDF serialization from a short name, a file extension or a media type.

    >>> rdf_format("turtle").media_type, rdf_format("application/n-quads").name
    ('text/turtle', 'N-Quads')
    """
    key = name.strip().lower()
    found = RdfFormat.from_media_type(key) if "/" in key and key not in _ALIASES else None
    found = found or RdfFormat.from_extension(_ALIASES.get(key, key).lstrip("."))
    if found is None or found == RdfFormat.N3:
        raise UnsupportedFormat(f"{name!r} is not an RDF format read or written here; use one of {RDF_NAMES}.")
    return found


def results_format(name: str) -> QueryResultsFormat:
    """A SPARQL results serialization from a short name, an extension or a media type.

    >>> results_format("json").media_type
    'application/sparql-results+json'
    """
    key = name.strip().lower()
    found = QueryResultsFormat.from_media_type(key) if "/" in key else QueryResultsFormat.from_extension(key)
    if found is None:
        raise UnsupportedFormat(f"{name!r} is not a SPARQL results format; use one of {RESULTS_NAMES}.")
    return found


def rdf_format_for_path(path: Path, given: str | None = None) -> RdfFormat:
    """The format of a file: the one given, else the one its extension names (before a `.gz`)."""
    if given:
        return rdf_format(given)
    name = path.stem if path.suffix.lower() == ".gz" else path.name  # data.nt.gz: .nt
    suffix = Path(name).suffix.lstrip(".")
    if not suffix:
        raise UnsupportedFormat(
            f"{path} has no file extension to tell its format from; rename it (.ttl, .nt, .nq, .trig, "
            ".jsonld, .rdf, each optionally followed by .gz) or pass --format."
        )
    try:
        return rdf_format(suffix)
    except UnsupportedFormat:
        raise UnsupportedFormat(
            f"{path}: the extension .{suffix} names no RDF format read here; use .ttl, .nt, .nq, .trig, "
            ".jsonld or .rdf (gzipped: .nt.gz and so on), or pass --format."
        ) from None


def is_results_format(name: str) -> bool:
    """Whether a name denotes a SPARQL results format rather than an RDF one."""
    try:
        results_format(name)
    except UnsupportedFormat:
        return False
    return True
