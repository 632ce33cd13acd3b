"""The web pages over HTTP (no browser): name search, metadata, escaping, headers, language, feeds."""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree as ET

import pytest

from app.pages import choose_language, content_security_policy

from .conftest import make_client, place


@pytest.fixture(autouse=True)
def _no_language_cookie(client):
    """The shared client keeps cookies; a language chosen in one test must not leak into the next."""
    client.cookies.clear()
    yield
    client.cookies.clear()


def test_search_finds_towns_first_then_places(client):
    r = client.get("/places/search", params={"q": "augustinusga"})
    assert r.status_code == 200
    found = r.json()
    assert found[0]["kind"] == "town" and found[0]["label"] == "Augustinusga" and found[0]["count"] >= 6
    assert abs(found[0]["lat"] - 53.22) < 0.05
    assert any(f["id"] == place(7032) for f in client.get("/places/search", params={"q": "Geawei 15"}).json())


def test_search_bad_input_is_problem_json(client):
    for params in ({"q": "x"}, {}, {"q": "a" * 101}, {"q": "kerk", "limit": 0}):
        r = client.get("/places/search", params=params)
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"
    assert client.get("/places/search", params={"q": "   x  "}).status_code == 422
    assert client.get("/places/search", params={"q": "zzzqqq"}).json() == []


