"""Dataset upload speed: validate and load triples/s at 100k and 1M triples, against plain rdflib
parsing of the same Turtle file in the same run (the target: load at least 5x rdflib's parse speed).

Every measurement runs in its own fresh process, reading the same file from disk, so the peak
memory (RSS) of an upload is its own and not rdflib's:
- rdflib parse:   `Graph().parse(file)`, the baseline;
- validate:       parse into the private store + SHACL (`pvb validate`, `?dry_run=true`);
- load:           a whole `POST /datasets` minus HTTP: parse, validate, IRI clash check, link
                  suggestions, derived cells, catalogue record, one transactional write, into a
                  fresh embedded store on disk (the default backend);
- load (memory):  the same into an in-memory embedded store: the pipeline without the disk;
- store floor:    Oxigraph's own `Store.bulk_load` of the file into a disk store: the fastest
                  atomic write of these triples the embedded store offers (the load above writes
                  ~30% more quads: cells, catalogue, suggestions).

Modules are imported before the clock starts, as in a running server.

Run: python bench/upload.py [--sizes 100000 1000000]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

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


def _rdflib(path: Path, _tmp: Path) -> None:
    from rdflib import Graph

    Graph().parse(path, format="turtle", publicID=BASE)


def _validate(path: Path, _tmp: Path) -> None:
    from app.datasets import validate_upload

    with path.open("rb") as stream:
        _, report = validate_upload(stream, "text/turtle", BASE + "id/dataset/bench/", None)
    assert report.accepted, report.as_json(limit=3)


def _load(path: Path, tmp: Path, on_disk: bool = True) -> None:
    from app.accounts import User
    from app.datasets import Metadata, save
    from app.spatial import PlaceIndex
    from app.store.embedded import EmbeddedStore

    user = User(account="urn:bench", agent=BASE + "id/agent/bench", username="bench", display_name="Bench",
                curator_of=frozenset({BASE + "id/institution/bench"}))
    store = EmbeddedStore(tmp / "store" if on_disk else None)
    with path.open("rb") as stream:
        record, _ = save(store, PlaceIndex(store), BASE, user, "bench", Metadata("Bench", "http://example.org/l"),
                         stream, "text/turtle", institution=BASE + "id/institution/bench")
    assert record is not None and record["triples"] == int(path.stem), record
    store.close()


def _load_memory(path: Path, tmp: Path) -> None:
    _load(path, tmp, on_disk=False)


def _floor(path: Path, tmp: Path) -> None:
    import pyoxigraph as ox

    store = ox.Store(str(tmp / "floor"))
    store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=BASE + "id/dataset/bench/",
                    to_graph=ox.NamedNode(BASE + "id/dataset/bench"))
    store.flush()


PHASES = {"rdflib parse": _rdflib, "validate": _validate, "load": _load, "load (memory)": _load_memory,
          "store floor": _floor}


def _child(phase: str, path: str, out: mp.Queue) -> None:
    import rdflib  # noqa: F401 - imported before the clock, as in a running server

    import app.accounts  # noqa: F401
    import app.datasets  # noqa: F401
    import app.spatial  # noqa: F401
    import app.store.embedded  # noqa: F401

    with tempfile.TemporaryDirectory(prefix="pvb-bench-") as tmp:
        started = time.perf_counter()
        PHASES[phase](Path(path), Path(tmp))
        elapsed = time.perf_counter() - started
    out.put((elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def measure(phase: str, path: Path) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of one phase in a fresh process."""
    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()
    process = ctx.Process(target=_child, args=(phase, str(path), out))
    process.start()
    process.join()  # the result is a small tuple: the child's queue feeder never blocks on it
    if process.exitcode:
        raise SystemExit(f"{phase} failed ({process.exitcode})")
    return out.get(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", nargs="+", type=int, default=[100_000, 1_000_000])
    args = parser.parse_args()
    report = []
    with tempfile.TemporaryDirectory(prefix="pvb-bench-") as tmp:
        for size in args.sizes:
            path = Path(tmp) / f"{size}.ttl"  # the file name is the triple count the load asserts
            path.write_bytes(turtle(size))
            row = {"triples": size}
            for phase in PHASES:
                seconds, rss = measure(phase, path)
                row[phase] = {"triples_per_s": round(size / seconds), "seconds": round(seconds, 2),
                              "peak_rss_mb": round(rss)}
            base = row["rdflib parse"]["triples_per_s"]
            cells = [f"{size:>9}"] + [
                f"{phase}: {row[phase]['triples_per_s']:>7} t/s ({row[phase]['triples_per_s'] / base:4.1f}x, "
                f"{row[phase]['peak_rss_mb']:,} MB)" for phase in PHASES]
            print("  ".join(cells), flush=True)
            report.append(row)
            path.unlink()
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
