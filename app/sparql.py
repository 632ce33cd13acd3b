"""The public SPARQL endpoint's logic: dataset scoping, SERVICE policy, limits, negotiation. No HTTP here.

Every user query runs against an explicit dataset made of public graphs only, so no FROM, FROM NAMED,
GRAPH ?g, protocol dataset parameter, DESCRIBE or property path can reach `urn:pvb:private:*`.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF

from .errors import BadRequest, Forbidden, NotAcceptable, Problem, QueryTimeout, StoreUnavailable
from .settings import Settings
from .store import GraphStore
from .store.results import CSV, SPARQL_JSON, SPARQL_XML, TSV

PRIVATE_PREFIX = "urn:pvb:private:"
GRAPH_MEDIA_TYPES = ("text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml")
RESULT_MEDIA_TYPES = (SPARQL_JSON, SPARQL_XML, CSV, TSV)
# Media types clients send that mean one of ours.
_ALIASES = {"application/json": SPARQL_JSON, "application/xml": SPARQL_XML, "text/xml": SPARQL_XML,
            "application/x-turtle": "text/turtle", "text/plain": "application/n-triples",
            "application/json+ld": "application/ld+json", "application/xml+rdf": "application/rdf+xml"}
_RDFLIB_FORMATS = {"text/turtle": "turtle", "application/n-triples": "nt", "application/ld+json": "json-ld",
                   "application/rdf+xml": "xml"}
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
_FORMAT_IRIS = {SPARQL_JSON: "SPARQL_Results_JSON", SPARQL_XML: "SPARQL_Results_XML", CSV: "SPARQL_Results_CSV",
                TSV: "SPARQL_Results_TSV", "text/turtle": "Turtle", "application/n-triples": "N-Triples",
                "application/ld+json": "JSON-LD", "application/rdf+xml": "RDF_XML"}


def is_private(graph: str) -> bool:
    return graph.startswith(PRIVATE_PREFIX)


def public_graphs(store: GraphStore) -> list[str]:
    return [g for g in store.named_graphs() if not is_private(g)]


# --- content negotiation -------------------------------------------------------------------------------

def _accept_ranges(accept: str | None) -> list[tuple[str, float]]:
    ranges = []
    for part in (accept or "*/*").split(","):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            if param.lower().startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        if media:
            ranges.append((_ALIASES.get(media.lower(), media.lower()), q))
    return ranges


def negotiate(accept: str | None, offered: Sequence[str]) -> str | None:
    """The offered media type the client likes best (ties: our order), or None."""
    best: tuple[float, int] | None = None
    chosen = None
    for rank, media in enumerate(offered):
        q = 0.0
        specificity = -1
        major = media.split("/")[0]
        for pattern, weight in _accept_ranges(accept):
            level = 2 if pattern == media else 1 if pattern == f"{major}/*" else 0 if pattern == "*/*" else -1
            if level > specificity:
                specificity, q = level, weight
        if specificity >= 0 and q > 0 and (best is None or (q, -rank) > best):
            best, chosen = (q, -rank), media
    return chosen


@dataclass(frozen=True)
class Formats:
    results: str | None
    graph: str | None


def formats_for(accept: str | None) -> Formats:
    formats = Formats(negotiate(accept, RESULT_MEDIA_TYPES), negotiate(accept, GRAPH_MEDIA_TYPES))
    if formats.results is None and formats.graph is None:
        raise NotAcceptable("This endpoint sends " + ", ".join(RESULT_MEDIA_TYPES + GRAPH_MEDIA_TYPES))
    return formats


# --- what the query asks for ----------------------------------------------------------------------------

@dataclass(frozen=True)
class QueryShape:
    """The parts of a query the endpoint's policy looks at."""

    from_graphs: tuple[str, ...] = ()
    from_named: tuple[str, ...] = ()
    services: tuple[str | None, ...] = ()  # None: a variable endpoint (`SERVICE ?x`)


def _unescaped(text: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), text)


def _walk_services(node: object, found: list[str | None]) -> None:
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(node, CompValue):
        if node.name == "ServiceGraphPattern":
            term = node.get("term")
            found.append(str(term) if isinstance(term, URIRef) else None)
        for value in node.values():
            _walk_services(value, found)
    elif isinstance(node, list | tuple):
        for value in node:
            _walk_services(value, found)


