import math

import numpy as np
import pytest

from app import geo


def test_distance_amsterdam_groningen_matches_reference():
    # Dam square to Grote Markt Groningen: ~146.5 km great-circle on the mean-radius sphere
    assert geo.distance_m(52.3731, 4.8926, 53.2194, 6.5665) == pytest.approx(145_900, rel=0.01)


def test_distance_is_zero_to_itself_and_symmetric():
    assert geo.distance_m(53.2, 6.1, 53.2, 6.1) == 0
    assert geo.distance_m(53.2, 6.1, 52.0, 5.0) == pytest.approx(geo.distance_m(52.0, 5.0, 53.2, 6.1))


@pytest.mark.parametrize(("lat2", "lon2", "bearing"), [(54, 6, 0), (53, 7, 90), (52, 6, 180), (53, 5, 270)])
def test_bearing_cardinal_directions(lat2, lon2, bearing):
    got = geo.bearing_deg(53, 6, lat2, lon2)
    assert min(abs(got - bearing), 360 - abs(got - bearing)) < 0.5


def test_geohash_known_value():
    assert geo.geohash(57.64911, 10.40744, 11) == "u4pruydqqvj"
    assert geo.cell_keys(57.64911, 10.40744) == ["u4pr", "u4pru", "u4pruy"]


def test_covering_cells_cover_every_point_of_the_circle():
    rng = np.random.default_rng(7)
    for _ in range(50):
        lat, lon = rng.uniform(50, 55), rng.uniform(3, 8)
        radius = float(rng.choice([50, 400, 2_000, 20_000, 50_000]))
        cells = set(geo.covering_cells(lat, lon, radius))
        precision = len(next(iter(cells)))
        for angle in np.linspace(0, 2 * math.pi, 36, endpoint=False):
            for fraction in (0.0, 0.5, 0.999):
                d = radius * fraction / geo.EARTH_RADIUS_M
                plat = lat + math.degrees(d * math.cos(angle))
                plon = lon + math.degrees(d * math.sin(angle)) / math.cos(math.radians(lat))
                assert geo.geohash(plat, plon, precision) in cells


def test_bounding_box_splits_at_the_antimeridian():
    south, north, spans = geo.bounding_box(0, 179.99, 5_000)
    assert len(spans) == 2 and spans[1][0] == -180.0
    assert south < 0 < north


@pytest.mark.parametrize(("lat", "lon", "ok"), [(0, 0, True), (90, 180, True), (-90, -180, True), (90.1, 0, False),
                                                (0, 180.5, False), (math.nan, 0, False), (0, math.inf, False)])
def test_valid_coordinates(lat, lon, ok):
    assert geo.valid_coordinates(lat, lon) is ok


def test_vectorised_geohash_equals_the_scalar_one():
    rng = np.random.default_rng(7)
    lats = np.concatenate([rng.uniform(-90, 90, 3000), [90.0, -90.0, 0.0, 52.5]])
    lons = np.concatenate([rng.uniform(-180, 180, 3000), [180.0, -180.0, 0.0, 4.921875]])  # last: a cell edge
    assert geo.geohash_many(lats, lons, 6).tolist() == [geo.geohash(a, b, 6) for a, b in zip(lats, lons)]
