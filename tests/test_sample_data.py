"""The committed sample data conforms to the shapes; broken places do not."""

from pathlib import Path

import pytest
from pyshacl import validate
from rdflib import Graph

from app.loading import open_rdf

ROOT = Path(__file__).resolve().parents[1]
BASE = "http://localhost:8000/"


@pytest.fixture(scope="module")
def shapes():
    return Graph().parse(ROOT / "ontology" / "shapes.ttl")


@pytest.fixture(scope="module")
def sample():
    graph = Graph()
    for name in ("rce-monuments.ttl.gz", "cht.ttl.gz", "sample-context.ttl"):
        with open_rdf(ROOT / "data" / name) as f:
            graph.parse(data=f.read().decode(), format="turtle", publicID=BASE)
    return graph


def test_sample_data_conforms_to_the_shapes(sample, shapes):
    conforms, _, report = validate(sample, shacl_graph=shapes, inference="none")
    assert conforms, report[:3000]


def test_the_ontology_parses_and_declares_the_platform_classes():
    graph = Graph().parse(ROOT / "ontology" / "pvb.ttl")
    classes = {str(s) for s in graph.subjects(predicate=None, object=None) if "w3id.org/pvb/ns#" in str(s)}
    for name in ("HeritagePlace", "Story", "Collection", "Source", "Institution", "HeritageObject"):
        assert f"https://w3id.org/pvb/ns#{name}" in classes


@pytest.mark.parametrize("broken", [
    '<urn:p> geo:lat "95"^^xsd:double ; geo:long "6"^^xsd:double ; rdfs:label "Too far north" .',
    '<urn:p> geo:lat "53"^^xsd:double ; geo:long "6"^^xsd:double .',
    '<urn:p> geo:lat "53"^^xsd:double ; rdfs:label "No longitude" .',
    '<urn:p> geo:lat "north"; geo:long "6"^^xsd:double ; rdfs:label "Text latitude" .',
    '_:b geo:lat "53"^^xsd:double ; geo:long "6"^^xsd:double ; rdfs:label "No IRI" .',
])
def test_broken_places_do_not_conform(shapes, broken):
    data = Graph().parse(data="""@prefix geo: <http://www.w3.org/2003/01/geo/wgs84_pos#> .
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> . @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        """ + broken, format="turtle")
    conforms, _, _ = validate(data, shacl_graph=shapes, inference="none")
    assert not conforms
