"""The public endpoint on every store backend: the dataset parameters reach a remote store too."""

from __future__ import annotations

from tests.conftest import place


def test_endpoint_on_each_backend(client, backend) -> None:
    query = f"SELECT ?label WHERE {{ <{place(7032)}> <http://www.w3.org/2000/01/rdf-schema#label> ?label }}"
    response = client.get("/sparql", params={"query": query})
    assert response.status_code == 200, response.text
    assert "Geawei 15" in response.text
    ask = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
    assert ask.status_code == 200 and ask.json()["boolean"] is True, ask.text
    # a private graph named as the default graph is simply not in the dataset
    empty = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }", "default-graph-uri": "urn:pvb:private:x"})
    assert empty.json()["boolean"] is False
    described = client.get("/id/place/rm-7032", headers={"accept": "text/turtle"})
    assert described.status_code == 200 and "Geawei 15" in described.text
    construct = client.get("/sparql", params={"query": f"CONSTRUCT WHERE {{ <{place(7032)}> ?p ?o }}"},
                           headers={"accept": "application/n-triples"})
    assert construct.status_code == 200 and f"<{place(7032)}>" in construct.text, construct.text
