"""An in-process spatial index over the places in the store: an accelerator, never the truth.

Points are sorted by (latitude band, longitude), so a radius query is one vectorised binary
search per band followed by exact great-circle distances for the candidates only. The index
is rebuilt per graph when that graph's geo version in the store changes, so writes made by any
process (another worker, the CLI) are seen on the next request.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from rdflib import URIRef

from .geo import EARTH_RADIUS_M, bounding_box, haversine_m
from .queries import query
from .store import GraphStore
from .store.generation import current as current_generation

log = logging.getLogger(__name__)
BAND_DEG = 0.01  # ~1.1 km latitude bands
_EPS = 1e-9


@dataclass(frozen=True)
class Hits:
    """Places within a radius, nearest first (ties by IRI)."""

    iris: list[str]
    distances: np.ndarray
    lats: np.ndarray
    lons: np.ndarray


class PointIndex:
    """An immutable sorted point set; cheap to query, rebuilt (not mutated) on change."""

    def __init__(self, iris: list[str], lats: np.ndarray, lons: np.ndarray) -> None:
        bands = np.floor((lats + 90.0) / BAND_DEG)
        keys = bands * 1000.0 + (lons + 180.0)
        order = np.argsort(keys, kind="stable")
        self.keys = keys[order]
        self.lats = lats[order]
        self.lons = lons[order]
        self.iris = [iris[i] for i in order]
        rank = np.empty(len(iris), dtype=np.int64)
        rank[np.argsort(np.array(self.iris, dtype=object), kind="stable")] = np.arange(len(iris))
        self.iri_rank = rank
        # What the data graphs say about places (labels, types, dataset counts), filled lazily by
        # app.places; a graph that changes gets a new geo version and so a new, empty snapshot.
        self.described: dict[str, object] = {}

    def __len__(self) -> int:
        return len(self.iris)

    def within(self, lat: float, lon: float, radius_m: float) -> Hits:
        candidates = self._candidates(lat, lon, radius_m)
        distances = haversine_m(lat, lon, self.lats[candidates], self.lons[candidates])
        inside = distances <= radius_m
        candidates, distances = candidates[inside], distances[inside]
        order = np.lexsort((self.iri_rank[candidates], distances))
        candidates, distances = candidates[order], distances[order]
        return Hits([self.iris[i] for i in candidates], distances, self.lats[candidates], self.lons[candidates])

    def may_have_within(self, lats: np.ndarray, lons: np.ndarray, radius_m: float) -> np.ndarray:
        """For many points at once: False where surely no indexed point lies within `radius_m`
        (radius under a band), so `within` is only asked for the rest. Near a pole or the
        antimeridian it answers True and leaves the exact answer to `within`."""
        if not len(self.iris):
            return np.zeros(len(lats), dtype=bool)
        dlat = math.degrees(radius_m / EARTH_RADIUS_M) * (1 + 1e-6) + 1e-9
        assert 2 * dlat < BAND_DEG, "a radius this large can span more than two bands"
        reach = np.minimum(np.abs(lats) + dlat, 90.0)
        polar = reach >= 89.0
        dlon = dlat / np.cos(np.radians(np.where(polar, 0.0, reach)))
        edge = (lons - dlon < -180.0) | (lons + dlon > 180.0)
        found = polar | edge
        for band_lat in (lats - dlat, lats + dlat):
            bands = np.floor((np.clip(band_lat, -90.0, 90.0) + 90.0) / BAND_DEG)
            starts = np.searchsorted(self.keys, bands * 1000.0 + (lons - dlon + 180.0 - _EPS), side="left")
            ends = np.searchsorted(self.keys, bands * 1000.0 + (lons + dlon + 180.0 + _EPS), side="right")
            found |= ends > starts
        return found

    def _candidates(self, lat: float, lon: float, radius_m: float) -> np.ndarray:
        if not len(self.iris):
            return np.empty(0, dtype=np.int64)
        south, north, spans = bounding_box(lat, lon, radius_m * (1 + 1e-9) + 1e-6)
        bands = np.arange(math.floor((south + 90.0) / BAND_DEG), math.floor((north + 90.0) / BAND_DEG) + 1,
                          dtype=np.float64)
        ranges = []
        for west, east in spans:
            starts = np.searchsorted(self.keys, bands * 1000.0 + (west + 180.0 - _EPS), side="left")
            ends = np.searchsorted(self.keys, bands * 1000.0 + (east + 180.0 + _EPS), side="right")
            ranges.extend((s, e) for s, e in zip(starts.tolist(), ends.tolist(), strict=True) if e > s)
        if not ranges:
            return np.empty(0, dtype=np.int64)
        return np.concatenate([np.arange(s, e) for s, e in ranges])


def _empty_index() -> PointIndex:
    return PointIndex([], np.empty(0), np.empty(0))


class PlaceIndex:
    """The places of every graph that has derived geo data, kept in step with the store."""

    def __init__(self, store: GraphStore) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._versions: dict[str, str] = {}
        self._generation: str | None = None
        self._points: dict[str, tuple[list[str], np.ndarray, np.ndarray]] = {}
        self._index = _empty_index()

    def current(self) -> PointIndex:
        """The index, refreshed first if any graph's geo version changed in the store; while the
        store's public generation is the one seen at the last check, nothing can have changed."""
        generation = current_generation(self._store)  # before the versions: see app/store/generation.py
        if generation is not None and generation == self._generation:
            return self._index
        versions = dict(self._store.select_values(query("geo_versions").text))
        if versions != self._versions:
            with self._lock:
                if versions != self._versions:
                    self._refresh(versions)
        self._generation = generation
        return self._index

    @property
    def snapshot(self) -> PointIndex:
        """The index as last refreshed, without asking the store (for metrics)."""
        return self._index

    @property
    def seen_generation(self) -> str | None:
        """The store's public generation as last read by `current()`: always read from the store
        before anything a caller reads next, so a safe stamp for what it reads (app/cache.py)."""
        return self._generation

    def _refresh(self, versions: dict[str, str]) -> None:
        started = time.perf_counter()
        for graph in set(self._points) - set(versions):
            del self._points[graph]
        for graph, version in versions.items():
            if self._versions.get(graph) != version:
                self._points[graph] = self._load_graph(graph)
        self._index = _merged(self._points)
        self._versions = versions
        log.info("spatial index: %d places from %d graphs in %.0f ms", len(self._index), len(self._points),
                 (time.perf_counter() - started) * 1000)

    def without(self, graph: str) -> PointIndex:
        """The places of every graph but `graph`, as of the last `current()`: what an upload to
        `graph` may be linked to (its own earlier places are not candidates)."""
        points = dict(self._points)
        points.pop(graph, None)
        return _merged(points)

    def places_of(self, graph: str) -> set[str]:
        """The places of one graph, as of the last `current()`."""
        found = self._points.get(graph)
        return set(found[0]) if found else set()

    def adopt(self, graph: str, version: str, points: list[tuple[str, float, float]]) -> None:
        """After a write that gave `graph` these places under geo version `version`: the index
        takes them as they are instead of reading them back (1.5 s at 100k places); the next
        `current()` still compares every graph's version with the store."""
        with self._lock:
            self._points[graph] = _arrays(points)
            self._versions = {**self._versions, graph: version}
            self._index = _merged(self._points)
            self._generation = None

    def _load_graph(self, graph: str) -> tuple[list[str], np.ndarray, np.ndarray]:
        return _arrays(read_points(self._store, graph))


