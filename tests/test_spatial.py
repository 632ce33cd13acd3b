"""The spatial index returns exactly the brute-force result set, in the same order."""

import numpy as np
import pytest

from app.geo import haversine_m
from app.spatial import PointIndex


def brute_force(iris, lats, lons, lat, lon, radius):
    d = haversine_m(lat, lon, lats, lons)
    return sorted((float(d[i]), iris[i]) for i in range(len(iris)) if d[i] <= radius)


@pytest.fixture(scope="module")
def synthetic():
    rng = np.random.default_rng(42)
    towns = rng.uniform([50.7, 3.3], [53.5, 7.2], size=(20, 2))
    pick = rng.integers(0, len(towns), 20_000)
    lats = towns[pick, 0] + rng.normal(0, 0.02, 20_000)
    lons = towns[pick, 1] + rng.normal(0, 0.03, 20_000)
    iris = [f"urn:x:{i:05d}" for i in range(20_000)]
    return iris, lats, lons, towns


def test_index_matches_brute_force_on_synthetic_clusters(synthetic):
    iris, lats, lons, towns = synthetic
    index = PointIndex(iris, lats, lons)
    rng = np.random.default_rng(1)
    for _ in range(60):
        town = towns[rng.integers(0, len(towns))]
        lat, lon = town[0] + rng.normal(0, 0.05), town[1] + rng.normal(0, 0.05)
        radius = float(rng.choice([10, 100, 750, 3_000, 25_000, 50_000]))
        hits = index.within(lat, lon, radius)
        assert list(zip(hits.distances.tolist(), hits.iris, strict=True)) == brute_force(iris, lats, lons, lat, lon,
                                                                                          radius)


def test_duplicate_coordinates_are_ordered_by_iri():
    index = PointIndex(["urn:b", "urn:a", "urn:c"], np.array([52.0, 52.0, 52.0]), np.array([5.0, 5.0, 5.0]))
    assert index.within(52.0, 5.0, 1).iris == ["urn:a", "urn:b", "urn:c"]


def test_points_across_the_antimeridian_and_near_the_pole():
    index = PointIndex(["urn:east", "urn:west", "urn:pole"], np.array([0.0, 0.0, 89.99]),
                       np.array([179.999, -179.999, 10.0]))
    assert set(index.within(0.0, 180.0, 1_000).iris) == {"urn:east", "urn:west"}
    assert index.within(89.99, -170.0, 5_000).iris == ["urn:pole"]


def test_empty_index_returns_nothing():
    assert PointIndex([], np.empty(0), np.empty(0)).within(52, 5, 1000).iris == []


def test_may_have_within_never_misses_a_neighbour_and_rules_out_far_points():
    """The link-suggestion prefilter: wherever `within` finds a place, it must say True (also at the
    antimeridian, near the poles and on band edges); for points far from everything, False."""
    rng = np.random.default_rng(7)
    lats = np.concatenate([rng.uniform(52.0, 52.05, 400), rng.uniform(-90, 90, 200), [89.9995, -89.9995, 0.0, 0.0]])
    lons = np.concatenate([rng.uniform(4.0, 4.05, 400), rng.uniform(-180, 180, 200), [10.0, -10.0, 179.9995, -180.0]])
    index = PointIndex([f"urn:p:{i}" for i in range(len(lats))], lats, lons)
    # queries: jittered copies of indexed points (most within 100 m), band edges, and random points
    q_lats = np.concatenate([lats + rng.normal(0, 0.0006, len(lats)), np.round(lats, 2) + 1e-7,
                             rng.uniform(-90, 90, 500)]).clip(-90, 90)
    q_lons = np.concatenate([lons + rng.normal(0, 0.0009, len(lons)), lons, rng.uniform(-180, 180, 500)])
    q_lons = (q_lons + 180.0) % 360.0 - 180.0
    maybe = index.may_have_within(q_lats, q_lons, 100.0)
    hits = np.array([bool(index.within(la, lo, 100.0).iris) for la, lo in zip(q_lats, q_lons, strict=True)])
    assert hits.sum() > 300  # the jittered copies are mostly within 100 m
    assert not (hits & ~maybe).any(), "a neighbour was ruled out"
    assert (~maybe[-500:]).sum() > 450  # random points on the globe are ruled out cheaply