def test_visitor_page_has_csp_and_no_inline_script(client):
    r = client.get("/?lat=53.2179&lon=6.1628", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert '<html lang="en">' in r.text
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", r.text, re.S)
    assert all('type="application/json"' in attrs or (attrs.strip().startswith("src=") and not body.strip())
               for attrs, body in scripts)
    config = json.loads(re.search(r'id="pvb-config">(.*?)</script>', r.text, re.S).group(1))
    assert config["point"] == {"lat": 53.2179, "lon": 6.1628}


def test_visitor_page_rejects_bad_coordinates(client):
    r = client.get("/", params={"lat": "north", "lon": 6})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"


def test_place_page_metadata_for_sharing(client):
    r = client.get("/place/rm-7032", headers={"Accept-Language": "nl"})
    assert r.status_code == 200
    html = r.text
    assert '<meta property="og:title" content="Kerk, Geawei 15, Augustinusga">' in html
    assert '<link rel="canonical" href="http://testserver/place/rm-7032">' in html
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert data["@context"] == "https://schema.org" and data["@id"] == place(7032)
    assert data["geo"]["latitude"] == 53.217949118521
    assert "Dorpskerken van Achtkarspelen" in html  # the sample story
    assert 'href="/place/rm-7034"' in html or "/place/rm-" in html  # related and nearest places link pages


def test_place_page_language_from_query_sets_a_cookie(client):
    r = client.get("/place/rm-7032", params={"lang": "en"})
    assert '<html lang="en">' in r.text and "<h1>Church, Geawei 15, Augustinusga</h1>" in r.text
    assert "pvb_lang=en" in r.headers["set-cookie"]
    client.cookies.set("pvb_lang", "en")
    again = client.get("/place/rm-7032", headers={"Accept-Language": "nl"})
    assert '<html lang="en">' in again.text


def test_unknown_place_page_is_a_problem(client):
    r = client.get("/place/rm-0")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    assert client.get("/place/rm-0/feed.atom").status_code == 404


def test_place_feed_is_atom(client):
    r = client.get("/place/rm-7032/feed.atom")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(r.content)
    assert feed.tag == "{http://www.w3.org/2005/Atom}feed"
    assert feed.find("{http://www.w3.org/2005/Atom}link[@rel='alternate']").get("href").endswith("/place/rm-7032")


def test_feed_lists_annotations_and_escapes_their_text(fresh_store):
    """Contributions are read from the public annotations graph, replies included; hidden ones are not."""
    with make_client(fresh_store) as c:
        c.app.state.store.update("""
        PREFIX oa: <http://www.w3.org/ns/oa#> PREFIX dcterms: <http://purl.org/dc/terms/>
        PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> PREFIX foaf: <http://xmlns.com/foaf/0.1/>
        PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
        INSERT DATA {
          GRAPH <urn:pvb:graph:annotations> {
            <urn:a1> oa:hasTarget <http://localhost:8000/id/place/rm-7032> ; oa:motivatedBy oa:commenting ;
              dcterms:created "2026-01-01T10:00:00Z"^^xsd:dateTime ; dcterms:creator <urn:p1> ; oa:hasBody _:b1 .
            _:b1 rdf:value "Open <script>alert(1)</script> & zo?" .
            <urn:a2> oa:hasTarget <urn:a1> ; oa:motivatedBy oa:replying ;
              dcterms:created "2026-01-02T10:00:00Z"^^xsd:dateTime ; oa:hasBody _:b2 .
            _:b2 rdf:value "Ja." .
          }
          GRAPH <urn:pvb:graph:community> { <urn:p1> foaf:name "Anna" }
          GRAPH <urn:pvb:private:moderation> {
            <urn:a3> oa:hasTarget <http://localhost:8000/id/place/rm-7032> ; oa:motivatedBy oa:commenting .
          }
        }""")
        r = c.get("/place/rm-7032/feed.atom")
    assert b"<script>" not in r.content and b"&lt;script&gt;" in r.content
    feed = ET.fromstring(r.content)
    ids = [e.findtext("{http://www.w3.org/2005/Atom}id") for e in feed.iter("{http://www.w3.org/2005/Atom}entry")]
    assert ids == ["urn:a2", "urn:a1"]  # newest first, the reply included, the hidden one not


def test_desk_page_is_a_shell(client):
    r = client.get("/desk")
    assert r.status_code == 200 and "desk.js" in r.text and "content-security-policy" in r.headers


def test_language_choice_and_csp_rules():
    assert choose_language(None, None, "de-DE,en;q=0.8,nl;q=0.5") == "en"
    assert choose_language(None, "en", "nl") == "en"
    assert choose_language("nl", "en", "en") == "nl"
    assert choose_language("fr", None, None) == "nl"
    assert "https://*.tile.openstreetmap.org" in content_security_policy("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png")
    assert "img-src 'self' data:;" in content_security_policy(None)


def test_static_files_are_served(client):
    assert client.get("/static/vendor/leaflet/leaflet.js").status_code == 200
    assert client.get("/static/web/visitor.js").headers["content-type"].startswith(("text/javascript",
                                                                                       "application/javascript"))


def test_institution_feeds_cover_its_places(fresh_store):
    """A comment on a place the institution publishes a story about appears in its Atom and AS2 feeds."""
    with make_client(fresh_store) as c:
        c.app.state.store.update("""
        PREFIX oa: <http://www.w3.org/ns/oa#> PREFIX dcterms: <http://purl.org/dc/terms/>
        PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
        INSERT DATA { GRAPH <urn:pvb:graph:annotations> {
          <urn:a1> oa:hasTarget <http://localhost:8000/id/place/rm-7032> ; oa:motivatedBy oa:commenting ;
            dcterms:created "2026-01-01T10:00:00Z"^^xsd:dateTime ; oa:hasBody [ rdf:value "Mooi!" ] .
        } }""")
        atom_feed = c.get("/institutions/historische-vereniging-achtkarspelen/feed.atom")
        as2 = c.get("/institutions/historische-vereniging-achtkarspelen/feed.json")
        other = c.get("/institutions/pvb-redactie/feed.json")
        missing = c.get("/institutions/nobody/feed.atom")
    assert atom_feed.status_code == 200 and b"urn:a1" in atom_feed.content
    assert as2.headers["content-type"].startswith("application/activity+json")
    body = as2.json()
    assert body["type"] == "OrderedCollection" and body["orderedItems"][0]["object"]["content"] == "Mooi!"
    assert body["orderedItems"][0]["target"]["id"] == place(7032)
    assert other.status_code in (200, 404)
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
