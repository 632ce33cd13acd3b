"""The embedded default store: Oxigraph (RocksDB) on disk, so `pvb serve` needs no server."""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from ..errors import BadRequest, NotAcceptable, QueryTimeout, ResultTooLarge, StoreUnavailable
from .base import GraphStore, Row, StagedWrite
from .results import serialize_boolean, serialize_solutions

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_GRAPH_FORMATS = {"text/turtle": ox.RdfFormat.TURTLE, "application/n-triples": ox.RdfFormat.N_TRIPLES,
                  "application/ld+json": ox.RdfFormat.JSON_LD, "application/rdf+xml": ox.RdfFormat.RDF_XML}
_CHECK_EVERY = 256  # rows between deadline checks: cheap, and well under a millisecond apart
BULK_WRITE_BYTES = 1_000_000  # ~10k quads: where the bulk loader starts to beat a transaction
_PREFIXES = {"rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
             "xsd": "http://www.w3.org/2001/XMLSchema#", "skos": "http://www.w3.org/2004/02/skos/core#",
             "dcterms": "http://purl.org/dc/terms/", "schema": "https://schema.org/", "pvb": "https://w3id.org/pvb/ns#",
             "geo": "http://www.w3.org/2003/01/geo/wgs84_pos#", "gsp": "http://www.opengis.net/ont/geosparql#",
             "foaf": "http://xmlns.com/foaf/0.1/", "oa": "http://www.w3.org/ns/oa#", "void": "http://rdfs.org/ns/void#",
             "dcat": "http://www.w3.org/ns/dcat#", "owl": "http://www.w3.org/2002/07/owl#"}


_RESULT_NAMES = ("application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                 "text/tab-separated-values")


def _guarded(items: Iterable, max_rows: int | None, deadline: float | None) -> Iterator:
    """Yield items, raising once there are too many or the deadline has passed."""
    for n, item in enumerate(items, 1):
        if max_rows is not None and n > max_rows:
            raise ResultTooLarge(f"The result has more than {max_rows} rows; add a LIMIT (or page with OFFSET).")
        if deadline is not None and n % _CHECK_EVERY == 0 and time.monotonic() > deadline:
            raise QueryTimeout("The query ran past the time limit; make it more selective or add a LIMIT.")
        yield item


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


def serialize_result(result: object, results_format: str | None, graph_format: str | None,
                     max_rows: int | None, deadline: float | None) -> tuple[str, bytes]:
    """A pyoxigraph query result in the negotiated format, within the row cap and the deadline."""
    if isinstance(result, ox.QueryBoolean):
        if results_format is None:
            raise NotAcceptable("An ASK result can be sent as " + ", ".join(_RESULT_NAMES))
        return results_format, serialize_boolean(bool(result), results_format)
    if isinstance(result, ox.QuerySolutions):
        if results_format is None:
            raise NotAcceptable("SELECT results can be sent as " + ", ".join(_RESULT_NAMES))
        names = [v.value for v in result.variables]
        width = range(len(names))
        rows = [tuple(solution[i] for i in width) for solution in _guarded(result, max_rows, deadline)]
        return results_format, serialize_solutions(names, rows, results_format)
    if graph_format is None:
        raise NotAcceptable("CONSTRUCT and DESCRIBE results can be sent as " + ", ".join(_GRAPH_FORMATS))
    triples = list(_guarded(result, max_rows, deadline))
    fmt = _GRAPH_FORMATS[graph_format]
    prefixes = _PREFIXES if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML) else None
    return graph_format, ox.serialize(triples, format=fmt, prefixes=prefixes)


class EmbeddedStore(GraphStore):
    """Writes are serialised by a lock: RocksDB allows one writer process, and one writer thread
    keeps read-modify-write updates (counters, versions) free of lost updates."""

    in_process = True

    def __init__(self, path: Path | None) -> None:
        if path is None:
            self._store = ox.Store()
        else:
            path.mkdir(parents=True, exist_ok=True)
            try:
                self._store = ox.Store(str(path))
            except OSError as exc:
                raise StoreUnavailable(f"Cannot open the store at {path}: is another process using it?") from exc
            for leftover in path.glob("bulk-*.sst"):  # of a bulk write killed before its ingest
                leftover.unlink(missing_ok=True)
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

    def objects(self, graph: str, predicate: str, subjects: Sequence[str]) -> dict[str, list[str]]:
        """Straight from the index (~5 us a subject): the SPARQL form costs ~0.5 ms, most of it parsing."""
        g, p = ox.NamedNode(graph), ox.NamedNode(predicate)
        found: dict[str, list[str]] = {}
        for subject in subjects:
            values = [q.object.value for q in self._store.quads_for_pattern(ox.NamedNode(subject), p, None, g)]
            if values:
                found[subject] = values
        return found

    def ask(self, query: str) -> bool:
        return bool(self._query(query))

    def construct(self, query: str) -> Graph:
        graph = Graph()
        for triple in self._query(query):
            graph.add((to_rdflib(triple.subject), to_rdflib(triple.predicate), to_rdflib(triple.object)))
        return graph

    def query_dataset(self, query: str, *, default_graphs: Sequence[str], named_graphs: Sequence[str],
                      results_format: str | None, graph_format: str | None,
                      max_rows: int | None = None, deadline: float | None = None,
                      base_iri: str | None = None) -> tuple[str, bytes]:
        try:
            result = self._store.query(query, base_iri=base_iri,
                                       default_graph=[ox.NamedNode(g) for g in default_graphs],
                                       named_graphs=[ox.NamedNode(g) for g in named_graphs])
        except SyntaxError as exc:
            raise BadRequest(f"SPARQL syntax error: {exc}", title="Malformed Query") from exc
        return serialize_result(result, results_format, graph_format, max_rows, deadline)

    def _update(self, update: str) -> None:
        with self._write_lock:
            try:
                self._store.update(update)
            except SyntaxError as exc:
                raise BadRequest(f"SPARQL update syntax error: {exc}") from exc

    def _write(self, update: str | None, nquads: Path) -> None:
        """Only additions: Oxigraph loads the file itself (no SPARQL text to build and parse); with
        removals, one SPARQL update as on every store.

        A big file goes through Oxigraph's bulk loader, ~3x faster and ~1 GB lighter at 1M quads than
        its transactional load (~25 us a quad). It is atomic too: pyoxigraph 0.5 writes every batch to
        sorted files and ingests them all in one RocksDB `IngestExternalFiles` call at the end, so
        readers and a crash see all of the file or none of it (tests/test_store_write.py checks both).
        Under `BULK_WRITE_BYTES` its fixed ~17 ms cost is more than the transaction's. A bulk write
        only adds keys, so it does not wait for the write lock (annotations go on meanwhile)."""
        if update is not None:
            super()._write(update, nquads)
            return
        try:
            if nquads.stat().st_size >= BULK_WRITE_BYTES:
                self._store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)  # only adds: no lock
                return
            with self._write_lock:
                self._store.load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
        except SyntaxError as exc:
            raise BadRequest(f"RDF syntax error: {exc}") from exc

    def _staged_write(self, graph: str | None, base_iri: str | None) -> StagedWrite:
        return _BulkStagedWrite(self, graph, base_iri)

    def _load(self, stream: BinaryIO, media_type: str, *, graph: str | None = None,
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

    def dump_graph(self, graph: str, out: BinaryIO) -> None:
        self._store.dump(out, ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))

    def ping(self) -> None:
        self._store.query("ASK {}")

    def close(self) -> None:
        self._store.flush()
        del self._store


