#!/usr/bin/env python3
"""Check the sample data in data/: it parses, has the expected places, and conforms to the shapes.

Usage: python scripts/verify_sample_data.py [--data PATH] [--base IRI] [--skip-shacl]

Loads every file into a pyoxigraph store in the graphs of docs/data-model.md (relative IRIs resolved
against --base), prints counts, then validates all data against ontology/shapes.ttl with pyshacl and
checks that a deliberately broken place is rejected. Exits non-zero on any failure.
"""

from __future__ import annotations

import argparse
import gzip
import sys
from pathlib import Path

import pyoxigraph as ox

FILES = {
    "rce-monuments.ttl.gz": "id/dataset/rce-monuments",
    "cht.ttl.gz": "id/dataset/cht",
    "sample-context.ttl": "id/dataset/sample-context",
    "catalogue.ttl": "urn:pvb:graph:catalogue",
}
BROKEN_PLACE = """
@prefix geo: <http://www.w3.org/2003/01/geo/wgs84_pos#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<id/place/broken> geo:lat "95.0"^^xsd:double ; geo:long "6.1"^^xsd:double .
"""


def read(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


def main(argv=None) -> int:
    root = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=root / "data")
    ap.add_argument("--base", default="http://localhost:8000/")
    ap.add_argument("--skip-shacl", action="store_true")
    args = ap.parse_args(argv)

    store = ox.Store()
    for fname, graph in FILES.items():
        g = ox.NamedNode(graph if graph.startswith("urn:") else args.base + graph)
        store.load(read(args.data / fname), format=ox.RdfFormat.TURTLE, base_iri=args.base, to_graph=g)
        n = len(list(store.quads_for_pattern(None, None, None, g)))
        print(f"{fname}: {n} triples in <{g.value}>")
    print(f"total quads: {len(store)}")
    q = """PREFIX geo: <http://www.w3.org/2003/01/geo/wgs84_pos#>
           SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH ?g { ?s geo:lat ?lat ; geo:long ?long } }"""
    places = int(next(iter(store.query(q)))["n"].value)
    print(f"places: {places}")
    ok = places == 8025
    q = f"""PREFIX dcterms: <http://purl.org/dc/terms/> PREFIX pvb: <https://w3id.org/pvb/ns#>
           SELECT (COUNT(*) AS ?n) WHERE {{ ?w a pvb:Story ; dcterms:spatial <{args.base}id/place/rm-7032> }}"""
    stories_7032 = int(next(iter(store.query(q, use_default_graph_as_union=True)))["n"].value)
    print(f"stories about rm-7032: {stories_7032}")
    ok &= stories_7032 > 0

    if not args.skip_shacl:
        import rdflib
        from pyshacl import validate

        shapes = rdflib.Graph().parse(root / "ontology" / "shapes.ttl", format="turtle")
        data = rdflib.Graph()
        for fname in FILES:
            data.parse(data=read(args.data / fname).decode("utf-8"), format="turtle", publicID=args.base)
        conforms, _, text = validate(data, shacl_graph=shapes, allow_warnings=True)
        print(f"SHACL conforms (warnings allowed): {conforms}")
        if not conforms:
            print(text[:5000])
        ok &= conforms
        _, report, _ = validate(data, shacl_graph=shapes)
        sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
        warnings = len(list(report.subjects(sh.resultSeverity, sh.Warning)))
        print(f"SHACL warnings: {warnings}")

        broken = rdflib.Graph().parse(data=BROKEN_PLACE, format="turtle", publicID=args.base)
        b_conforms, _, b_text = validate(broken, shacl_graph=shapes)
        print(f"broken place (lat 95, no label) conforms: {b_conforms}")
        if not b_conforms:
            print("  " + "\n  ".join(line for line in b_text.splitlines() if "Message" in line))
        ok &= not b_conforms
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