def parse_algebra(text: str, *, update: bool):  # noqa: ANN201 - rdflib's algebra types
    """rdflib's algebra of a query or update, or a 400 saying where the syntax breaks."""
    from pyparsing import ParseException
    from rdflib.plugins.sparql.algebra import translateQuery, translateUpdate
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    kind, title = ("SPARQL Update", "Malformed Update") if update else ("SPARQL", "Malformed Query")
    try:
        return translateUpdate(parseUpdate(text)).algebra if update else translateQuery(parseQuery(text)).algebra
    except ParseException as exc:
        raise BadRequest(f"{kind} syntax error at line {exc.lineno}, column {exc.col}: {exc.msg}",
                         title=title) from exc
    except Exception as exc:  # noqa: BLE001 - rdflib raises many types for bad input
        what = "SPARQL Update" if update else "SPARQL query"
        raise BadRequest(f"{what} could not be parsed: {type(exc).__name__}", title=title) from exc


def inspect_query(text: str) -> QueryShape:
    """FROM / FROM NAMED graphs and SERVICE endpoints, from the parsed query.

    Parsing with rdflib costs milliseconds, so it only happens when the (unescaped) text could hold
    one of those keywords at all; a query without the words `from` and `service` has neither.
    """
    lowered = _unescaped(text).lower()
    if "from" not in lowered and "service" not in lowered:
        return QueryShape()
    algebra = parse_algebra(text, update=False)
    from_graphs, from_named = [], []
    for clause in algebra.get("datasetClause") or []:
        if "default" in clause:
            from_graphs.append(str(clause["default"]))
        if "named" in clause:
            from_named.append(str(clause["named"]))
    services: list[str | None] = []
    _walk_services(algebra, services)
    return QueryShape(tuple(from_graphs), tuple(from_named), tuple(services))


def looks_like_update(text: str) -> bool:
    from rdflib.plugins.sparql.parser import parseUpdate

    try:
        parseUpdate(text)
    except Exception:  # noqa: BLE001 - anything that does not parse is not an update
        return False
    return True


# --- running --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class QueryRequest:
    query: str
    default_graph_uris: Sequence[str] = ()
    named_graph_uris: Sequence[str] = ()
    accept: str | None = None
    base_iri: str | None = None


