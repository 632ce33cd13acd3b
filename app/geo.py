"""Cells, distances, bearings and bounding boxes on the WGS84 sphere — pure functions."""

from __future__ import annotations

import math

import numpy as np

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius
CELL_PRECISIONS = (4, 5, 6)
_BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz"


def haversine_m(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Great-circle distances in metres from one point to many."""
    phi1, lam1 = math.radians(lat), math.radians(lon)
    phi2, lam2 = np.radians(lats), np.radians(lons)
    a = np.sin((phi2 - phi1) / 2) ** 2 + math.cos(phi1) * np.cos(phi2) * np.sin((lam2 - lam1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return float(haversine_m(lat1, lon1, np.array([lat2]), np.array([lon2]))[0])


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial bearing from point 1 to point 2, degrees clockwise from north in [0, 360)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dlam = math.radians(lon2 - lon1)
    y = math.sin(dlam) * math.cos(phi2)
    x = math.cos(phi1) * math.sin(phi2) - math.sin(phi1) * math.cos(phi2) * math.cos(dlam)
    return (math.degrees(math.atan2(y, x)) + 360.0) % 360.0


def bounding_box(lat: float, lon: float, radius_m: float) -> tuple[float, float, list[tuple[float, float]]]:
    """(south, north, [(west, east), …]) enclosing the circle; longitudes split at the antimeridian."""
    angular = radius_m / EARTH_RADIUS_M
    dlat = math.degrees(angular)
    south, north = max(-90.0, lat - dlat), min(90.0, lat + dlat)
    if south <= -90.0 or north >= 90.0 or angular >= math.pi / 2 - math.radians(abs(lat)):
        return south, north, [(-180.0, 180.0)]
    dlon = math.degrees(math.asin(min(1.0, math.sin(angular) / math.cos(math.radians(lat)))))
    west, east = lon - dlon, lon + dlon
    if west < -180.0:
        return south, north, [(west + 360.0, 180.0), (-180.0, east)]
    if east > 180.0:
        return south, north, [(west, 180.0), (-180.0, east - 360.0)]
    return south, north, [(west, east)]


def geohash(lat: float, lon: float, precision: int) -> str:
    lat_lo, lat_hi, lon_lo, lon_hi = -90.0, 90.0, -180.0, 180.0
    chars, bits, value, even = [], 0, 0, True
    while len(chars) < precision:
        if even:
            mid = (lon_lo + lon_hi) / 2
            value = value * 2 + (lon >= mid)
            lon_lo, lon_hi = (mid, lon_hi) if lon >= mid else (lon_lo, mid)
        else:
            mid = (lat_lo + lat_hi) / 2
            value = value * 2 + (lat >= mid)
            lat_lo, lat_hi = (mid, lat_hi) if lat >= mid else (lat_lo, mid)
        even = not even
        bits += 1
        if bits == 5:
            chars.append(_BASE32[value])
            bits, value = 0, 0
    return "".join(chars)


def geohash_many(lats: np.ndarray, lons: np.ndarray, precision: int) -> np.ndarray:
    """`geohash` of many points at once (the same bisection, vectorised): cells for a million
    places in a second instead of a minute."""
    lats, lons = np.asarray(lats, dtype=np.float64), np.asarray(lons, dtype=np.float64)
    lat_lo, lat_hi = np.full(lats.shape, -90.0), np.full(lats.shape, 90.0)
    lon_lo, lon_hi = np.full(lons.shape, -180.0), np.full(lons.shape, 180.0)
    digits = np.zeros((len(lats), precision), dtype=np.int64)
    for bit in range(5 * precision):
        if bit % 2 == 0:
            mid = (lon_lo + lon_hi) / 2
            up = lons >= mid
            lon_lo, lon_hi = np.where(up, mid, lon_lo), np.where(up, lon_hi, mid)
        else:
            mid = (lat_lo + lat_hi) / 2
            up = lats >= mid
            lat_lo, lat_hi = np.where(up, mid, lat_lo), np.where(up, lat_hi, mid)
        digits[:, bit // 5] = digits[:, bit // 5] * 2 + up
    chars = np.array(list(_BASE32), dtype="<U1")[digits]
    return np.ascontiguousarray(chars).view(f"<U{precision}").ravel()


def cell_keys(lat: float, lon: float) -> list[str]:
    """The cell keys stored per place: one geohash per precision in CELL_PRECISIONS."""
    full = geohash(lat, lon, max(CELL_PRECISIONS))
    return [full[:p] for p in CELL_PRECISIONS]


def _cell_size(precision: int) -> tuple[float, float]:
    bits = 5 * precision
    return 180.0 / 2 ** (bits // 2), 360.0 / 2 ** ((bits + 1) // 2)


def covering_cells(lat: float, lon: float, radius_m: float, max_cells: int = 64) -> list[str]:
    """Geohash cells that together cover the circle, at the finest stored precision that needs
    at most `max_cells` cells (the coarsest precision otherwise)."""
    south, north, spans = bounding_box(lat, lon, radius_m)
    coarsest = min(CELL_PRECISIONS)
    for precision in sorted(CELL_PRECISIONS, reverse=True):
        height, width = _cell_size(precision)
        rows = range(int((south + 90) // height), int((min(north, 90 - 1e-9) + 90) // height) + 1)
        cols = [c for west, east in spans
                for c in range(int((west + 180) // width), int((min(east, 180 - 1e-9) + 180) // width) + 1)]
        if len(rows) * len(cols) <= max_cells or precision == coarsest:
            return sorted({geohash(-90 + (r + 0.5) * height, -180 + (c + 0.5) * width, precision)
                           for r in rows for c in cols})
    raise AssertionError("unreachable")


def valid_coordinates(lat: float, lon: float) -> bool:
    return math.isfinite(lat) and math.isfinite(lon) and -90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0
