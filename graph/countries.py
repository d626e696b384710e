"""The reference data for states: every ISO 3166-1 country, built from `pycountry` when the store is made.

Codes are strings (alpha-2, alpha-3, numeric with its leading zeros). Wikidata items come from the public-domain
country-codes crosswalk (datahub.io `country-codes`, ODC-PDDL-1.0), kept in `graph/data/country-crosswalk.csv`,
which also says which entries are independent states (`bl:State`) rather than territories (`bl:Country` only).
"""

from __future__ import annotations

import csv
from functools import lru_cache

import pycountry
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from graph.namespaces import BL, instance_iri
from graph.resources import data_dir

WD = Namespace("http://www.wikidata.org/entity/")
ISO_SOURCE = instance_iri("source", "iso-3166-1")


@lru_cache(maxsize=1)
def crosswalk() -> dict[str, dict[str, str]]:
    """Rows of the crosswalk (wikidata, independent) by ISO alpha-3 code."""
    with (data_dir() / "country-crosswalk.csv").open(encoding="utf-8") as handle:
        lines = (line for line in handle if not line.startswith("#"))
        return {row["alpha3"]: row for row in csv.DictReader(lines)}


def country_iri(alpha3: str) -> URIRef:
    """The IRI of a state from its ISO 3166-1 alpha-3 code.

    >>> country_iri("KOR")
    rdflib.term.URIRef('https://w3id.org/bilateral/id/country/KOR')
    """
    return instance_iri("country", alpha3.upper())


def countries_graph() -> Graph:
    """Every ISO 3166-1 entry as a `bl:Country` (and `bl:State` when independent), with codes, names, Wikidata."""
    graph = Graph()
    rows = crosswalk()
    for entry in pycountry.countries:
        node = country_iri(entry.alpha_3)
        row = rows.get(entry.alpha_3, {})
        graph.add((node, RDF.type, BL.State if row.get("independent") == "yes" else BL.Country))
        graph.add((node, RDFS.label, Literal(entry.name, lang="en")))
        official = getattr(entry, "official_name", None)
        if official:
            graph.add((node, BL.officialName, Literal(official, lang="en")))
        common = getattr(entry, "common_name", None)
        if common:
            graph.add((node, SKOS.altLabel, Literal(common, lang="en")))
        graph.add((node, BL.iso3166Alpha2, Literal(entry.alpha_2)))
        graph.add((node, BL.iso3166Alpha3, Literal(entry.alpha_3)))
        graph.add((node, BL.iso3166Numeric, Literal(entry.numeric)))
        graph.add((node, BL.source, ISO_SOURCE))
        if row.get("wikidata"):
            graph.add((node, SKOS.exactMatch, WD[row["wikidata"]]))
    return graph
