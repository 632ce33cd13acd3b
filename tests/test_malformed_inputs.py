"""A corpus of malformed and hostile inputs: each gets a clear 4xx problem+json, and nothing is stored.

Parsing and refusing happen in the app before the store is touched, so this runs on the embedded
store (tests/test_places_api.py runs the nearby cases on every backend). `-0` is not in the corpus:
it is the number 0, a valid coordinate (tests/test_places_api.py::test_negative_zero_and_edges_are_fine).
"""

from __future__ import annotations

import gzip
import io
import json
import shutil
import zipfile

import pytest

from .conftest import BASE, create_user, make_client

ANNO = "http://www.w3.org/ns/anno.jsonld"
PROFILE = f'application/ld+json; profile="{ANNO}"'
CC0 = "http://creativecommons.org/publicdomain/zero/1.0/"
RDF = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://example.org/"'
PLACE = BASE + "id/place/rm-7032"


def _comment(text: str = "Mooi") -> dict:
    return {"@context": ANNO, "type": "Annotation", "motivation": "commenting", "target": PLACE,
            "body": {"type": "TextualBody", "value": text, "format": "text/plain"}}


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("places.ttl", b" " * 50_000_000)  # 50 MB of nothing in ~50 kB
    return out.getvalue()


def _entity_bomb(levels: int = 9) -> bytes:
    """'Billion laughs': each entity ten of the one before; 10^9 characters from under 1 kB."""
    entities = '<!ENTITY e0 "ha">' + "".join(f'<!ENTITY e{n} "{f"&e{n - 1};" * 10}">' for n in range(1, levels + 1))
    return (f'<?xml version="1.0"?><!DOCTYPE rdf:RDF [{entities}]><rdf:RDF {RDF}>'
            f'<rdf:Description rdf:about="http://example.org/a"><ex:p>&e{levels};</ex:p></rdf:Description>'
            "</rdf:RDF>").encode()


GZIP_BOMB = gzip.compress(b" " * 20_000_000)  # 20 MB of spaces in ~20 kB
HUGE = 300_000  # characters: over the 100,000 a literal may hold
DEEP = 5_000  # levels of nesting: within the annotation size limit, past Python's recursion limit