class _BulkStagedWrite(StagedWrite):
    """Starts Oxigraph's bulk loader on the first big part, in a thread, while the caller computes
    the rest (validation, link suggestions): the loader parses, sorts and writes its files as the
    parts arrive, and ingests them only when the feed ends, so an abort leaves nothing behind.
    The parts reach it as one TriG stream: a curator's Turtle file is parsed there as uploaded,
    from the start of the upload, instead of after a private copy has been parsed and dumped.

    The loader reads a named pipe, not a Python stream: a Python `read` would need the GIL for
    every few kB, which the computing caller holds for 5 ms at a time (measured: 2x slower).
    A feeder thread copies the parts into the pipe in blocking writes, without the GIL. Abort
    ends the feed with bytes that fail the parse whatever state the part left it in (a comment,
    an IRI, a string): the loader fails and drops its files."""

    ABORT = b'\n"""\xff'

    def __init__(self, store: EmbeddedStore, graph: str | None, base_iri: str | None) -> None:
        super().__init__(store, graph, base_iri)
        self._parts: queue.Queue[Path | None | bytes] | None = None
        self._threads: list[threading.Thread] = []
        self._error: BaseException | None = None
        self._fifo_dir: str | None = None

    def add(self, trig: Path) -> None:
        if self._parts is None and trig.stat().st_size < BULK_WRITE_BYTES:
            super().add(trig)  # small so far: a transaction at commit
            return
        if self._parts is None:
            self._parts = queue.Queue()
            for earlier in self.parts:
                self._parts.put(earlier)
            self.parts.clear()
            self._fifo_dir = tempfile.mkdtemp(prefix="pvb-bulk-")
            fifo = Path(self._fifo_dir) / "feed.trig"
            os.mkfifo(fifo, 0o600)
            self._threads = [threading.Thread(target=self._load, args=(fifo,), name="pvb-bulk-load", daemon=True),
                             threading.Thread(target=self._feed, args=(fifo,), name="pvb-bulk-feed", daemon=True)]
            for thread in self._threads:
                thread.start()
        self._parts.put(trig)

    def _load(self, fifo: Path) -> None:
        try:
            self.store._store.bulk_load(path=str(fifo), format=ox.RdfFormat.TRIG,  # type: ignore[attr-defined]
                                        base_iri=self.base_iri, to_graph=self.graph)
        except BaseException as exc:  # noqa: BLE001 - handed to the committing thread
            self._error = exc
            with contextlib.suppress(OSError):  # a feeder still waiting to open the pipe may go on
                os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))

    def _feed(self, fifo: Path) -> None:
        assert self._parts is not None
        try:
            with fifo.open("wb", buffering=0) as pipe:
                while (item := self._parts.get()) is not None:
                    if isinstance(item, bytes):
                        pipe.write(item)
                        break
                    with item.open("rb") as src:
                        shutil.copyfileobj(src, pipe, 1 << 20)
                    pipe.write(b"\n")  # a part may end without one (in a comment)
        except BrokenPipeError:
            pass  # the loader stopped reading: it failed, and _load has its error

    def _finish(self, last: None | bytes) -> None:
        assert self._parts is not None
        self._parts.put(last)
        for thread in self._threads:
            thread.join()
        assert self._fifo_dir is not None
        shutil.rmtree(self._fifo_dir, ignore_errors=True)

    def commit(self) -> None:
        if self._parts is None:
            super().commit()
            return
        self._finish(None)
        if self._error is not None:
            raise StoreUnavailable(f"The bulk write failed: {self._error}") from self._error

    def abort(self) -> None:
        if self._parts is None:
            super().abort()
            return
        self._finish(self.ABORT)
