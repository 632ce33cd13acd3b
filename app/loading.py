"""Loading RDF files into the store, and the sample data an empty store starts with."""

from __future__ import annotations

import gzip
import io
import logging
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from rdflib import Literal, URIRef

from . import ROOT
from .derived import derive_geo
from .errors import BadRequest
from .queries import query
from .store import GraphStore
from .store.base import QUAD_MEDIA_TYPES, RDF_MEDIA_TYPES

log = logging.getLogger(__name__)
DATA_DIR = ROOT / "data"
CATALOGUE_GRAPH = "urn:pvb:graph:catalogue"
SYSTEM_GRAPH = "urn:pvb:private:system"
# (file in data/, graph path under the base IRI); the catalogue goes to CATALOGUE_GRAPH.
SAMPLE_FILES = (
    ("rce-monuments.ttl.gz", "id/dataset/rce-monuments"),
    ("cht.ttl.gz", "id/dataset/cht"),
    ("sample-context.ttl", "id/dataset/sample-context"),
    ("catalogue.ttl", None),
)


def media_type_for(path: Path, given: str | None = None) -> str:
    if given:
        return given
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    ext = suffixes[-1] if suffixes else ""
    for media_type, extensions in RDF_MEDIA_TYPES.items():
        if ext in extensions:
            return media_type
    raise BadRequest(f"Cannot tell the RDF syntax of {path.name}; name it with --format")


def open_rdf(path: Path) -> BinaryIO:
    return gzip.open(path, "rb") if path.suffix.lower() == ".gz" else path.open("rb")  # type: ignore[return-value]


def load_file(store: GraphStore, path: Path, *, graph: str | None, base_iri: str, media_type: str | None = None,
              atomic: bool = True, wrap: Callable[[BinaryIO], BinaryIO] | None = None) -> list[str]:
    """Load one file and re-derive the geo data of every graph it touched; returns those graphs."""
    fmt = media_type_for(path, media_type)
    if fmt in QUAD_MEDIA_TYPES and graph:
        raise BadRequest("--graph cannot be used with a quad format (N-Quads, TriG): the file names its graphs")
    with open_rdf(path) as raw:
        stream = wrap(raw) if wrap else raw
        if fmt not in QUAD_MEDIA_TYPES and not graph:
            graph = base_iri + "id/dataset/" + path.name.split(".")[0]
        store.load(stream, fmt, graph=graph, base_iri=base_iri, atomic=atomic)
    # A quad file names its own graphs: re-derive every data graph rather than parse it twice.
    touched = [graph] if graph else [g for g in store.named_graphs() if not g.startswith("urn:pvb:")]
    for name in touched:
        derive_geo(store, name, atomic=atomic)
    return touched


def sample_loaded(store: GraphStore) -> bool:
    return store.ask(query("sample_loaded").text)


def load_sample_data(store: GraphStore, base_iri: str, data_dir: Path = DATA_DIR) -> bool:
    """Load data/ into a store that has nothing else in it; safe to retry after a crash."""
    if sample_loaded(store):
        return False
    sample_graphs = {base_iri + g for _, g in SAMPLE_FILES if g} | {CATALOGUE_GRAPH}
    others = [g for g in store.named_graphs() if g not in sample_graphs and not g.startswith("urn:pvb:")]
    if others:
        log.info("store holds other data (%d graphs): sample data not loaded", len(others))
        return False
    for name, graph in SAMPLE_FILES:
        target = base_iri + graph if graph else CATALOGUE_GRAPH
        store.update(query("clear_graph").bind(graph=URIRef(target)))
        path = data_dir / name
        with open_rdf(path) as stream:
            store.load(io.BytesIO(stream.read()), media_type_for(path), graph=target, base_iri=base_iri)
        if graph:
            derive_geo(store, target)
        log.info("loaded sample data %s into <%s>", name, target)
    store.update(query("mark_sample_loaded").bind(system=URIRef(SYSTEM_GRAPH), base=Literal(base_iri)))
    return True
