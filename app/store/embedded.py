"""The embedded default store: Oxigraph (RocksDB) on disk, so `pvb serve` needs no server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from ..errors import BadRequest, StoreUnavailable
from .base import GraphStore, Row

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def to_rdflib(term: object) -> Node | None:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == _XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    return None


def _lexical(term: object) -> str | None:
    return None if term is None else term.value  # type: ignore[attr-defined]


def rdf_format(media_type: str) -> ox.RdfFormat:
    fmt = ox.RdfFormat.from_media_type(media_type.split(";")[0].strip())
    if fmt is None:
        raise BadRequest(f"Unsupported RDF media type {media_type!r}")
    return fmt


class EmbeddedStore(GraphStore):
    """Writes are serialised by a lock: RocksDB allows one writer process, and one writer thread
    keeps read-modify-write updates (counters, versions) free of lost updates."""

    def __init__(self, path: Path | None) -> None:
        if path is None:
            self._store = ox.Store()
        else:
            path.mkdir(parents=True, exist_ok=True)
            try:
                self._store = ox.Store(str(path))
            except OSError as exc:
                raise StoreUnavailable(f"Cannot open the store at {path}: is another process using it?") from exc
        self._write_lock = threading.Lock()

    def _query(self, query: str):  # noqa: ANN202 - pyoxigraph result types
        try:
            return self._store.query(query, use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise BadRequest(f"SPARQL syntax error: {exc}") from exc

    def select(self, query: str) -> list[Row]:
        solutions = self._query(query)
        names = [v.value for v in solutions.variables]
        rows = []
        for solution in solutions:
            row = {}
            for name in names:
                value = solution[name]
                if value is not None:
                    row[name] = to_rdflib(value)
            rows.append(row)
        return rows

    def select_values(self, query: str) -> Iterator[tuple[str | None, ...]]:
        solutions = self._query(query)
        width = len(solutions.variables)
        for solution in solutions:
            yield tuple(_lexical(solution[i]) for i in range(width))

    def ask(self, query: str) -> bool:
        return bool(self._query(query))

    def construct(self, query: str) -> Graph:
        graph = Graph()
        for triple in self._query(query):
            graph.add((to_rdflib(triple.subject), to_rdflib(triple.predicate), to_rdflib(triple.object)))
        return graph

    def update(self, update: str) -> None:
        with self._write_lock:
            try:
                self._store.update(update)
            except SyntaxError as exc:
                raise BadRequest(f"SPARQL update syntax error: {exc}") from exc

    def load(self, stream: BinaryIO, media_type: str, *, graph: str | None = None,
             base_iri: str | None = None, atomic: bool = True) -> None:
        fmt = rdf_format(media_type)
        target = ox.NamedNode(graph) if graph else None
        if fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG) and target is not None:
            raise BadRequest("A graph name cannot be given for a quad format (N-Quads, TriG)")
        with self._write_lock:
            try:
                if atomic:
                    self._store.load(stream, fmt, base_iri=base_iri, to_graph=target)
                else:
                    self._store.bulk_load(stream, fmt, base_iri=base_iri, to_graph=target)
            except SyntaxError as exc:
                raise BadRequest(f"RDF syntax error: {exc}") from exc

    def named_graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def quad_count(self) -> int:
        return len(self._store)

    def dump(self, out: BinaryIO) -> None:
        self._store.dump(out, ox.RdfFormat.N_QUADS)

    def ping(self) -> None:
        self._store.query("ASK {}")

    def close(self) -> None:
        self._store.flush()
        del self._store
