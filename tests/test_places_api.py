"""/places on the real sample data: result sets, context, languages, paging, errors."""

import csv
import math
from pathlib import Path

import numpy as np
import pytest

from app.geo import haversine_m

from .conftest import place

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "monument_points.csv"


@pytest.fixture(scope="module")
def monuments():
    """Every monument's number and coordinates, read from the committed test copy of the RCE CSV columns."""
    with DATA.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    iris = [place(r["number"]) for r in rows]
    return iris, np.array([float(r["lat"]) for r in rows]), np.array([float(r["lon"]) for r in rows])


def expected_nearby(monuments, lat, lon, radius):
    iris, lats, lons = monuments
    d = haversine_m(lat, lon, lats, lons)
    return [iri for _, iri in sorted((float(d[i]), iris[i]) for i in np.flatnonzero(d <= radius))]


def all_pages(client, **params):
    ids, cursor = [], None
    while True:
        page = client.get("/places/nearby", params={**params, "limit": 100, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        body = page.json()
        ids += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            return ids, body["total"]


def test_the_church_of_augustinusga_is_first(client):
    r = client.get("/places/nearby", params={"lat": 53.2179, "lon": 6.1628, "radius": 500})
    assert r.status_code == 200
    first = r.json()["items"][0]
    assert first["id"] == place(7032)
    assert first["identifiers"] == ["7032"]
    assert first["label"] == "Kerk, Geawei 15, Augustinusga"
    expected = haversine_m(53.2179, 6.1628, np.array([53.217949118521]), np.array([6.162805656701]))[0]
    assert first["distance_m"] == pytest.approx(expected, abs=0.01)
    assert first["context"]["stories"] >= 1 and first["context"]["story_titles"]


def test_nearby_equals_brute_force_for_random_points_and_radii(client, monuments):
    rng = np.random.default_rng(2026)
    iris, lats, lons = monuments
    for _ in range(25):
        i = int(rng.integers(0, len(iris)))
        lat, lon = lats[i] + rng.normal(0, 0.01), lons[i] + rng.normal(0, 0.01)
        radius = float(rng.choice([50, 300, 1_000, 2_500, 6_000]))
        ids, total = all_pages(client, lat=lat, lon=lon, radius=radius)
        expected = expected_nearby(monuments, lat, lon, radius)
        assert ids == expected
        assert total == len(expected)


def test_distances_ascend_and_match_great_circle(client):
    body = client.get("/places/nearby", params={"lat": 53.2194, "lon": 6.5665, "radius": 800, "limit": 100}).json()
    distances = [item["distance_m"] for item in body["items"]]
    assert distances == sorted(distances) and len(distances) == 100
    for item in body["items"][:10]:
        d = haversine_m(53.2194, 6.5665, np.array([item["lat"]]), np.array([item["lon"]]))[0]
        assert item["distance_m"] == pytest.approx(d, abs=0.01)
        assert 0 <= item["bearing_deg"] < 360


def test_offset_and_cursor_paging_agree(client):
    params = {"lat": 53.2194, "lon": 6.5665, "radius": 1500}
    by_cursor, total = all_pages(client, **params)
    by_offset = []
    for offset in range(0, total, 37):
        body = client.get("/places/nearby", params={**params, "limit": 37, "offset": offset}).json()
        by_offset += [item["id"] for item in body["items"]]
    assert by_cursor == by_offset and len(by_offset) == total > 100


def test_type_filter_includes_narrower_concepts(client):
    params = {"lat": 53.2194, "lon": 6.5665, "radius": 3000, "limit": 100}
    churches = client.get("/places/nearby", params={**params, "type": "kerken"}).json()
    assert churches["total"] > 0
    assert all(t["label"] == "Kerk en kerkonderdeel" for item in churches["items"] for t in item["types"])
    buildings = client.get("/places/nearby", params={**params, "type": "religieuze gebouwen"}).json()
    church_ids = {i["id"] for i in churches["items"]}
    assert church_ids <= set(all_pages(client, **params, type="religieuze gebouwen")[0])
    assert buildings["total"] >= churches["total"]
    everything = client.get("/places/nearby", params=params).json()
    assert everything["total"] > buildings["total"]


def test_type_filter_by_iri(client):
    church = client.get("/places/rm-7032").json()["types"][0]["id"]
    r = client.get("/places/nearby", params={"lat": 53.2179, "lon": 6.1628, "radius": 500, "type": church})
    assert [i["id"] for i in r.json()["items"]] == [place(7032)]


def test_unknown_concept_label_is_404(client):
    r = client.get("/places/nearby", params={"lat": 53.2, "lon": 6.1, "type": "no such concept"})
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


def test_context_of_the_church_of_augustinusga(client):
    r = client.get("/places/rm-7032")
    assert r.status_code == 200
    body = r.json()
    assert body["address"]["street"] == "Geawei 15" and body["municipality"] == "Achtkarspelen"
    assert body["province"] == "Friesland" and body["protection_status"] == "beschermd"
    assert "https://monumentenregister.cultureelerfgoed.nl/monumenten/7032" in body["links"]
    (church_type,) = body["types"]
    (match,) = church_type["matches"]
    assert match["label"] == "kerken"
    assert [b["label"] for b in match["broader"]][:2] == ["religieuze gebouwen", "gebouwen"]
    assert body["stories"] and all(s["sample_content"] for s in body["stories"])
    story = body["stories"][0]
    assert story["places"] and place(7032) not in [p["id"] for p in story["places"]]
    related = {p["id"] for p in body["related_places"]}
    assert {p["id"] for p in story["places"]} <= related
    nearest = body["nearest_places"]
    assert nearest[0]["id"] == place(7035) and len(nearest) == 5
    assert [n["distance_m"] for n in nearest] == sorted(n["distance_m"] for n in nearest)


def test_context_by_full_iri_and_as_json_ld(client):
    from urllib.parse import quote

    r = client.get("/places/" + quote(place(7032), safe=""))
    assert r.status_code == 200 and r.json()["id"] == place(7032)
    ld = client.get("/places/rm-7032", headers={"Accept": "application/ld+json"})
    assert ld.status_code == 200 and ld.headers["content-type"].startswith("application/ld+json")
    from rdflib import Graph, URIRef
    g = Graph().parse(data=ld.text, format="json-ld")
    assert (URIRef(place(7032)), URIRef("http://purl.org/dc/terms/identifier"), None) in g


def test_a_named_monument_is_labelled_by_its_name_in_every_language(client):
    for lang in ("nl", "en"):
        body = client.get("/places/rm-502129", params={"lang": lang}).json()
        assert body["label"] == "De Woudenhof" and body["name"] == "De Woudenhof"
        assert body["build_years"] == {"start": 1915, "end": 1915}


@pytest.mark.parametrize(("params", "headers", "expected"), [
    ({"lang": "en"}, {}, "Church, Geawei 15, Augustinusga"),
    ({}, {"Accept-Language": "en-GB,en;q=0.9,nl;q=0.5"}, "Church, Geawei 15, Augustinusga"),
    ({}, {"Accept-Language": "nl"}, "Kerk, Geawei 15, Augustinusga"),
    ({"lang": "fr"}, {}, "Kerk, Geawei 15, Augustinusga"),  # no French: falls back to Dutch
    ({"lang": "nl"}, {"Accept-Language": "en"}, "Kerk, Geawei 15, Augustinusga"),  # lang wins
])
def test_language_choice_and_fallback(client, params, headers, expected):
    r = client.get("/places/nearby", params={"lat": 53.2179, "lon": 6.1628, "radius": 50, **params}, headers=headers)
    assert r.json()["items"][0]["label"] == expected
    assert client.get("/places/rm-7032", params=params, headers=headers).json()["label"] == expected


def test_english_type_labels_fall_back_to_dutch_when_missing(client):
    body = client.get("/places/rm-7032", params={"lang": "en"}).json()
    assert body["types"][0]["label"] == "Church"


@pytest.mark.parametrize(("params", "status"), [
    ({"lon": 6.1}, 422),
    ({"lat": 53.2}, 422),
    ({"lat": 91, "lon": 6.1}, 422),
    ({"lat": 53.2, "lon": -181}, 422),
    ({"lat": "nan", "lon": 6.1}, 422),
    ({"lat": 53.2, "lon": "1e309"}, 422),
    ({"lat": "abc", "lon": 6.1}, 422),
    ({"lat": 53.2, "lon": 6.1, "radius": 0}, 422),
    ({"lat": 53.2, "lon": 6.1, "radius": -5}, 422),
    ({"lat": 53.2, "lon": 6.1, "radius": 50001}, 422),
    ({"lat": 53.2, "lon": 6.1, "limit": 0}, 422),
    ({"lat": 53.2, "lon": 6.1, "limit": 101}, 422),
    ({"lat": 53.2, "lon": 6.1, "cursor": "not-a-cursor"}, 400),
])
def test_bad_nearby_requests_are_problems(client, params, status):
    r = client.get("/places/nearby", params=params)
    assert r.status_code == status
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == status and body["title"] and body["detail"]


def test_negative_zero_and_edges_are_fine(client):
    assert client.get("/places/nearby", params={"lat": -0.0, "lon": -0.0}).json()["total"] == 0
    assert client.get("/places/nearby", params={"lat": 90, "lon": 180, "radius": 50000}).status_code == 200


@pytest.mark.parametrize("key", ["rm-99999999", "http%3A%2F%2Fexample.org%2Fnot-a-place", "%3Cscript%3E"])
def test_unknown_place_is_404_problem(client, key):
    r = client.get(f"/places/{key}")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert "No place" in r.json()["detail"]


def test_health_reports_the_store(client):
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["places"] == 8025 and body["triples"] > 100_000


def test_openapi_documents_the_endpoints(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert "/places/nearby" in paths and "/places/{key}" in paths and "/health" in paths
    assert client.get("/docs").status_code == 200
    nearby = {p["name"]: p for p in paths["/places/nearby"]["get"]["parameters"]}  # from NearbyQuery
    assert set(nearby) == {"lat", "lon", "radius", "limit", "offset", "cursor", "type", "tag", "lang"}
    assert nearby["lat"]["required"] and nearby["lat"]["in"] == "query" and nearby["lat"]["schema"]["maximum"] == 90
    assert not nearby["limit"]["required"] and nearby["limit"]["schema"]["default"] == 20


def test_monument_count_in_sample_data_is_complete(monuments):
    assert len(monuments[0]) == 8025 and math.isfinite(float(monuments[1].sum()))


def test_tourist_information_is_shown_and_marked_as_sample(client):
    info = client.get("/places/rm-7032").json()["tourist_info"]
    assert info["opening_hours"] and info["opening_hours"][0]["opens"]
    assert info["free"] is True and info["public_access"] is True
    assert info["accessibility"] and info["sample_content"] is True