def _arrays(points: list[tuple[str, float, float]]) -> tuple[list[str], np.ndarray, np.ndarray]:
    return ([p[0] for p in points], np.array([p[1] for p in points], dtype=np.float64),
            np.array([p[2] for p in points], dtype=np.float64))


def _merged(points: dict[str, tuple[list[str], np.ndarray, np.ndarray]]) -> PointIndex:
    """One index over the points of several graphs; a place in several graphs is indexed once."""
    seen: set[str] = set()
    iris: list[str] = []
    lats: list[np.ndarray] = []
    lons: list[np.ndarray] = []
    for graph in sorted(points):
        g_iris, g_lats, g_lons = points[graph]
        keep = [i for i, iri in enumerate(g_iris) if iri not in seen]
        seen.update(g_iris)
        iris.extend(g_iris[i] for i in keep)
        lats.append(g_lats[keep])
        lons.append(g_lons[keep])
    return PointIndex(iris, np.concatenate(lats), np.concatenate(lons)) if iris else _empty_index()


def read_points(store: GraphStore, graph: str) -> list[tuple[str, float, float]]:
    """(IRI, lat, lon) of every place in a graph with valid coordinates (see `paired`)."""
    rows = list(store.select_values(query("graph_points").bind(graph=URIRef(graph))))
    return paired(((place, value) for place, axis, value in rows if axis == "lat"),  # type: ignore[misc]
                  ((place, value) for place, axis, value in rows if axis != "lat"))  # type: ignore[misc]


def paired(lats: Iterable[tuple[str, str]], lons: Iterable[tuple[str, str]]) -> list[tuple[str, float, float]]:
    """(IRI, lat, lon) for every pairing of a place's latitudes and longitudes (lexical forms);
    values that are no number in range are skipped, never allowed to break the index (validation
    keeps them out of uploads). One rule for the store's places and an upload's."""
    by_place: dict[str, list[float]] = {}
    for place, value in lats:
        number = _number(value)
        if number is not None and -90.0 <= number <= 90.0:
            by_place.setdefault(place, []).append(number)
    out = []
    for place, value in lons:
        number = _number(value)
        if number is not None and -180.0 <= number <= 180.0:
            out.extend((place, lat, number) for lat in by_place.get(place, ()))
    return out


def _number(value: str | None) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


__all__ = ["EARTH_RADIUS_M", "Hits", "PlaceIndex", "PointIndex", "read_points"]
