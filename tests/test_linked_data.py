"""Platform IRIs dereference with content negotiation; the VoID description counts each dataset."""

from __future__ import annotations

import json

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from tests.conftest import BASE, make_client, place

VOID = "http://rdfs.org/ns/void#"


@pytest.mark.parametrize(("accept", "fmt"), [("text/turtle", "turtle"), ("application/ld+json", "json-ld"),
                                             ("application/n-triples", "nt"), ("application/rdf+xml", "xml"),
                                             ("*/*", "turtle")])
def test_place_as_rdf(client, accept, fmt) -> None:
    response = client.get("/id/place/rm-7032", headers={"accept": accept})
    assert response.status_code == 200
    assert "Accept" in response.headers["vary"].split(", ")
    assert 'rel="alternate"; type="application/ld+json"' in response.headers["link"]
    graph = Graph().parse(data=response.content, format=fmt)
    assert (URIRef(place(7032)), URIRef("http://www.w3.org/2000/01/rdf-schema#label"),
            Literal("Kerk, Geawei 15, Augustinusga", lang="nl")) in graph
    # what links to it comes along: the story about the village churches
    assert URIRef(BASE + "id/story/dorpskerken-van-achtkarspelen") in set(graph.subjects())


@pytest.mark.parametrize("request_", [{"headers": {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}},
                                      {"params": {"format": "html"}}])
def test_place_iri_sends_browsers_to_the_place_page(client, request_) -> None:
    """A browser at a place's IRI is sent (303 See Other) to the place's page, its one shareable URL."""
    response = client.get("/id/place/rm-7032", follow_redirects=False, **request_)
    assert response.status_code == 303
    assert response.headers["location"] == "http://testserver/place/rm-7032"
    assert "Accept" in response.headers["vary"].split(", ")
    page = client.get(response.headers["location"])
    assert page.status_code == 200 and "<h1>Kerk, Geawei 15, Augustinusga</h1>" in page.text
    # the page names itself, in every kind of metadata, by the URL the browser was sent to
    assert f'<link rel="canonical" href="{response.headers["location"]}">' in page.text
    assert f'<meta property="og:url" content="{response.headers["location"]}">' in page.text
    assert client.get("/id/place/rm-0", headers={"accept": "text/html"}, follow_redirects=False).status_code == 404


def test_resource_page(client) -> None:
    """Other kinds of resource have the generic Linked Data page."""
    response = client.get("/id/story/dorpskerken-van-achtkarspelen", headers={"accept": "text/html,*/*;q=0.8"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    text = response.text
    assert "<h1>Dorpskerken van Achtkarspelen</h1>" in text
    assert 'href="/id/place/rm-7032"' in text  # a browser following it is sent to the place page
    assert 'rel="alternate" type="text/turtle"' in text


@pytest.mark.parametrize("path", ["/id/type/kerk-en-kerkonderdeel", "/id/institution/pvb-redactie",
                                  "/id/dataset/cht", "/id/story/dorpskerken-van-achtkarspelen",
                                  "/id/collection/erfgoed-augustinusga"])
def test_other_kinds_dereference(client, path) -> None:
    response = client.get(path, headers={"accept": "text/turtle"})
    assert response.status_code == 200
    assert URIRef(BASE + path[1:]) in set(Graph().parse(data=response.text, format="turtle").subjects())
    assert client.get(path, headers={"accept": "text/html"}).status_code == 200


def test_format_parameter_and_errors(client) -> None:
    response = client.get("/id/place/rm-7032", params={"format": "jsonld"})
    assert response.headers["content-type"].startswith("application/ld+json")
    json.loads(response.text)
    for path, headers, status in [("/id/place/rm-0", {}, 404), ("/id/place/rm-7032", {"accept": "image/png"}, 406),
                                  ("/id/Bad Kind/x", {}, 404), ("/id/place/rm-7032?format=xls", {}, 406)]:
        response = client.get(path, headers=headers)
        assert response.status_code == status
        assert response.headers["content-type"] == "application/problem+json"


def test_private_statements_never_reach_a_page(fresh_store) -> None:
    with make_client(fresh_store) as private_client:
        private_client.app.state.store.update(
            f'INSERT DATA {{ GRAPH <urn:pvb:private:x> {{ <{place(7032)}> <urn:pvb:secret> "hidden-value" . '
            f'<{BASE}id/place/only-private> <urn:pvb:secret> "hidden-value" . }} }}')
        for accept in ("text/html", "text/turtle"):
            response = private_client.get("/id/place/rm-7032", headers={"accept": accept})
            assert response.status_code == 200 and "hidden-value" not in response.text
        assert private_client.get("/id/place/only-private").status_code == 404
        assert "urn:pvb:private" not in private_client.get("/.well-known/void").text


def test_void(client) -> None:
    response = client.get("/.well-known/void", headers={"accept": "text/turtle"})
    assert response.status_code == 200
    graph = Graph().parse(data=response.text, format="turtle")
    whole = URIRef(BASE + ".well-known/void#dataset")
    subsets = set(graph.objects(whole, URIRef(VOID + "subset")))
    monuments = URIRef(BASE + "id/dataset/rce-monuments")
    assert monuments in subsets and len(subsets) == 3
    assert (whole, URIRef(VOID + "sparqlEndpoint"), URIRef(BASE + "sparql")) in graph
    triples = int(graph.value(monuments, URIRef(VOID + "triples")))
    subjects = int(graph.value(monuments, URIRef(VOID + "distinctSubjects")))
    classes = int(graph.value(monuments, URIRef(VOID + "classes")))
    assert triples > 100_000 and subjects > 8025 * 2 and classes >= 4
    assert (monuments, RDF.type, URIRef(VOID + "Dataset")) in graph
    # the numbers agree with the endpoint
    count = client.get("/sparql", params={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{monuments}> "
                                                   "{ ?s ?p ?o } }"}).json()["results"]["bindings"][0]["n"]["value"]
    assert int(count) == triples
    assert client.get("/.well-known/void", params={"format": "jsonld"}).status_code == 200
