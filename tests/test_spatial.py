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
