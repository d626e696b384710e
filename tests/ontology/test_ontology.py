"""The ontology files: they parse, every term carries its label, definition and isDefinedBy, the header is
complete, each alignment file maps to its own vocabulary, and the CAMEO scheme keeps its codes as strings
with Goldstein scores as numbers. The curated data conforms to the shapes under RDFS inference."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, SKOS, XSD

from graph.countries import countries_graph
from graph.loading import bundled_files, stage_files
from graph.namespaces import BL
from graph.parsing import Staged, stage
from graph.resources import ontology_dir
from graph.validation import Validator

ONTOLOGY = URIRef("https://w3id.org/bilateral/ontology")
VANN = Namespace("http://purl.org/vocab/vann/")
CAMEO = Namespace("https://w3id.org/bilateral/ontology/cameo/")
ALIGNMENTS = {
    "align-sem.ttl": "http://semanticweb.cs.vu.nl/2009/11/sem/",
    "align-prov.ttl": "http://www.w3.org/ns/prov#",
    "align-time.ttl": "http://www.w3.org/2006/time#",
    "align-schema.ttl": "https://schema.org/",
    "align-org.ttl": "http://www.w3.org/ns/org#",
    "align-wikidata.ttl": "http://www.wikidata.org/",
}


@pytest.fixture(scope="module")
def core() -> Graph:
    return Graph().parse(ontology_dir() / "bilateral.ttl")


def terms(graph: Graph) -> set[URIRef]:
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.NamedIndividual, OWL.AnnotationProperty)
    return {s for k in kinds for s in graph.subjects(RDF.type, k) if isinstance(s, URIRef) and s.startswith(BL)}


def test_the_core_defines_the_model(core: Graph) -> None:
    found = terms(core)
    classes = {s for s in found if (s, RDF.type, OWL.Class) in core}
    assert len(classes) >= 40 and len(found) >= 100
    for name in (
        "State",
        "InternationalOrganization",
        "Person",
        "Office",
        "OfficeHolding",
        "Summit",
        "Visit",
        "SidelinesMeeting",
        "Briefing",
        "PolicyAnnouncement",
        "Participation",
        "Dispute",
        "Alliance",
        "Membership",
        "Dyad",
        "AgendaItem",
        "ExpectedOutcome",
        "Recommendation",
        "NewsArticle",
    ):
        assert BL[name] in classes, name


def test_every_term_has_label_definition_and_is_defined_by(core: Graph) -> None:
    missing = []
    for term in sorted(terms(core)):
        labels = [o for o in core.objects(term, RDFS.label) if isinstance(o, Literal) and o.language == "en"]
        definitions = [o for o in core.objects(term, SKOS.definition) if isinstance(o, Literal) and o.language == "en"]
        if not labels or not definitions or (term, RDFS.isDefinedBy, ONTOLOGY) not in core:
            missing.append(str(term))
    assert missing == []


def test_the_header_is_complete(core: Graph) -> None:
    for predicate in (
        OWL.versionIRI,
        OWL.versionInfo,
        DCTERMS.title,
        DCTERMS.description,
        DCTERMS.created,
        DCTERMS.modified,
        DCTERMS.license,
        VANN.preferredNamespacePrefix,
    ):
        assert core.value(ONTOLOGY, predicate) is not None, predicate
    assert str(core.value(ONTOLOGY, VANN.preferredNamespacePrefix)) == "bl"


@pytest.mark.parametrize("name", sorted(ALIGNMENTS))
def test_each_alignment_maps_bl_terms_to_its_vocabulary(name: str, core: Graph) -> None:
    graph = Graph().parse(ontology_dir() / name)
    mapped = [
        (s, o)
        for s, _p, o in graph
        if isinstance(s, URIRef) and s.startswith(BL) and str(o).startswith(ALIGNMENTS[name])
    ]
    assert mapped, f"{name} maps nothing to {ALIGNMENTS[name]}"
    assert {s for s, _o in mapped} <= terms(core) | {BL[""]}, "alignments only mention terms the core defines"


def test_wikidata_alignment_names_the_properties_and_the_states_their_items() -> None:
    graph = Graph().parse(ontology_dir() / "align-wikidata.ttl")
    matches = (SKOS.exactMatch, SKOS.closeMatch, SKOS.relatedMatch)
    targets = {str(o).rsplit("/", 1)[-1] for m in matches for o in graph.objects(None, m)}
    assert {"P35", "P6", "P530", "P710"} <= targets
    countries = countries_graph()
    items = {
        str(s).rsplit("/", 1)[-1]: str(o).rsplit("/", 1)[-1] for s, o in countries.subject_objects(SKOS.exactMatch)
    }
    assert (items["KOR"], items["JPN"], items["USA"]) == ("Q884", "Q17", "Q30")


def test_cameo_codes_are_strings_and_goldstein_scores_numbers() -> None:
    graph = Graph().parse(ontology_dir() / "cameo.ttl")
    expected = {"042": 1.9, "043": 2.8, "044": 2.5, "036": 4.0}
    for code, score in expected.items():
        concept = CAMEO[code]
        assert graph.value(concept, BL.cameoCode) == Literal(code)
        goldstein = graph.value(concept, BL.goldstein)
        assert isinstance(goldstein, Literal) and goldstein.datatype in (XSD.decimal, XSD.double)
        assert float(goldstein) == score
    assert len(set(graph.subjects(RDF.type, SKOS.Concept))) > 250


def test_curated_data_conforms_under_rdfs_inference() -> None:
    staged = Staged()
    for path, graph in bundled_files():
        stage(path, graph=graph, into=staged)
    data = staged.to_rdflib() + countries_graph()
    report = Validator(inference="rdfs").validate(data)
    assert report.conforms, report.text()
    assert [r.shape for r in report.warnings] == ["blsh:HoldingStartKnownShape"]


def test_seed_files_parse(tmp_path: Path) -> None:
    staged = stage_files([p for p, _g in bundled_files() if p.suffix == ".trig"])
    assert {g.rsplit("/", 2)[-2] + "/" + g.rsplit("/", 1)[-1] for g in staged.graph_names()} >= {
        "source/seed-000",
        "source/seed-001",
    }
