"""The W3C SPARQL 1.1 Protocol test suite (tests/conformance/sparql11-protocol), run against the real app.

Each manifest entry becomes one test: its data files are loaded into the named graphs it names, then
its HTTP requests are sent in order and checked against the expected status class, result format
and boolean. Tests that cannot pass by design (the public endpoint is read-only) are listed in
BY_DESIGN with the reason; for those the runner checks the refusal the endpoint promises instead.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from rdflib import RDF, RDFS, Graph, Namespace
from rdflib.collection import Collection

from app.sparql import GRAPH_MEDIA_TYPES, RESULT_MEDIA_TYPES
from tests.conftest import make_client

HERE = Path(__file__).parent / "conformance" / "sparql11-protocol"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")

_READ_ONLY = "the public endpoint is read-only: SPARQL Update is refused with 403 (curator updates are not on /sparql)"
BY_DESIGN = {name: _READ_ONLY for name in (
    "update_dataset_default_graph", "update_dataset_default_graphs", "update_dataset_named_graphs",
    "update_dataset_full", "update_post_form", "update_post_direct", "update_base_uri")}


def _manifest() -> tuple[Graph, list]:
    graph = Graph()
    graph.parse(HERE / "manifest.ttl", format="turtle", publicID=(HERE / "manifest.ttl").as_uri())
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    return graph, list(Collection(graph, graph.value(manifest, MF.entries)))


GRAPH, ENTRIES = _manifest()


def _name(entry) -> str:
    return str(entry).rsplit("#", 1)[1]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with make_client(tmp_path_factory.mktemp("conformance") / "store", load_sample_data=False) as test_client:
        yield test_client


def _requests(entry) -> list[dict]:
    g = GRAPH
    requests = []
    for node in Collection(g, g.value(g.value(entry, MF.action), HT.requests)):
        headers = {}
        if g.value(node, HT.headers) is not None:
            for header in Collection(g, g.value(node, HT.headers)):
                headers[str(g.value(header, HT.fieldName))] = str(g.value(header, HT.fieldValue))
        body = g.value(node, HT.body)
        content = None
        if body is not None:
            encoding = str(g.value(body, CNT.characterEncoding) or "UTF-8")
            content = str(g.value(body, CNT.chars)).encode(encoding)
        path = str(g.value(node, HT.absolutePath))
        assert path.startswith("/sparql/")
        response = g.value(node, HT.resp)
        requests.append({
            "method": str(g.value(node, HT.methodName)),
            "query": urlsplit(path).query,
            "headers": headers,
            "content": content,
            "status": {str(s).rsplit("#", 1)[1] for s in g.objects(response, MF.expectedStatus)},
            "boolean": g.value(response, MF.expectedBoolean),
            "format": g.value(response, MF.expectedFormat),
        })
    return requests


def _boolean(response) -> bool:
    media = response.headers["content-type"].split(";")[0]
    if media == "application/sparql-results+json":
        return json.loads(response.content)["boolean"]
    if media == "application/sparql-results+xml":
        node = ET.fromstring(response.content).find("{http://www.w3.org/2005/sparql-results#}boolean")
        return node.text.strip() == "true"
    raise AssertionError(f"no boolean result format: {media}")


def _check(response, expected: dict) -> None:
    status_class = f"StatusCode{response.status_code // 100}xx"
    assert status_class in expected["status"], (response.status_code, response.text[:500])
    media = response.headers.get("content-type", "").split(";")[0]
    fmt = str(expected["format"]) if expected["format"] is not None else None
    if fmt == "boolean":
        assert media in ("application/sparql-results+json", "application/sparql-results+xml")
    elif fmt == "tabular":
        assert media in RESULT_MEDIA_TYPES
    elif fmt == "RDF":
        assert media in GRAPH_MEDIA_TYPES
        Graph().parse(data=response.content, format={"text/turtle": "turtle", "application/n-triples": "nt",
                                                     "application/ld+json": "json-ld",
                                                     "application/rdf+xml": "xml"}[media])
    if expected["boolean"] is not None:
        assert _boolean(response) is expected["boolean"].toPython()
    if response.status_code >= 400:
        assert media == "application/problem+json"


@pytest.mark.parametrize("entry", ENTRIES, ids=_name)
def test_protocol(client, entry) -> None:
    store = client.app.state.store
    for data in GRAPH.objects(entry, UT.graphData):
        path = Path(urlsplit(str(GRAPH.value(data, UT.graph))).path)
        with open(HERE / path.name, "rb") as stream:
            store.load(stream, "application/n-triples", graph=str(GRAPH.value(data, RDFS.label)))
    requests = _requests(entry)
    if _name(entry) in BY_DESIGN:
        first = requests[0]
        response = client.request(first["method"], "/sparql", params=first["query"] or None,
                                  headers=first["headers"], content=first["content"])
        assert response.status_code == 403, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        return
    for request in requests:
        response = client.request(request["method"], "/sparql", params=request["query"] or None,
                                  headers=request["headers"], content=request["content"])
        _check(response, request)


def test_manifest_has_all_tests() -> None:
    assert len(ENTRIES) == 34
