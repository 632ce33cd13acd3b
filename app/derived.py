"""Derived data (geo cells and versions), recomputed from a source graph.

By default in one transaction (one SPARQL update): readers see the old cells or the new ones.
Operators' bulk loads (`pvb load`, no server on the store) take the bulk path, because one update
that writes millions of cells runs for many minutes: there the cells are bulk-loaded and the
version, which the spatial index keys on, is written last in its own small update.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Iterator

import numpy as np
import pyoxigraph as ox
from rdflib import Literal, URIRef

from .geo import CELL_PRECISIONS, geohash_many
from .queries import query
from .spatial import read_points
from .store import GraphStore
from .terms import iri

DERIVED_PREFIX = "urn:pvb:graph:derived:"
GEO_CELL = "https://w3id.org/pvb/ns#geoCell"
GEO_VERSION = "https://w3id.org/pvb/ns#geoVersion"
PROV_DERIVED = "http://www.w3.org/ns/prov#wasDerivedFrom"
BULK_CHUNK = 200_000  # places per bulk-loaded batch of cells


def derived_graph(graph: str) -> str:
    """The derived graph of a source graph: stable, so re-deriving replaces it."""
    return DERIVED_PREFIX + hashlib.sha256(graph.encode()).hexdigest()[:24]


def is_derived(graph: str) -> bool:
    return graph.startswith(DERIVED_PREFIX)


def derived_lines(graph: str, points: list[tuple[str, float, float]], version: str) -> Iterator[bytes]:
    """The whole derived graph of `graph` for these places (cell keys at every precision, the geo
    version) as N-Triples lines in Oxigraph's spelling: what `replace_derived_geo` would write,
    without a SPARQL update to build and run (300k cells at 1M triples), and comparable line by
    line with a dump of the stored graph (app/graphdiff.py)."""
    lats = np.fromiter((p[1] for p in points), dtype=np.float64, count=len(points))
    lons = np.fromiter((p[2] for p in points), dtype=np.float64, count=len(points))
    full = geohash_many(lats, lons, max(CELL_PRECISIONS)).tolist()
    cell = f" {ox.NamedNode(GEO_CELL)} "
    for (place, _, _), key in zip(points, full, strict=True):
        subject = str(ox.NamedNode(place))
        for p in CELL_PRECISIONS:
            yield f'{subject}{cell}"{key[:p]}" .\n'.encode()
    source, derived = ox.NamedNode(graph), ox.NamedNode(derived_graph(graph))
    yield f"{source} {ox.NamedNode(GEO_VERSION)} {ox.Literal(version)} .\n".encode()
    yield f"{derived} {ox.NamedNode(PROV_DERIVED)} {source} .\n".encode()


def _cells(store: GraphStore, graph: str) -> tuple[list[str], list[np.ndarray]]:
    """The places of a graph and their cell keys, one array per precision in CELL_PRECISIONS."""
    points = read_points(store, graph)
    places = [str(iri(p)) for p, _, _ in points]
    lats = np.fromiter((p[1] for p in points), dtype=np.float64, count=len(points))
    lons = np.fromiter((p[2] for p in points), dtype=np.float64, count=len(points))
    full = geohash_many(lats, lons, max(CELL_PRECISIONS))
    return places, [full.astype(f"<U{p}") for p in CELL_PRECISIONS]


def derive_geo(store: GraphStore, graph: str, *, atomic: bool = True) -> int:
    """Recompute the cell keys of every place in `graph` and give it a new geo version; returns
    the number of cell keys. `atomic=False` is the bulk path (see the module docstring): only
    for stores no one reads while it runs."""
    places, keys = _cells(store, graph)
    derived, version = URIRef(derived_graph(graph)), Literal(uuid.uuid4().hex)
    if atomic:
        rows = [(URIRef(place), Literal(str(k[i]))) for i, place in enumerate(places) for k in keys]
        store.update(query("replace_derived_geo").bind(
            {("place", "cell"): rows}, derived=derived, graph=URIRef(graph), version=version))
        return len(rows)
    drop_derived_geo(store, graph)
    predicate = f"<{GEO_CELL}>"
    for start in range(0, len(places), BULK_CHUNK):
        chunk = places[start:start + BULK_CHUNK]
        lines = [f'<{place}> {predicate} "{k[start + i]}" .\n' for i, place in enumerate(chunk) for k in keys]
        store.load(io.BytesIO("".join(lines).encode()), "application/n-triples", graph=str(derived), atomic=False)
    store.update(query("set_geo_version").bind(derived=derived, graph=URIRef(graph), version=version))
    return len(places) * len(keys)


def drop_derived_geo(store: GraphStore, graph: str) -> None:
    store.update(query("drop_derived_geo").bind(derived=URIRef(derived_graph(graph))))
