"""Derived data (geo cells and versions), recomputed from a source graph in one transaction."""

from __future__ import annotations

import hashlib
import uuid

from rdflib import Literal, URIRef

from .geo import cell_keys
from .queries import query
from .spatial import read_points
from .store import GraphStore

DERIVED_PREFIX = "urn:pvb:graph:derived:"


def derived_graph(graph: str) -> str:
    """The derived graph of a source graph: stable, so re-deriving replaces it."""
    return DERIVED_PREFIX + hashlib.sha256(graph.encode()).hexdigest()[:24]


def is_derived(graph: str) -> bool:
    return graph.startswith(DERIVED_PREFIX)


def derive_geo(store: GraphStore, graph: str) -> int:
    """Recompute the cell keys of every place in `graph` and give it a new geo version."""
    rows = [(URIRef(place), Literal(key))
            for place, lat, lon in read_points(store, graph) for key in cell_keys(lat, lon)]
    store.update(query("replace_derived_geo").bind(
        {("place", "cell"): rows},
        derived=URIRef(derived_graph(graph)), graph=URIRef(graph), version=Literal(uuid.uuid4().hex)))
    return len(rows)


def drop_derived_geo(store: GraphStore, graph: str) -> None:
    store.update(query("drop_derived_geo").bind(derived=URIRef(derived_graph(graph))))
