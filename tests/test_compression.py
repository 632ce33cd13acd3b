"""Responses are gzip-compressed for clients that ask, without changing what they mean: same bytes
once inflated, same ETag (If-Match keeps working), `Vary` still names every negotiated header."""

from __future__ import annotations

import gzip
import json

import pytest

from .conftest import create_user, place

GZIP = {"Accept-Encoding": "gzip"}
IDENTITY = {"Accept-Encoding": "identity"}
ANNO = "http://www.w3.org/ns/anno.jsonld"
PROFILE = f'application/ld+json; profile="{ANNO}"'


def _raw(client, path: str, headers: dict[str, str]) -> tuple[object, bytes]:
    """The response and its body as sent on the wire (not inflated by the client)."""
    with client.stream("GET", path, headers=headers) as response:
        return response, b"".join(response.iter_raw())


@pytest.mark.parametrize(("path", "accept", "media_type"), [
    ("/", "text/html", "text/html"),
    ("/place/rm-7032", "text/html", "text/html"),
    ("/places/nearby?lat=53.2179&lon=6.1628&radius=2000", "application/json", "application/json"),
    ("/static/web/pvb.css", "*/*", "text/css"),
    ("/static/vendor/leaflet/leaflet.js", "*/*", "text/javascript"),
    ("/sparql?query=SELECT%20*%20WHERE%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D%20LIMIT%20200",
     "application/sparql-results+json", "application/sparql-results+json"),
])
def test_responses_are_gzipped_when_asked_and_only_then(embedded_client, path, accept, media_type):
    zipped, wire = _raw(embedded_client, path, {**GZIP, "Accept": accept})
    assert zipped.status_code == 200 and zipped.headers["content-type"].startswith(media_type)
    assert zipped.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in [v.strip() for v in zipped.headers["vary"].split(",")]
    # leaflet.js (147 KB) is sent in chunks: compressed as a stream (no Content-Length), flushed per chunk
    assert int(zipped.headers.get("content-length", len(wire))) == len(wire)
    plain, identity_wire = _raw(embedded_client, path, {**IDENTITY, "Accept": accept})
    assert "content-encoding" not in plain.headers
    assert len(wire) < len(identity_wire) / 2  # text compresses well: at least half off
    if "sparql" not in path:  # (SPARQL row order is not fixed between two runs of a query)
        assert gzip.decompress(wire) == identity_wire


def test_small_and_already_compressed_responses_are_left_alone(embedded_client):
    health = embedded_client.get("/health", headers=GZIP)
    assert health.status_code == 200 and "content-encoding" not in health.headers
    png = embedded_client.get("/static/vendor/leaflet/images/marker-icon.png", headers=GZIP)
    assert png.status_code == 200 and "content-encoding" not in png.headers


def test_etag_and_if_match_work_through_compression(writable_client):
    """The annotation's ETag is the same compressed or not, so an edit based on a gzip GET succeeds,
    and `Vary` keeps Accept next to Accept-Encoding."""
    c = writable_client
    anna = create_user(c, "anna")
    long_text = " ".join(["Een kerk met een zadeldaktoren uit de dertiende eeuw."] * 40)  # over the threshold
    doc = {"@context": ANNO, "type": "Annotation", "motivation": "commenting", "target": place(7032),
           "body": {"type": "TextualBody", "value": long_text, "format": "text/plain", "language": "nl"}}
    created = c.post("/annotations/", content=json.dumps(doc), headers={**anna, "Content-Type": PROFILE, **GZIP})
    assert created.status_code == 201 and created.headers["content-encoding"] == "gzip"
    url = created.headers["location"].replace("http://localhost:8000", "")
    zipped, plain = c.get(url, headers=GZIP), c.get(url, headers=IDENTITY)
    assert zipped.headers["content-encoding"] == "gzip" and "content-encoding" not in plain.headers
    assert zipped.headers["etag"] == plain.headers["etag"] == created.headers["etag"]
    assert {"Accept", "Accept-Encoding"} <= {v.strip() for v in zipped.headers["vary"].split(",")}
    assert zipped.json() == plain.json()
    changed = {**zipped.json(), "body": {**doc["body"], "value": long_text.upper()}}
    ok = c.put(url, content=json.dumps(changed),
               headers={**anna, **GZIP, "Content-Type": PROFILE, "If-Match": zipped.headers["etag"]})
    assert ok.status_code == 200 and ok.json()["body"]["value"] == long_text.upper()
    stale = c.put(url, content=json.dumps(changed),
                  headers={**anna, **GZIP, "Content-Type": PROFILE, "If-Match": zipped.headers["etag"]})
    assert stale.status_code == 412 and stale.headers["content-type"] == "application/problem+json"


def test_compressed_request_bodies_are_refused_not_inflated(embedded_client):
    """A gzip request body (a bomb: 1 KB that inflates to 10 MB) gets 415 naming identity, unread."""
    bomb = gzip.compress(b"{" + b" " * 10_000_000 + b"}")
    assert len(bomb) < 20_000
    r = embedded_client.post("/annotations/", content=bomb,
                             headers={"Content-Type": PROFILE, "Content-Encoding": "gzip"})
    assert r.status_code == 415 and r.headers["content-type"] == "application/problem+json"
    assert r.headers["accept-encoding"] == "identity" and r.json()["status"] == 415
