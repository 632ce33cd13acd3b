"""The one store interface every backend implements; domain code depends only on this."""

from __future__ import annotations

import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.term import Node

from ..queries import query
from .generation import stamped, touch

Row = dict[str, Node]

# Media types every backend accepts for `load`, with the file extensions that name them.
RDF_MEDIA_TYPES = {
    "text/turtle": (".ttl",),
    "application/n-triples": (".nt",),
    "application/n-quads": (".nq",),
    "application/trig": (".trig",),
    "application/rdf+xml": (".rdf", ".owl", ".xml"),
    "application/ld+json": (".jsonld", ".json"),
    "text/n3": (".n3",),
}
QUAD_MEDIA_TYPES = {"application/n-quads", "application/trig"}


class GraphStore(ABC):
    """An RDF dataset queried with SPARQL 1.1; every write is atomic unless it says otherwise.

    The default graph of `select`/`ask`/`construct` is the union of all graphs: queries that must
    not see private graphs name their graphs explicitly (the public SPARQL endpoint does).
    """

    # Calls answer from memory or local disk in this process (no network wait): see app/api/deps.py.
    in_process = False

    @abstractmethod
    def select(self, query: str) -> list[Row]:
        """Rows of a SELECT as rdflib terms; unbound variables are absent from a row."""

    @abstractmethod
    def select_values(self, query: str) -> Iterator[tuple[str | None, ...]]:
        """Lexical values of a SELECT in projection order: the fast path for bulk reads."""

    @abstractmethod
    def ask(self, query: str) -> bool: ...

    def objects(self, graph: str, predicate: str, subjects: Sequence[str]) -> dict[str, list[str]]:
        """The lexical objects of one predicate for each subject, in one graph: the lookup by key that
        per-request version checks make. One query here; the embedded store reads its index directly."""
        found: dict[str, list[str]] = {}
        if subjects:
            bound = query("objects").bind(graph=URIRef(graph), predicate=URIRef(predicate),
                                          subject=[URIRef(s) for s in subjects])
            for subject, value in self.select_values(bound):
                found.setdefault(subject or "", []).append(value or "")
        return found

    @abstractmethod
    def construct(self, query: str) -> Graph: ...

    @abstractmethod
    def query_dataset(self, query: str, *, default_graphs: Sequence[str], named_graphs: Sequence[str],
                      results_format: str | None, graph_format: str | None,
                      max_rows: int | None = None, deadline: float | None = None,
                      base_iri: str | None = None) -> tuple[str, bytes]:
        """Run a read-only query against exactly the dataset given and return (media type, body).

        For the public SPARQL endpoint, so nothing outside the listed graphs may be seen:
        - `default_graphs`: IRIs whose union is the default graph (`[]` = an empty default graph);
          `named_graphs`: the only graphs `GRAPH` can reach. Both override FROM / FROM NAMED.
        - `results_format`: media type for SELECT/ASK results (`app.store.results.RESULT_MEDIA_TYPES`);
          `graph_format`: for CONSTRUCT/DESCRIBE (text/turtle, application/n-triples,
          application/ld+json, application/rdf+xml). None = the client accepts none: NotAcceptable.
        - more than `max_rows` solutions or triples raises ResultTooLarge; passing `deadline`
          (a `time.monotonic()` value) while producing results raises QueryTimeout.
        - `base_iri` resolves relative IRIs in the query (the endpoint's own URL).
        - syntax errors raise BadRequest with the position; an update raises BadRequest.
        """

    def update(self, update: str, *, public: bool = True) -> None:
        """Run a SPARQL Update request as one transaction: all of it is applied, or none.

        A `public` write also replaces the store's public generation (app/store/generation.py);
        `public=False` only for writes that change nothing cached views are built from."""
        if not public:
            self._update(update)
            return
        combined = stamped(update)
        self._update(combined if combined is not None else update)
        if combined is None:
            self._update(touch())

    def write(self, update: str | None, nquads: Path) -> None:
        """Run `update` (None: nothing to remove) and add every quad of an N-Quads file, as ONE
        transaction: a reader sees all of it or none, and a crash leaves all or none. Public."""
        combined = stamped(update) if update is not None else None
        self._write(combined if combined is not None else update, nquads)
        if combined is None:
            self._update(touch())

    @contextmanager
    def staged_write(self, graph: str | None = None, base_iri: str | None = None) -> Iterator[StagedWrite]:
        """Additions handed over while later ones are still being computed, written as ONE public
        write (like `write(None, …)`) when the block ends, or not at all if it raises. The parts'
        default-graph triples land in `graph`, their relative IRIs resolve against `base_iri`."""
        staged = self._staged_write(graph, base_iri)
        try:
            yield staged
        except BaseException:
            staged.abort()
            raise
        staged.commit()
        self._update(touch())

    def _staged_write(self, graph: str | None, base_iri: str | None) -> StagedWrite:
        return StagedWrite(self, graph, base_iri)

    def load(self, stream: BinaryIO, media_type: str, *, graph: str | None = None,
             base_iri: str | None = None, atomic: bool = True, public: bool = True) -> None:
        """Parse and add RDF. `atomic=False` allows a faster streaming bulk load that may leave
        part of the file behind on failure (for operators loading big files by hand)."""
        self._load(stream, media_type, graph=graph, base_iri=base_iri, atomic=atomic)
        if public:
            self._update(touch())

    @abstractmethod
    def _update(self, update: str) -> None:
        """The backend's SPARQL Update, as one transaction."""

    def _write(self, update: str | None, nquads: Path) -> None:
        """Big dataset versions go through here. This default sends one SPARQL update whose INSERT
        DATA comes from the file; backends override it with faster paths that keep the transaction."""
        self._update(update_with_data(update, nquads))

    @abstractmethod
    def _load(self, stream: BinaryIO, media_type: str, *, graph: str | None,
              base_iri: str | None, atomic: bool) -> None: ...

    @abstractmethod
    def named_graphs(self) -> list[str]: ...

    @abstractmethod
    def quad_count(self) -> int: ...

    @abstractmethod
    def dump(self, out: BinaryIO) -> None:
        """Write every quad as N-Quads, from one consistent snapshot."""

    @abstractmethod
    def dump_graph(self, graph: str, out: BinaryIO) -> None:
        """Write the triples of one graph as N-Triples, in Oxigraph's serialisation (one term, one
        spelling: the same triple is the same line), streamed: a graph may hold millions."""

    @abstractmethod
    def ping(self) -> None:
        """Raise StoreUnavailable when the store cannot answer."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release files or connections."""


