"""Search by place name: towns (the centre of their places) and places whose label matches. No HTTP here.

Substring search over ~25k names is a full scan either way; in SPARQL it costs seconds per query here,
so the names are read once into memory and re-read whenever the place index changes (a dataset
upload re-derives geo data, which changes the index).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any

from rdflib.term import Node

from .errors import Unprocessable
from .lang import pick, text
from .queries import query
from .spatial import PlaceIndex, PointIndex
from .store import GraphStore


class NameIndex:
    def __init__(self, store: GraphStore, places: PlaceIndex) -> None:
        self._store, self._places = store, places
        self._lock = threading.Lock()
        self._built_for: PointIndex | None = None
        self._labels: dict[str, list[Node]] = {}
        self._towns: dict[str, list[str]] = {}
        self._points: dict[str, tuple[float, float]] = {}

    def _current(self) -> None:
        points = self._places.current()
        if points is self._built_for:
            return
        with self._lock:
            if points is self._built_for:
                return
            where = {iri: (float(points.lats[i]), float(points.lons[i])) for i, iri in enumerate(points.iris)}
            labels: dict[str, list[Node]] = defaultdict(list)
            towns: dict[str, set[str]] = defaultdict(set)
            for row in self._store.select(query("place_names").text):
                place = str(row["place"])
                if place not in where:
                    continue
                if str(row["key"]) == "locality":
                    towns[str(row["value"])].add(place)
                else:
                    labels[place].append(row["value"])
            self._labels, self._points = dict(labels), where
            self._towns = {town: sorted(members) for town, members in towns.items()}
            self._built_for = points

    def search(self, q: str, prefs: list[str], limit: int = 10) -> list[dict[str, Any]]:
        """Towns first (a visitor usually types where they are going), then places; exact and prefix first."""
        needle = " ".join(q.split()).lower()
        if not 2 <= len(needle) <= 100:
            raise Unprocessable("q must be 2–100 characters",
                                errors=[{"location": ["query", "q"], "message": "2–100 characters"}])
        self._current()

        def rank(name: str) -> tuple[int, str]:
            low = name.lower()
            return (0 if low == needle else 1 if low.startswith(needle) else 2), low

        results: list[dict[str, Any]] = []
        towns = [t for t in self._towns if needle in t.lower()]
        for town in sorted(towns, key=lambda t: (rank(t), -len(self._towns[t])))[:limit]:
            members = self._towns[town]
            results.append({"kind": "town", "id": None, "label": town, "count": len(members),
                            "lat": round(sum(self._points[p][0] for p in members) / len(members), 6),
                            "lon": round(sum(self._points[p][1] for p in members) / len(members), 6)})
        named = []
        for place, values in self._labels.items():
            if any(needle in str(v).lower() for v in values):
                named.append((text(pick(values, prefs)) or place, place))
        for label, place in sorted(named, key=lambda item: (rank(item[0]), item[1]))[:limit]:
            results.append({"kind": "place", "id": place, "label": label, "count": 1,
                            "lat": self._points[place][0], "lon": self._points[place][1]})
        return results[:limit]
