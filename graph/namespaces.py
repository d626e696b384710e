"""The project's IRIs, written once: the base, the ontology and shapes namespaces, graph names and IRI
minting.

Everything that names an instance (`id/{kind}/{key}`) or a named graph (`graph/{name}`) calls the helpers
here, so that the base IRI appears in exactly one place. Namespaces and graph names are plain strings; `BL`,
the ontology's namespace as rdflib's `Namespace`, is made when first imported (`__getattr__`): rdflib takes a
tenth of a second to import, which a command that does not need it (a bulk load, before its checks) should
not wait for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

import pyoxigraph as ox

from graph.errors import RefusedInput

if TYPE_CHECKING:
    from rdflib import Namespace, URIRef

    BL: Namespace
    """Ontology terms (prefix ``bl:``) as rdflib terms: ``BL.Meeting``."""

BASE = "https://w3id.org/bilateral/"
ONTOLOGY_NAMESPACE = BASE + "ontology#"
SHAPES_NAMESPACE = BASE + "shapes#"
ID_NAMESPACE = BASE + "id/"
GRAPH_NAMESPACE = BASE + "graph/"

ONTOLOGY_GRAPH = GRAPH_NAMESPACE + "ontology"
SHAPES_GRAPH = GRAPH_NAMESPACE + "shapes"
COUNTRIES_GRAPH = GRAPH_NAMESPACE + "countries"
REFERENCE_GRAPH = GRAPH_NAMESPACE + "reference"
META_GRAPH = GRAPH_NAMESPACE + "meta"


def __getattr__(name: str) -> Namespace:
    """`BL`, made (and rdflib imported) by the first module that imports it."""
    if name != "BL":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from rdflib import Namespace

    made = globals()[name] = Namespace(ONTOLOGY_NAMESPACE)
    return made


RESERVED_GRAPHS = "urn:bilateral:"
"""Graph names kept for bilateral's own bookkeeping: the journal of loads in progress in the store
(`graph.bulk`), and the graphs validation stages beside the data it checks."""


MODEL_GRAPHS = (ONTOLOGY_GRAPH, SHAPES_GRAPH)
"""The ontology's and the shapes' graphs, which `bilateral init` writes from the release's files."""


def refuse_reserved(graphs: Iterable[str]) -> None:
    """Refuse a write into a graph named under RESERVED_GRAPHS: the store's journal would lose its data."""
    for graph in graphs:
        if graph.startswith(RESERVED_GRAPHS):
            raise RefusedInput(
                f"The graph name <{graph}> is reserved: names under {RESERVED_GRAPHS} are bilateral's own "
                "bookkeeping (its journal of loads, its validation); write into another graph."
            )


def refuse_unwritable(graphs: Iterable[str]) -> None:
    """Refuse a write into, or the emptying of, a reserved graph (`refuse_reserved`) or one of MODEL_GRAPHS:
    dropping the ontology's graph left every query over subclasses answering nothing, and the store
    looking uninitialized to the next `bilateral serve`, which loaded the seed facts again."""
    graphs = list(graphs)
    refuse_reserved(graphs)
    for graph in graphs:
        if graph in MODEL_GRAPHS:
            raise RefusedInput(
                f"The graph <{graph}> holds bilateral's {'ontology' if graph == MODEL_GRAPHS[0] else 'shapes'}, "
                "which `bilateral init` writes from the release's files: loads, updates and the Graph Store do "
                "not write into it or empty it. The model changes with a release of bilateral; facts go into "
                "graphs of their own."
            )


INSTANCE_KINDS = (
    "country",
    "person",
    "office",
    "holding",
    "event",
    "participation",
    "dyad",
    "dispute",
    "claim",
    "alliance",
    "membership",
    "organization",
    "place",
    "topic",
    "source",
)
"""The kinds of instance the ontology's data names, each with its prefix (``country:KOR`` is
``id/country/KOR``): SPARQL and Turtle cannot write ``id:country/KOR``, a ``/`` being no part of a prefixed name."""

PREFIXES: dict[str, str] = {
    "bl": ONTOLOGY_NAMESPACE,
    "blsh": SHAPES_NAMESPACE,
    "id": ID_NAMESPACE,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dct": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "time": "http://www.w3.org/2006/time#",
    "sem": "http://semanticweb.cs.vu.nl/2009/11/sem/",
    "schema": "https://schema.org/",
    "sh": "http://www.w3.org/ns/shacl#",
}
"""Prefixes offered to query writers (``bilateral query`` and the HTTP page) and used in reports."""
INSTANCE_PREFIXES = {kind: f"{ID_NAMESPACE}{kind}/" for kind in INSTANCE_KINDS}
"""The prefix of each kind of instance, offered to query writers beside PREFIXES. Reports name instances
whole, for the programs that read them."""

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~-]*$")


def _checked_key(kind: str, key: str) -> str:
    if not _KEY.match(key):
        raise ValueError(
            f"{kind} key {key!r} is not a valid identifier segment: use letters, digits, '.', '_', '~' or '-', "
            "starting with a letter or digit (for example 'lee-jae-myung')."
        )
    return key


def instance_iri(kind: str, key: str) -> URIRef:
    """The IRI of an instance, ``id/{kind}/{key}``.

    >>> instance_iri("country", "KOR")
    rdflib.term.URIRef('https://w3id.org/bilateral/id/country/KOR')
    """
    from rdflib import URIRef

    return URIRef(f"{ID_NAMESPACE}{_checked_key('kind', kind)}/{_checked_key(kind, key)}")


def graph_iri(name: str, key: str | None = None) -> str:
    """The IRI of a named graph, ``graph/{name}`` or ``graph/{name}/{key}``.

    >>> graph_iri("source", "korea-japan-2025-08")
    'https://w3id.org/bilateral/graph/source/korea-japan-2025-08'
    """
    _checked_key("graph", name)
    return GRAPH_NAMESPACE + (name if key is None else f"{name}/{_checked_key(name, key)}")


def graph_node(name: str) -> ox.NamedNode:
    """The node of a graph name that came from outside (a request, the command line): an absolute IRI,
    else RefusedInput. Checked before the name is used anywhere, a SPARQL text included.

    >>> graph_node("https://example.org/g/1")
    <NamedNode value=https://example.org/g/1>
    """
    try:
        return ox.NamedNode(name)
    except ValueError as error:
        raise RefusedInput(
            f"{name!r} is not a graph name: write an absolute IRI, such as https://example.org/graph/1 ({error})."
        ) from None


def slug(text: str) -> str:
    """A key made from free text: lower case, runs of other characters folded to '-'.

    >>> slug("Lee Jae Myung")
    'lee-jae-myung'
    """
    folded = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if not folded:
        raise ValueError(f"{text!r} has no letters or digits to make an identifier from; give a name.")
    return folded
