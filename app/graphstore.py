"""SPARQL 1.1 Graph Store Protocol: read any public graph; curators change their institution's graphs.

Graphs whose name starts with `urn:pvb:` (private, derived, catalogue, annotations) are written
only by the platform itself. The default graph is the union of the public graphs: it can be read
but not written, since the platform keeps every statement in a named graph.
"""

from __future__ import annotations

import io

import pyoxigraph as ox
from rdflib import URIRef

from .accounts import User
from .derived import derive_geo, drop_derived_geo
from .errors import BadRequest, Forbidden, NotFound, UnsupportedMediaType
from .queries import query
from .sparql import is_private, parse_algebra, public_graphs
from .store import GraphStore
from .terms import iri
from .uploads import MAX_PROLOGUE_BYTES, check_xml_entities, refuse_compressed

SYSTEM_PREFIX = "urn:pvb:"


def exists(store: GraphStore, graph: str) -> bool:
    return store.ask(query("graph_exists").bind(graph=iri(graph)))


def check_readable(store: GraphStore, graph: str) -> None:
    if is_private(graph) or not exists(store, graph):
        raise NotFound(f"No graph <{graph}>")


def check_writable(store: GraphStore, user: User, graph: str | None) -> None:
    if graph is None:
        raise Forbidden("The default graph is the union of the public graphs and cannot be written; "
                        "name a graph with ?graph=")
    if graph.startswith(SYSTEM_PREFIX):
        raise Forbidden(f"<{graph}> is maintained by the platform itself")
    if user.is_admin:
        return
    publishers = {str(row["publisher"]) for row in store.select(query("graph_publishers").bind(graph=iri(graph)))}
    if not publishers & user.curator_of:
        raise Forbidden(f"Only curators of the institution that publishes <{graph}> may change it")


def read(store: GraphStore, graph: str | None, media_type: str) -> bytes:
    """The statements of one graph (or of the default graph: every public graph)."""
    graphs = public_graphs(store) if graph is None else [graph]
    _, body = store.query_dataset("CONSTRUCT WHERE { ?s ?p ?o }", default_graphs=graphs, named_graphs=[],
                                  results_format=None, graph_format=media_type)
    return body


def parse(body: bytes, media_type: str, base_iri: str) -> bytes:
    """Validate an RDF payload and return it as N-Triples, so nothing is changed by a bad request."""
    fmt = ox.RdfFormat.from_media_type(media_type)
    if fmt is None or fmt.supports_datasets:
        raise UnsupportedMediaType(f"Send a graph as Turtle, N-Triples, RDF/XML or JSON-LD, not {media_type!r}")
    refuse_compressed(body[:8])
    if fmt == ox.RdfFormat.RDF_XML:
        check_xml_entities(body[:MAX_PROLOGUE_BYTES])
    try:
        return ox.serialize(ox.parse(body, format=fmt, base_iri=base_iri), format=ox.RdfFormat.N_TRIPLES)
    except SyntaxError as exc:
        raise BadRequest(f"RDF syntax error: {exc}") from exc


def add(store: GraphStore, graph: str, ntriples: bytes) -> None:
    store.load(io.BytesIO(ntriples), "application/n-triples", graph=graph)
    derive_geo(store, graph)


def replace(store: GraphStore, graph: str, ntriples: bytes) -> None:
    """Clear, then load (the payload is already validated); spatial cells follow."""
    store.update(query("clear_graph").bind(graph=URIRef(graph)))
    add(store, graph, ntriples)


def delete(store: GraphStore, graph: str) -> None:
    store.update(query("clear_graph").bind(graph=URIRef(graph)))
    drop_derived_geo(store, graph)


# --- SPARQL Update from curators -------------------------------------------------------------------------

_DATA_OPS = {"InsertData", "DeleteData"}
_GRAPH_OPS = {"Clear", "Drop", "Create"}


def update_graphs(text: str) -> list[str]:
    """The graphs a curator's update changes, or Forbidden/BadRequest for what curators may not send.

    Only operations whose every target is a named IRI are accepted: INSERT DATA / DELETE DATA with
    `GRAPH <g>` blocks, and CLEAR / DROP / CREATE GRAPH <g>. Anything with a WHERE clause could read
    private graphs into public ones, and LOAD fetches URLs, so those go through the Graph Store instead.
    """
    operations = parse_algebra(text, update=True)
    graphs: list[str] = []
    for operation in operations:
        if operation.name in _DATA_OPS:
            if operation.get("triples"):
                raise Forbidden("Name the graph: put the data in a GRAPH <…> block of your institution's dataset")
            graphs += [str(g) for g in operation.get("quads", {})]
        elif operation.name in _GRAPH_OPS and isinstance(operation.get("graphiri"), URIRef):
            graphs.append(str(operation["graphiri"]))
        else:
            raise Forbidden("Curators may send INSERT DATA, DELETE DATA and CLEAR/DROP/CREATE GRAPH <…> here; "
                            "use /rdf-graph-store to replace or add whole graphs")
    return sorted(set(graphs))


def run_update(store: GraphStore, user: User, text: str) -> list[str]:
    """Check every graph first (all or nothing), run the update as one transaction, re-derive cells."""
    graphs = update_graphs(text)
    for graph in graphs:
        check_writable(store, user, graph)
    store.update(text)
    for graph in graphs:
        derive_geo(store, graph)
    return graphs
