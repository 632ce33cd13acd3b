"""Linked Data: platform IRIs dereferenced as RDF or a readable page, and the VoID description.

Everything here reads only the public graphs, through the same explicit-dataset path as the
SPARQL endpoint, so a resource page can never show what a private graph says about it.
"""

from __future__ import annotations

import html
from collections import defaultdict
from urllib.parse import quote

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

from .errors import NotFound
from .lang import pick
from .queries import query
from .sparql import public_graphs
from .store import GraphStore
from .terms import iri as valid_iri

RDF_TYPES = {"text/turtle": ox.RdfFormat.TURTLE, "application/ld+json": ox.RdfFormat.JSON_LD,
             "application/n-triples": ox.RdfFormat.N_TRIPLES, "application/rdf+xml": ox.RdfFormat.RDF_XML}
PREFIXES = {"rdf": str(RDF), "rdfs": str(RDFS), "xsd": str(XSD), "skos": str(SKOS), "dcterms": str(DCTERMS),
            "schema": "https://schema.org/", "pvb": "https://w3id.org/pvb/ns#",
            "geo": "http://www.w3.org/2003/01/geo/wgs84_pos#", "gsp": "http://www.opengis.net/ont/geosparql#",
            "foaf": "http://xmlns.com/foaf/0.1/", "oa": "http://www.w3.org/ns/oa#", "void": "http://rdfs.org/ns/void#",
            "dcat": "http://www.w3.org/ns/dcat#", "prov": "http://www.w3.org/ns/prov#", "org": "http://www.w3.org/ns/org#",
            "owl": "http://www.w3.org/2002/07/owl#", "sd": "http://www.w3.org/ns/sparql-service-description#"}
VOID = Namespace("http://rdfs.org/ns/void#")
GEO = Namespace("http://www.w3.org/2003/01/geo/wgs84_pos#")
SCHEMA = Namespace("https://schema.org/")
_LABELS = (RDFS.label, SKOS.prefLabel, DCTERMS.title, SCHEMA.name, URIRef("http://xmlns.com/foaf/0.1/name"))


def serialize(ntriples: bytes, media_type: str) -> bytes:
    """Re-serialize N-Triples natively (fast), with the platform's prefixes where the format has them."""
    if media_type == "application/n-triples":
        return ntriples
    fmt = RDF_TYPES[media_type]
    # grouped by subject, so Turtle writes each resource as one block
    triples = sorted(ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES),
                     key=lambda t: (str(t.subject), str(t.predicate)))
    return ox.serialize(triples, format=fmt, prefixes=PREFIXES if fmt != ox.RdfFormat.JSON_LD else None)


def describe(store: GraphStore, iri: str, kind: str) -> bytes:
    """The public description of one resource as N-Triples; NotFound when no public graph has it."""
    resource = valid_iri(iri)
    name = "place_graph" if kind == "place" else "resource_description"
    graphs = public_graphs(store)
    _, body = store.query_dataset(query(name).bind(**{"place" if kind == "place" else "r": resource}),
                                  default_graphs=graphs, named_graphs=[], results_format=None,
                                  graph_format="application/n-triples")
    if not body.strip() or f"<{iri}>".encode() not in body:
        raise NotFound(f"Nothing is known about <{iri}>")
    return body


# --- the HTML page --------------------------------------------------------------------------------------

def _local(node: URIRef, base: str) -> str:
    """Where a link goes: platform IRIs to this server (so pages work under any host), others as they are."""
    value = str(node)
    if value.startswith(base + "id/"):
        return "/" + value[len(base):]
    return value


def _curie(node: URIRef) -> str:
    value = str(node)
    for prefix, ns in PREFIXES.items():
        if value.startswith(ns) and len(value) > len(ns):
            return f"{prefix}:{value[len(ns):]}"
    return value


def _label(graph: Graph, node: object, prefs: list[str]) -> str | None:
    for predicate in _LABELS:
        found = pick(graph.objects(node, predicate), prefs)
        if found is not None:
            return str(found)
    return None


def _term_html(graph: Graph, node: object, base: str, prefs: list[str]) -> str:
    if isinstance(node, URIRef):
        label = _label(graph, node, prefs)
        text = html.escape(label or _curie(node))
        return f'<a href="{html.escape(_local(node, base), quote=True)}">{text}</a>'
    if isinstance(node, Literal):
        lang = f' <span class="lang">@{html.escape(node.language)}</span>' if node.language else ""
        return html.escape(str(node)) + lang
    if isinstance(node, BNode):
        return "<em>(node)</em>"
    return html.escape(str(node))