def update_with_data(update: str | None, nquads: Path) -> str:
    """`update` followed by an INSERT DATA of the file's quads, as one SPARQL update request.
    The terms are written by Oxigraph's N-Triples serialiser: escaped, never formatted by hand."""
    by_graph: dict[str, list[ox.Triple]] = {}
    with nquads.open("rb") as stream:
        for quad in ox.parse(stream, ox.RdfFormat.N_QUADS):
            if not isinstance(quad.graph_name, ox.NamedNode):
                raise ValueError("update_with_data writes named graphs only")
            by_graph.setdefault(quad.graph_name.value, []).append(ox.Triple(quad.subject, quad.predicate, quad.object))
    blocks = "".join(f"GRAPH <{graph}> {{\n{(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b'').decode()}}}\n"
                     for graph, triples in by_graph.items())
    insert = f"INSERT DATA {{\n{blocks}}}" if blocks else ""
    return " ;\n".join(part for part in (update, insert) if part)


class StagedWrite:
    """The parts of one staged write: Turtle, N-Triples or TriG files, read as ONE TriG document
    (each of those syntaxes is TriG), so a curator's Turtle file is a part as it was uploaded.
    Parts after the first write absolute IRIs only, no prefixed names, and no blank node of the
    first (labels are shared across the parts; prefixes and a base carry over).

    This default converts the parts to N-Quads at commit and writes them in one `_write`; a
    backend may start writing at the first part (EmbeddedStore), as long as nothing becomes
    visible before commit."""

    def __init__(self, store: GraphStore, graph: str | None, base_iri: str | None) -> None:
        self.store = store
        self.graph = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        self.base_iri = base_iri
        self.parts: list[Path] = []

    def add(self, trig: Path) -> None:
        """A part; it must stay in place until commit or abort."""
        self.parts.append(trig)

    def commit(self) -> None:
        with tempfile.TemporaryDirectory(prefix="pvb-staged-") as tmp:
            whole = Path(tmp) / "all.trig"
            with whole.open("wb") as out:
                for part in self.parts:
                    with part.open("rb") as src:
                        shutil.copyfileobj(src, out)
                    out.write(b"\n")
            nquads = Path(tmp) / "all.nq"
            with nquads.open("wb") as out:
                ox.serialize(self._quads(whole), out, ox.RdfFormat.N_QUADS)
            self.store._write(None, nquads)

    def _quads(self, trig: Path) -> Iterator[ox.Quad]:
        for quad in ox.parse(path=trig, format=ox.RdfFormat.TRIG, base_iri=self.base_iri, rename_blank_nodes=True):
            if isinstance(quad.graph_name, ox.DefaultGraph):
                yield ox.Quad(quad.subject, quad.predicate, quad.object, self.graph)
            else:
                yield quad

    def abort(self) -> None:
        self.parts.clear()
