"""The W3C Web Annotation Protocol at /annotations/: every MUST, and the SHOULDs the issue asks for."""

import json

import pytest

from .conftest import BASE, create_user, place

ANNO = "http://www.w3.org/ns/anno.jsonld"
PROFILE = f'application/ld+json; profile="{ANNO}"'
LDP = "http://www.w3.org/ns/ldp#"
PLACE = place(7032)


def post(client, doc, headers, content_type=PROFILE):
    return client.post("/annotations/", content=json.dumps(doc) if not isinstance(doc, bytes) else doc,
                       headers={**headers, "Content-Type": content_type})


def comment(text="Mooi gebouw!", target=PLACE, **extra):
    return {"@context": ANNO, "type": "Annotation", "motivation": "commenting", "target": target,
            "body": {"type": "TextualBody", "value": text, "format": "text/plain", "language": "nl"}, **extra}


def path(iri):
    return iri.removeprefix(BASE.rstrip("/"))


@pytest.fixture
def anna(writable_client):
    return create_user(writable_client, "anna")


def test_post_creates_with_201_location_etag_and_representation(writable_client, anna):
    c = writable_client
    r = post(c, comment(id="http://example.org/mine", creator="http://example.org/evil",
                        created="1999-01-01T00:00:00Z"), anna)
    assert r.status_code == 201, r.text
    doc = r.json()
    assert r.headers["location"] == doc["id"] and doc["id"].startswith(BASE + "annotations/")
    assert r.headers["etag"].startswith('"')
    assert r.headers["content-type"].startswith("application/ld+json") and ANNO in r.headers["content-type"]
    assert ANNO in doc["@context"] or doc["@context"][0] == ANNO
    assert doc["creator"]["name"] == "Anna" and doc["creator"]["id"].startswith(BASE + "id/user/")
    assert doc["created"] > "2000" and doc["via"] == "http://example.org/mine"
    assert doc["generator"]["id"] == BASE + "id/software/pvb"
    assert doc["body"]["value"] == "Mooi gebouw!" and doc["target"] == PLACE and doc["motivation"] == "commenting"


def test_get_has_profile_link_allow_vary_etag(writable_client, anna):
    c = writable_client
    created = post(c, comment(), anna)
    r = c.get(path(created.headers["location"]))
    assert r.status_code == 200
    assert r.headers["content-type"] == PROFILE
    assert f'<{LDP}Resource>; rel="type"' in r.headers["link"]
    assert "GET" in r.headers["allow"] and "PUT" in r.headers["allow"] and "DELETE" in r.headers["allow"]
    assert "Accept" in r.headers["vary"]
    assert r.headers["etag"] == created.headers["etag"]
    assert r.json() == created.json()
    head = c.head(path(created.headers["location"]))
    assert head.status_code == 200 and head.headers["etag"] == r.headers["etag"] and not head.content
    opts = c.options(path(created.headers["location"]))
    assert opts.status_code in (200, 204) and "PUT" in opts.headers["allow"]
    turtle = c.get(path(created.headers["location"]), headers={"Accept": "text/turtle"})
    assert turtle.status_code == 200 and "oa:commenting" in turtle.text
    assert c.get(path(created.headers["location"]), headers={"Accept": "image/png"}).status_code == 406


def test_put_needs_if_match_and_rejects_stale(writable_client, anna):
    c = writable_client
    created = post(c, comment(), anna)
    url, etag = path(created.headers["location"]), created.headers["etag"]
    changed = {**created.json(), "body": {"type": "TextualBody", "value": "Nog mooier", "format": "text/plain"}}
    missing = c.put(url, content=json.dumps(changed), headers={**anna, "Content-Type": PROFILE})
    assert missing.status_code == 428 and missing.headers["content-type"] == "application/problem+json"
    ok = c.put(url, content=json.dumps(changed), headers={**anna, "Content-Type": PROFILE, "If-Match": etag})
    assert ok.status_code == 200, ok.text
    assert ok.json()["body"]["value"] == "Nog mooier" and ok.headers["etag"] != etag
    assert ok.json()["created"] == created.json()["created"] and "modified" in ok.json()
    stale = c.put(url, content=json.dumps(changed), headers={**anna, "Content-Type": PROFILE, "If-Match": etag})
    assert stale.status_code == 412
    assert c.get(url).json()["body"]["value"] == "Nog mooier"


def test_delete_then_gone(writable_client, anna):
    c = writable_client
    created = post(c, comment(), anna)
    url = path(created.headers["location"])
    assert c.delete(url, headers={**anna, "If-Match": '"stale"'}).status_code == 412
    assert c.delete(url, headers=anna).status_code == 204
    assert c.get(url).status_code == 404
    assert c.delete(url, headers=anna).status_code == 404