def page(ntriples: bytes, iri: str, base: str, prefs: list[str], alternates: list[tuple[str, str]]) -> str:
    graph = Graph().parse(data=ntriples.decode(), format="nt")
    subject = URIRef(iri)
    title = _label(graph, subject, prefs) or iri
    types = [_term_html(graph, t, base, prefs) for t in sorted(graph.objects(subject, RDF.type))]
    rows: dict[URIRef, list[str]] = defaultdict(list)
    for predicate, obj in sorted(graph.predicate_objects(subject)):
        if predicate != RDF.type:
            rows[predicate].append(_term_html(graph, obj, base, prefs))
    incoming: dict[URIRef, list[str]] = defaultdict(list)
    for s, predicate in sorted(graph.subject_predicates(subject)):
        if s != subject:
            incoming[predicate].append(_term_html(graph, s, base, prefs))
    lat, lon = graph.value(subject, GEO.lat), graph.value(subject, GEO.long)
    position = ""
    if lat is not None and lon is not None:
        la, lo = float(lat), float(lon)
        position = (f'<section><h2>Position</h2><p class="pos">WGS84 {la:.6f}, {lo:.6f} — '
                    f'<a href="geo:{la:.6f},{lo:.6f}">geo:</a> · '
                    f'<a href="/places/nearby?lat={la:.6f}&amp;lon={lo:.6f}&amp;radius=500">nearby places</a></p>'
                    f"{_dot_map(la, lo)}</section>")

    def table(data: dict[URIRef, list[str]]) -> str:
        return "<table>" + "".join(
            f'<tr><th><a href="{html.escape(str(p), quote=True)}">{html.escape(_curie(p))}</a></th>'
            f"<td>{'<br>'.join(values)}</td></tr>" for p, values in data.items()) + "</table>"

    links = " · ".join(f'<a href="?format={quote(name)}" type="{t}">{html.escape(name)}</a>' for t, name in alternates)
    return f"""<!doctype html>
<html lang="{html.escape(prefs[0] if prefs else 'nl')}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} — Plaatsen van Betekenis</title>
{''.join(f'<link rel="alternate" type="{t}" href="?format={quote(n)}">' for t, n in alternates)}
<link rel="stylesheet" href="/static/pvb.css"></head>
<body class="resource"><header><p><a href="/sparql">SPARQL</a> · <a href="/.well-known/void">VoID</a></p>
<h1>{html.escape(title)}</h1><p class="iri">{html.escape(iri)}</p>
<p>{' · '.join(types)}</p><p>Also as: {links}</p></header>
{position}
<section><h2>Statements</h2>{table(rows)}</section>
{'<section><h2>Linked from</h2>' + table(incoming) + '</section>' if incoming else ''}
</body></html>"""


def _dot_map(lat: float, lon: float) -> str:
    """A plain locator: the point within the northern Netherlands (no tiles, no scripts)."""
    west, east, south, north = 4.5, 7.5, 52.0, 53.8
    width, height = 300, 180
    x = max(0.0, min(1.0, (lon - west) / (east - west))) * width
    y = max(0.0, min(1.0, (north - lat) / (north - south))) * height
    return (f'<svg class="pos" width="{width}" height="{height}" role="img" aria-label="Position in the northern '
            f'Netherlands"><rect width="{width}" height="{height}" fill="#eef3f8"/>'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="#c0392b"/></svg>')


# --- VoID -----------------------------------------------------------------------------------------------

def void_description(store: GraphStore, base: str) -> Graph:
    """The whole dataset and each dataset graph the catalogue describes, with their sizes."""
    graph = Graph()
    for prefix, ns in PREFIXES.items():
        graph.bind(prefix, ns)
    whole = URIRef(base + ".well-known/void#dataset")
    graph.add((whole, RDF.type, VOID.Dataset))
    graph.add((whole, DCTERMS.title, Literal("Plaatsen van Betekenis", lang="nl")))
    graph.add((whole, VOID.sparqlEndpoint, URIRef(base + "sparql")))
    graph.add((whole, VOID.uriSpace, Literal(base + "id/")))
    graph.add((whole, VOID.rootResource, URIRef(base + "id/dataset/rce-monuments")))
    for vocabulary in ("https://schema.org/", str(DCTERMS), str(SKOS), "http://www.w3.org/ns/oa#", str(GEO),
                       "https://w3id.org/pvb/ns#"):
        graph.add((whole, VOID.vocabulary, URIRef(vocabulary)))
    public = set(public_graphs(store))
    catalogue = store.construct(query("void_datasets").text)
    datasets = {s for s in catalogue.subjects() if isinstance(s, URIRef) and str(s) in public}
    for triple in catalogue:
        if triple[0] in datasets:
            graph.add(triple)
    stats = store.select(query("void_statistics").bind(g=sorted(datasets))) if datasets else []
    total = 0
    for row in stats:
        dataset = row["g"]
        graph.add((whole, VOID.subset, dataset))
        graph.add((dataset, RDF.type, VOID.Dataset))
        graph.add((dataset, VOID.sparqlEndpoint, URIRef(base + "sparql")))
        for key, predicate in (("triples", VOID.triples), ("subjects", VOID.distinctSubjects),
                               ("classes", VOID.classes)):
            value = int(row[key]) if key in row else 0
            graph.add((dataset, predicate, Literal(value, datatype=XSD.integer)))
        total += int(row["triples"])
    graph.add((whole, VOID.triples, Literal(total, datatype=XSD.integer)))
    return graph
