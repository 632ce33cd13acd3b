"""Dataset upload speed: validate and load triples/s at 100k and 1M triples, against plain rdflib
parsing of the same Turtle file in the same run (the target: load at least 5x rdflib's parse speed).

Run: python bench/upload.py [--sizes 100000 1000000]
"""

from __future__ import annotations

import argparse
import io
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rdflib import Graph  # noqa: E402

from app.accounts import User  # noqa: E402
from app.datasets import Metadata, save, validate_upload  # noqa: E402
from app.spatial import PlaceIndex  # noqa: E402
from app.store.embedded import EmbeddedStore  # noqa: E402

BASE = "http://localhost:8000/"
PER_PLACE = 10


def turtle(triples: int) -> bytes:
    out = ["@prefix geo: <http://www.w3.org/2003/01/geo/wgs84_pos#> .",
           "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
           "@prefix schema: <https://schema.org/> .", "@prefix dcterms: <http://purl.org/dc/terms/> .",
           "@prefix pvb: <https://w3id.org/pvb/ns#> .", "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .", ""]
    for n in range(triples // PER_PLACE):
        lat, lon = 52.0 + (n % 2000) / 1000, 4.0 + (n // 2000) / 500
        out.append(
            f'<place/{n}> a pvb:HeritagePlace ; rdfs:label "Plaats {n}"@nl ; dcterms:identifier "{n}" ;\n'
            f'  geo:lat "{lat:.6f}"^^xsd:double ; geo:long "{lon:.6f}"^^xsd:double ;\n'
            f'  pvb:municipality "Gemeente {n % 300}" ; schema:url <https://example.org/p/{n}> ;\n'
            f'  schema:address <place/{n}#address> .\n'
            f'<place/{n}#address> a schema:PostalAddress ; schema:streetAddress "Straat {n % 500} {n % 97}" .')
    return "\n".join(out).encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", nargs="+", type=int, default=[100_000, 1_000_000])
    args = parser.parse_args()
    user = User(account="urn:bench", agent=BASE + "id/agent/bench", username="bench", display_name="Bench",
                curator_of=frozenset({BASE + "id/institution/bench"}))
    print(f"{'triples':>9} {'rdflib parse':>14} {'validate':>22} {'validate+load':>22}  peak RSS")
    for size in args.sizes:
        data = turtle(size)
        started = time.perf_counter()
        Graph().parse(data=data, format="turtle", publicID=BASE)
        rdflib_rate = size / (time.perf_counter() - started)

        started = time.perf_counter()
        _, report = validate_upload(io.BytesIO(data), "text/turtle", BASE + "id/dataset/bench/", None)
        validate_rate = size / (time.perf_counter() - started)
        assert report.accepted, report.as_json(limit=3)

        with tempfile.TemporaryDirectory() as tmp:
            store = EmbeddedStore(Path(tmp) / "store")
            started = time.perf_counter()
            record, _ = save(store, PlaceIndex(store), BASE, user, "bench", Metadata("Bench", "http://example.org/l"),
                             io.BytesIO(data), "text/turtle", institution=BASE + "id/institution/bench")
            load_rate = size / (time.perf_counter() - started)
            assert record is not None and record["triples"] >= size * 0.99, record
            store.close()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{size:>9} {rdflib_rate:>9.0f} t/s  {validate_rate:>9.0f} t/s ({validate_rate / rdflib_rate:4.1f}x)"
              f"  {load_rate:>9.0f} t/s ({load_rate / rdflib_rate:4.1f}x)  {rss:,.0f} MB", flush=True)


if __name__ == "__main__":
    main()