def test_container_paging_and_prefer(writable_client, anna):
    c = writable_client
    c.app.state.settings.annotation_page_size = 2
    ids = [post(c, comment(f"opmerking {n}"), anna).json()["id"] for n in range(5)]
    r = c.get("/annotations/")
    assert r.status_code == 200 and r.headers["content-type"] == PROFILE
    assert f'<{LDP}BasicContainer>; rel="type"' in r.headers["link"]
    assert "constrainedBy" in r.headers["link"] and "POST" in r.headers["allow"]
    assert "etag" in r.headers and "Accept" in r.headers["vary"]
    doc = r.json()
    assert set(doc["type"]) == {"BasicContainer", "AnnotationCollection"} and doc["total"] == 5
    assert doc["first"]["type"] == "AnnotationPage" and doc["first"]["items"][0]["id"] == ids[-1]  # newest first
    assert isinstance(doc["first"]["items"][0], dict) and "next" in doc["first"]
    last = c.get(path(doc["last"]))
    assert last.status_code == 200 and last.json()["partOf"]["total"] == 5 and "prev" in last.json()
    assert "next" not in last.json()
    seen, url = [], path(doc["first"]["id"])
    while url:
        page = c.get(url).json()
        seen += [i["id"] if isinstance(i, dict) else i for i in page["items"]]
        url = path(page["next"]) if "next" in page else None
    assert seen == ids[::-1]
    iris = c.get("/annotations/", headers={"Prefer": f'return=representation;include="{LDP}PreferContainedIRIs"'})
    assert iris.json()["first"]["items"][0] == ids[-1] and "iris=1" in iris.json()["last"]
    assert iris.headers["preference-applied"] == "return=representation"
    minimal = c.get("/annotations/", headers={"Prefer": f'return=representation;include="{LDP}PreferMinimalContainer"'})
    assert isinstance(minimal.json()["first"], str) and minimal.json()["total"] == 5
    described = c.get("/annotations/",
                      headers={"Prefer": f'return=representation;include="{LDP}PreferContainedDescriptions"'})
    assert described.json()["first"]["items"][0]["id"] == ids[-1]
    assert c.head("/annotations/").status_code == 200
    assert c.get("/annotations/", params={"page": 99}).status_code == 404


def test_container_filters(writable_client, anna):
    c = writable_client
    other = place(7033) if c.get("/places/rm-7033").status_code == 200 else None
    post(c, comment("hier"), anna)
    post(c, {"@context": ANNO, "type": "Annotation", "motivation": "bookmarking", "target": PLACE}, anna)
    create_user(c, "bert")
    assert c.get("/annotations/", params={"target": PLACE}).json()["total"] == 2
    assert c.get("/annotations/", params={"motivation": "bookmarking"}).json()["total"] == 1
    me = c.get("/me", headers=anna).json()["id"]
    assert c.get("/annotations/", params={"creator": me}).json()["total"] == 2
    assert c.get("/annotations/", params={"creator": BASE + "id/user/nobody"}).json()["total"] == 0
    assert c.get("/annotations/", params={"motivation": "dancing"}).status_code == 422
    if other:
        assert c.get("/annotations/", params={"target": other}).json()["total"] == 0


def test_cors_preflight_and_exposed_headers(client):
    r = client.options("/annotations/", headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "Content-Type, Prefer, If-Match"})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] in ("*", "https://example.org")
    allowed = r.headers["access-control-allow-headers"].lower()
    assert all(h in allowed for h in ("content-type", "prefer", "if-match"))
    assert "access-control-allow-credentials" not in r.headers
    g = client.get("/annotations/", headers={"Origin": "https://example.org"})
    exposed = g.headers["access-control-expose-headers"].lower()
    for header in ("etag", "allow", "vary", "link", "content-type", "location", "content-location", "prefer"):
        assert header in exposed


@pytest.mark.parametrize(("payload", "content_type", "status"), [
    (b"{not json", PROFILE, 400),
    (b"[1, 2]", PROFILE, 400),
    (json.dumps({**comment(), "@context": "https://evil.example/context.jsonld"}).encode(), PROFILE, 400),
    (json.dumps({**comment(), "@context": [ANNO, "https://evil.example/c.jsonld"]}).encode(), PROFILE, 400),
    (json.dumps({k: v for k, v in comment().items() if k != "@context"}).encode(), PROFILE, 400),
    (json.dumps(comment(target=BASE + "id/place/does-not-exist")).encode(), PROFILE, 422),
    (json.dumps(comment(target="not an iri")).encode(), PROFILE, 400),
    (json.dumps({**comment(), "motivation": "dancing"}).encode(), PROFILE, 422),
    (json.dumps({**comment(), "motivation": "tagging", "body": "not an iri"}).encode(), PROFILE, 400),
    (json.dumps({**comment(), "motivation": "tagging", "body": "http://example.org/not-a-concept"}).encode(),
     PROFILE, 422),
    (json.dumps({**comment(), "motivation": "linking", "body": "javascript:alert(1)"}).encode(), PROFILE, 422),
    (json.dumps({**comment(), "body": {"type": "TextualBody", "value": "<b>x</b>", "format": "text/html"}}).encode(),
     PROFILE, 415),
    (json.dumps(comment("x" * 6000)).encode(), PROFILE, 413),
    (json.dumps(comment("y" * 20000)).encode(), PROFILE, 413),
    (json.dumps(comment()).encode(), "text/plain", 415),
    (json.dumps({**comment(), "body": {"type": "TextualBody", "value": "   "}}).encode(), PROFILE, 422),
])
def test_bad_input_is_a_problem_and_nothing_is_stored(writable_client, anna, payload, content_type, status):
    r = post(writable_client, payload, anna, content_type)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json" and r.json()["detail"]
    assert writable_client.get("/annotations/").json()["total"] == 0
    assert writable_client.app.state.store.select(
        "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } FILTER(?g IN (<urn:pvb:graph:annotations>, "
        "<urn:pvb:private:moderation>)) }") == []


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}])
def test_writes_need_a_valid_token(writable_client, headers):
    assert post(writable_client, comment(), headers).status_code == 401


def test_markup_is_stored_as_plain_text(writable_client, anna):
    text = '<script>alert("x")</script> & <b>vet</b>'
    r = post(writable_client, comment(text), anna)
    assert r.status_code == 201
    got = writable_client.get(path(r.headers["location"])).json()["body"]
    assert got["value"] == text and got["format"] == "text/plain"