# (id, who, method, path, params, body, content type, extra headers, status)
UPLOADS = [
    ("turtle-broken", b'@prefix ex: <http://example.org/> .\nex:a ex:b "never closed .\n', "text/turtle", 422),
    ("turtle-invalid-utf8", b'<http://example.org/a> <http://example.org/p> "\xff\xfe" .\n', "text/turtle", 422),
    ("turtle-huge-literal", b'<http://example.org/a> <http://www.w3.org/2000/01/rdf-schema#label> "'
     + b"x" * HUGE + b'" .\n', "text/turtle", 422),
    ("jsonld-broken", b'{"@context": {"@vocab": "http://example.org/"}, "@id": ', "application/ld+json", 422),
    ("jsonld-remote-context", b'{"@context": "http://example.org/ctx.jsonld", "@id": "http://example.org/a", '
     b'"name": "x"}', "application/ld+json", 422),
    ("jsonld-deeply-nested", b'{"@context": {"@vocab": "http://example.org/"}, "@id": "http://example.org/a", "p": '
     + b'{"p": ' * 100_000 + b"1" + b"}" * 100_001, "application/ld+json", 422),
    ("jsonld-invalid-utf8", b'{"@id": "http://example.org/a", "http://example.org/p": "\xc3\x28"}',
     "application/ld+json", 422),
    ("rdfxml-broken", f'<?xml version="1.0"?><rdf:RDF {RDF}><rdf:Description rdf:about="http://example.org/a">'
     "<ex:p>".encode(), "application/rdf+xml", 422),
    ("rdfxml-external-entity", f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
     f'<rdf:RDF {RDF}><rdf:Description rdf:about="http://example.org/a"><ex:p>&x;</ex:p></rdf:Description>'
     "</rdf:RDF>".encode(), "application/rdf+xml", 422),
    ("rdfxml-entity-bomb", _entity_bomb(), "application/rdf+xml", 422),
    ("csv-latin1", "id,name,lat,lon\n1,Café de Wit,53.1,6.1\n".encode("latin-1"), "text/csv", 422),
    ("csv-invalid-utf8", b"id,name,lat,lon\n1,\xff\xfe\xfd,53.1,6.1\n", "text/csv", 422),
    ("csv-utf16", "id,name,lat,lon\n1,Kerk,53.1,6.1\n".encode("utf-16"), "text/csv", 422),
    ("csv-huge-field", b"id,name,lat,lon\n1," + b"y" * HUGE + b",53.1,6.1\n", "text/csv", 422),
    ("zip-bomb", _zip_bomb(), "application/zip", 415),
    ("gzip-bomb-as-turtle", GZIP_BOMB, "text/turtle", 415),
]
CASES = [
    *[(name, "curator", "POST", "/datasets", {"title": "Kapot", "license": CC0, "id": "kapot"}, body, media, {},
       status) for name, body, media, status in UPLOADS],
    ("gzip-bomb-content-encoding-upload", "curator", "POST", "/datasets", {"title": "Kapot", "license": CC0},
     GZIP_BOMB, "text/turtle", {"Content-Encoding": "gzip"}, 415),
    ("gzip-bomb-content-encoding-annotation", "visitor", "POST", "/annotations/", {}, GZIP_BOMB, PROFILE,
     {"Content-Encoding": "gzip"}, 415),
    ("annotation-deeply-nested", "visitor", "POST", "/annotations/", {},
     json.dumps(_comment())[:-1].encode() + b', "x": ' + b"[" * DEEP + b"]" * DEEP + b"}", PROFILE, {}, 400),
    ("annotation-invalid-utf8", "visitor", "POST", "/annotations/", {},
     json.dumps(_comment("KERK")).encode().replace(b"KERK", b"\xff\xfe"), PROFILE, {}, 400),
    ("annotation-lone-surrogate", "visitor", "POST", "/annotations/", {}, json.dumps(_comment("a\ud800b")).encode(),
     PROFILE, {}, 400),
    ("annotation-nan", "visitor", "POST", "/annotations/", {},
     json.dumps(_comment()).replace('"Mooi"', "NaN").encode(), PROFILE, {}, 400),
    ("annotation-huge-text", "visitor", "POST", "/annotations/", {}, json.dumps(_comment("z" * HUGE)).encode(),
     PROFILE, {}, 413),
    ("register-invalid-utf8", None, "POST", "/auth/register", {}, b'{"username": "\xff\xfe", "password": "x"}',
     "application/json", {}, 400),
    ("register-deeply-nested", None, "POST", "/auth/register", {}, b'{"a":' * DEEP + b"1" + b"}" * DEEP,
     "application/json", {}, 400),
    ("mapping-lone-surrogate", "curator", "POST", "/datasets",
     {"title": "Kapot", "license": CC0, "mapping": json.dumps({"columns": {"naam\ud800": "name"}})},
     b"id,naam,lat,lon\n1,x,53.1,6.1\n", "text/csv", {}, 422),
    ("graph-store-entity-bomb", "admin", "PUT", "/rdf-graph-store", {"graph": BASE + "id/dataset/kapot"},
     _entity_bomb(), "application/rdf+xml", {}, 422),
    ("graph-store-gzip", "admin", "PUT", "/rdf-graph-store", {"graph": BASE + "id/dataset/kapot"}, GZIP_BOMB,
     "text/turtle", {}, 415),
    ("sparql-invalid-utf8", None, "POST", "/sparql", {}, b"SELECT * WHERE { ?s ?p \xff }",
     "application/sparql-query", {}, 400),
    *[(f"nearby-{value}", None, "GET", "/places/nearby", {"lat": value, "lon": 6.1, "radius": 500}, None, None, {},
       422) for value in ("NaN", "nan", "inf", "-inf", "Infinity", "1e309", "-1e309")],
    ("nearby-lon-1e309", None, "GET", "/places/nearby", {"lat": 53.2, "lon": "1e309"}, None, None, {}, 422),
]


@pytest.fixture(scope="module")
def corpus_client(sample_store_dir, tmp_path_factory):
    target = tmp_path_factory.mktemp("malformed") / "store"
    shutil.copytree(sample_store_dir, target)
    with make_client(target) as client:
        client.who = {"curator": create_user(client, "fenna", role="curator", institution="Fries Museum"),
                      "visitor": create_user(client, "anna"), "admin": create_user(client, "root", role="admin"),
                      None: {}}
        yield client


def _quads(client) -> int:
    return int(client.app.state.store.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")[0]["n"])


@pytest.mark.parametrize(("who", "method", "path", "params", "body", "media", "headers", "status"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_malformed_input_is_a_clear_4xx_and_stores_nothing(corpus_client, who, method, path, params, body, media,
                                                           headers, status):
    before = _quads(corpus_client)
    sent = {**corpus_client.who[who], **headers, **({"Content-Type": media} if media else {})}
    r = corpus_client.request(method, path, params=params, content=body, headers=sent)
    assert r.status_code == status, r.text[:500]
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["status"] == status and problem["title"] and len(problem["detail"]) > 10
    assert _quads(corpus_client) == before
