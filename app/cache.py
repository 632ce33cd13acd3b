"""Per-worker caches of views that take many queries to build, each entry kept with the stamp (the
store versions) it was built at. An entry is served only while the store still shows that stamp,
which the caller reads (key lookups) *before* building anything: so a write that lands while
a view is being built leaves an entry stamped older than the store, never served again.

Stamps: a place's social version (app/social.py), renewed with every change to an annotation about
it, and the store's public generation (app/store/generation.py), renewed with every other write.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

from .store import GraphStore
from .store.generation import current as current_generation


class StampedCache:
    """A thread-safe LRU of (stamp, value)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[Hashable, tuple[Hashable, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, stamp: Hashable) -> Any | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != stamp:
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: Hashable, stamp: Hashable, value: Any) -> None:
        with self._lock:
            self._entries[key] = (stamp, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


@dataclass(frozen=True)
class Stamp:
    generation: str | None
    social_version: str | None


@dataclass
class ViewCaches:
    """One worker's caches. Sizes: a place's own part is a few kB, skeletons and whole contexts a
    few kB to ~40 kB each (a place with 1,000 annotations); annotation counts a small dict per place;
    nearby's summaries ~1 kB per place and languages."""

    places: StampedCache = field(default_factory=lambda: StampedCache(1024))  # what the datasets say
    skeletons: StampedCache = field(default_factory=lambda: StampedCache(512))
    contexts: StampedCache = field(default_factory=lambda: StampedCache(1024))
    counts: StampedCache = field(default_factory=lambda: StampedCache(200_000))
    summaries: StampedCache = field(default_factory=lambda: StampedCache(100_000))  # ~1-2 kB a place


SOCIAL_GRAPH = "urn:pvb:private:social"
SOCIAL_VERSION = "https://w3id.org/pvb/ns#socialVersion"


def social_versions(store: GraphStore, places: Iterable[str]) -> dict[str, str | None]:
    """The social version of each place (None: no annotations yet). A place with two versions (two
    workers touching it at once, before either saw the other) is left out, so nothing is cached for
    it until the next touch. A key lookup, not a query, on the embedded store: nearby reads this for
    every page."""
    chosen = sorted(set(places))
    found = store.objects(SOCIAL_GRAPH, SOCIAL_VERSION, chosen)
    return {place: (found.get(place) or [None])[0] for place in chosen if len(found.get(place, ())) <= 1}


def read_stamps(store: GraphStore, places: Iterable[str], generation: str | None = None) -> dict[str, Stamp]:
    """The stamp of each place: the generation first (`generation`: one the caller read just before),
    then the social versions (read before the view is built, see the module docstring). No stamps
    while the store has no single generation."""
    if generation is None:
        generation = current_generation(store)
    if generation is None:
        return {}
    return {place: Stamp(generation, version) for place, version in social_versions(store, places).items()}