@dataclass
class SparqlEndpoint:
    """Runs user queries with a time limit, a row cap and a bound on how many run at once.

    pyoxigraph cannot cancel a query. Each query runs in its own thread that checks the deadline
    between result rows, so a query that streams (joins, cross products, paths) stops at the
    limit. A query that must finish before its first row (ORDER BY or an aggregate over a huge
    join) is answered with a timeout at the limit too, but its thread runs on until the store is
    done; it keeps one of `max_concurrent` slots meanwhile, so such queries can use up the
    endpoint's slots (then: 503) but never the rest of the server.
    """

    timeout: float
    max_rows: int
    max_concurrent: int
    allowlist: frozenset[str]
    _slots: threading.BoundedSemaphore = field(init=False)

    def __post_init__(self) -> None:
        self._slots = threading.BoundedSemaphore(self.max_concurrent)

    @classmethod
    def from_settings(cls, settings: Settings) -> SparqlEndpoint:
        return cls(settings.sparql_timeout, settings.sparql_max_rows, settings.sparql_max_concurrent,
                   settings.service_allowlist)

    def dataset(self, store: GraphStore, request: QueryRequest, shape: QueryShape) -> tuple[list[str], list[str]]:
        """Protocol parameters win over FROM / FROM NAMED (SPARQL 1.1 Protocol 2.1.4); without
        either, the default graph is the union of the public graphs and all of them are named.
        Private graphs are dropped from whatever is asked: they are simply not in the dataset."""
        public = public_graphs(store)
        if request.default_graph_uris or request.named_graph_uris:
            default, named = list(request.default_graph_uris), list(request.named_graph_uris)
        elif shape.from_graphs or shape.from_named:
            default, named = list(shape.from_graphs), list(shape.from_named)
        else:
            return public, public
        return [g for g in default if not is_private(g)], [g for g in named if not is_private(g)]

    def check_services(self, shape: QueryShape) -> None:
        for endpoint in shape.services:
            if endpoint is None:
                raise Forbidden("SERVICE with a variable endpoint is not allowed on this server.",
                                title="Federated Query Refused")
            if endpoint not in self.allowlist:
                raise Forbidden(f"SERVICE <{endpoint}> is not allowed: this server only federates with the "
                                "endpoints its operator lists (PVB_SPARQL_SERVICE_ALLOWLIST).",
                                title="Federated Query Refused")

    def run(self, store: GraphStore, request: QueryRequest) -> tuple[str, bytes]:
        formats = formats_for(request.accept)
        shape = inspect_query(request.query)
        self.check_services(shape)
        default, named = self.dataset(store, request, shape)
        if not self._slots.acquire(timeout=min(1.0, self.timeout)):
            raise StoreUnavailable("The SPARQL endpoint is busy with other queries; try again shortly.",
                                   headers={"Retry-After": "5"})
        deadline = time.monotonic() + self.timeout
        outcome: dict[str, object] = {}
        done = threading.Event()

        def work() -> None:
            try:
                outcome["value"] = store.query_dataset(
                    request.query, default_graphs=default, named_graphs=named, results_format=formats.results,
                    graph_format=formats.graph, max_rows=self.max_rows, deadline=deadline,
                    base_iri=request.base_iri)
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
                # Drop the frames here: they hold pyoxigraph results, which must die on this thread.
                exc.__traceback__ = exc.__context__ = exc.__cause__ = None
                outcome["error"] = exc
            finally:
                self._slots.release()
                done.set()

        threading.Thread(target=work, name="sparql-query", daemon=True).start()
        if not done.wait(self.timeout + 0.25):
            raise QueryTimeout(f"The query ran past the time limit of {self.timeout:g} s; "
                               "make it more selective or add a LIMIT.")
        if "error" in outcome:
            error = outcome["error"]
            if isinstance(error, BadRequest) and looks_like_update(request.query):
                raise BadRequest("This is a SPARQL Update, not a query: the `query` operation only takes queries, "
                                 "and this public endpoint is read-only.", title="Malformed Query") from error
            if isinstance(error, Problem):
                raise error
            raise StoreUnavailable("The query could not be answered by the store.") from error
        return outcome["value"]  # type: ignore[return-value]


def refuse_update() -> None:
    raise Forbidden("This public SPARQL endpoint is read-only: updates are accepted only from curators "
                    "(Authorization: Bearer <token>), for their institution's graphs.",
                    title="Read-only Endpoint")


def service_description(store: GraphStore, endpoint_url: str, federates: bool = False) -> Graph:
    """SPARQL 1.1 Service Description of the endpoint and its default dataset (public graphs only)."""
    graph = Graph()
    graph.bind("sd", SD)
    service = URIRef(endpoint_url)
    formats = URIRef("http://www.w3.org/ns/formats/")
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, service))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    graph.add((service, SD.feature, SD.UnionDefaultGraph))
    if federates:
        graph.add((service, SD.feature, SD.BasicFederatedQuery))
    for name in _FORMAT_IRIS.values():
        graph.add((service, SD.resultFormat, URIRef(str(formats) + name)))
    dataset = URIRef(endpoint_url + "#dataset")
    default = URIRef(endpoint_url + "#default-graph")
    graph.add((service, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    graph.add((dataset, SD.defaultGraph, default))
    graph.add((default, RDF.type, SD.Graph))
    for name in public_graphs(store):
        node = URIRef(endpoint_url + "#graph-" + hashlib.sha256(name.encode()).hexdigest()[:16])
        graph.add((dataset, SD.namedGraph, node))
        graph.add((node, RDF.type, SD.NamedGraph))
        graph.add((node, SD.name, URIRef(name)))
    graph.add((service, URIRef("http://purl.org/dc/terms/title"), Literal("Plaatsen van Betekenis SPARQL endpoint")))
    return graph


def serialize_graph(graph: Graph, media_type: str) -> bytes:
    return graph.serialize(format=_RDFLIB_FORMATS[media_type], encoding="utf-8")
