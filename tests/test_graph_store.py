"""Graph Store Protocol for curators: their institution's graphs only; spatial cells follow writes."""

from __future__ import annotations

from tests.conftest import BASE, create_user

CONTEXT = BASE + "id/dataset/sample-context"
NEW_PLACE = f"""@prefix geo: <http://www.w3.org/2003/01/geo/wgs84_pos#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<{BASE}id/place/gsp-test> rdfs:label "Graph store test place"@en ;
    geo:lat 53.3e0 ; geo:long 6.9e0 .
"""
TTL = {"content-type": "text/turtle"}


def test_curator_writes_only_their_institutions_graphs(writable_client) -> None:
    client = writable_client
    auth = create_user(client, "curator-one", role="curator", institution="pvb-redactie")
    assert client.put("/rdf-graph-store", params={"graph": CONTEXT}, content=NEW_PLACE, headers=TTL).status_code == 401
    response = client.put("/rdf-graph-store", params={"graph": CONTEXT}, content=NEW_PLACE, headers={**auth, **TTL})
    assert response.status_code == 204, response.text
    # the derived cells followed: the new place is found nearby, the replaced stories are gone
    nearby = client.get("/places/nearby", params={"lat": 53.3, "lon": 6.9, "radius": 50}).json()
    assert [item["id"] for item in nearby["items"]] == [BASE + "id/place/gsp-test"]
    graph = client.get("/rdf-graph-store", params={"graph": CONTEXT}, headers={"accept": "application/n-triples"})
    assert graph.status_code == 200 and "Graph store test place" in graph.text and "pvb:Story" not in graph.text
    for target in ({"graph": BASE + "id/dataset/rce-monuments"}, {"graph": "urn:pvb:private:accounts"},
                   {"graph": "urn:pvb:graph:catalogue"}, {"default": ""}):
        for method in ("PUT", "POST"):
            response = client.request(method, "/rdf-graph-store", params=target, content=NEW_PLACE,
                                      headers={**auth, **TTL})
            assert response.status_code == 403, (target, response.text)
        assert client.delete("/rdf-graph-store", params=target, headers=auth).status_code == 403
    assert client.post("/rdf-graph-store", content=NEW_PLACE, headers={**auth, **TTL}).status_code == 403
    response = client.delete("/rdf-graph-store", params={"graph": CONTEXT}, headers=auth)
    assert response.status_code == 204
    assert client.get("/places/nearby", params={"lat": 53.3, "lon": 6.9, "radius": 50}).json()["items"] == []
    assert client.get("/rdf-graph-store", params={"graph": CONTEXT}).status_code == 404


def test_bad_requests_and_private_graphs(writable_client) -> None:
    client = writable_client
    admin = create_user(client, "admin-one", role="admin")
    assert client.get("/rdf-graph-store", params={"graph": "urn:pvb:private:accounts"},
                      headers=admin).status_code == 404
    assert client.get("/rdf-graph-store").status_code == 400
    assert client.get("/rdf-graph-store", params={"graph": "not an iri"}).status_code == 400
    response = client.put("/rdf-graph-store", params={"graph": CONTEXT}, content=b"<a> <b> .",
                          headers={**admin, **TTL})
    assert response.status_code == 400 and "syntax" in response.json()["detail"]
    response = client.put("/rdf-graph-store", params={"graph": CONTEXT}, content=b"x",
                          headers={**admin, "content-type": "application/pdf"})
    assert response.status_code == 415
    # nothing was changed by the bad requests
    assert client.get("/rdf-graph-store", params={"graph": CONTEXT}).status_code == 200
    head = client.head("/rdf-graph-store", params={"graph": CONTEXT})
    assert head.status_code == 200 and head.headers["content-type"].startswith("text/turtle") and not head.content


def test_curator_sparql_update(writable_client) -> None:
    client = writable_client
    auth = create_user(client, "curator-two", role="curator", institution="pvb-redactie")
    update = {"content-type": "application/sparql-update"}
    insert = (f"INSERT DATA {{ GRAPH <{CONTEXT}> {{ <{BASE}id/place/upd> <http://www.w3.org/2003/01/geo/wgs84_pos#lat> "
              f"53.31e0 ; <http://www.w3.org/2003/01/geo/wgs84_pos#long> 6.91e0 . }} }}")
    assert client.post("/sparql", content=insert, headers=update).status_code == 403  # no token: read-only
    response = client.post("/sparql", content=insert, headers={**auth, **update})
    assert response.status_code == 204, response.text
    nearby = client.get("/places/nearby", params={"lat": 53.31, "lon": 6.91, "radius": 50}).json()
    assert [item["id"] for item in nearby["items"]] == [BASE + "id/place/upd"]
    refused = [
        f"INSERT DATA {{ GRAPH <{BASE}id/dataset/rce-monuments> {{ <urn:a> <urn:b> <urn:c> }} }}",
        f"{insert} ; INSERT DATA {{ GRAPH <urn:pvb:private:x> {{ <urn:a> <urn:b> <urn:c> }} }}",
        "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
        f"INSERT {{ GRAPH <{CONTEXT}> {{ ?s ?p ?o }} }} WHERE {{ GRAPH <urn:pvb:private:accounts> {{ ?s ?p ?o }} }}",
        "DROP ALL",
        f"LOAD <http://example.org/x> INTO GRAPH <{CONTEXT}>",
    ]
    for text in refused:
        response = client.post("/sparql", data={"update": text}, headers=auth)
        assert response.status_code == 403, (text, response.text)
    assert client.post("/sparql", content="CLEAR XYZ", headers={**auth, **update}).status_code == 400
    # the refused request that also held an allowed part changed nothing
    count = client.get("/sparql", params={"query": f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{CONTEXT}> "
                                                   f"{{ <{BASE}id/place/upd> ?p ?o }} }}"}).json()
    assert count["results"]["bindings"][0]["n"]["value"] == "2"
