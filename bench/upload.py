"""Dataset upload speed: validate and load triples/s at 100k and 1M triples, against plain rdflib
parsing of the same Turtle file in the same run (the target: load at least 5x rdflib's parse speed).

Every measurement runs in its own fresh process, reading the same file from disk, so the peak
memory (RSS) of an upload is its own and not rdflib's:
- rdflib parse:   `Graph().parse(file)`, the baseline;
- validate:       parse into the private store + SHACL (`pvb validate`, `?dry_run=true`);
- load:           a whole `POST /datasets` minus HTTP: one atomic staged bulk write that starts on
                  the Turtle file as uploaded, while the app parses its own copy, computes link
                  suggestions, derived cells and the catalogue record, and validates (with the
                  IRI clash check), into a fresh embedded store on disk (the default backend);
- load (memory):  the same into an in-memory embedded store: the pipeline without the disk;
- store floor:    Oxigraph's own `Store.bulk_load` of the file into a disk store: the fastest
                  atomic write of these triples the embedded store offers (the load above writes
                  ~30% more quads: cells, catalogue, suggestions);
- replace (10%):  `PUT /datasets/{id}` minus HTTP on the loaded dataset, with a new version in which
                  every tenth place has a new name (the version before is kept, packed);
- rollback:       `POST /datasets/{id}/rollback` minus HTTP, back to the first version.
The replace and rollback rates count the whole dataset's triples, like the others. The clock
covers only the measured operation: their setup (the uploads before) is not timed, but their peak
memory includes it.

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


def turtle(triples: int, revised: bool = False) -> bytes:
    out = ["@prefix geo: <http://www.w3.org/2003/01/geo/wgs84_pos#> .",
           "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .",
           "@prefix schema: <https://schema.org/> .", "@prefix dcterms: <http://purl.org/dc/terms/> .",
           "@prefix pvb: <https://w3id.org/pvb/ns#> .", "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .", ""]
    def suffix(n: int) -> str:
        return " (herzien)" if revised and n % 10 == 0 else ""

    for n in range(triples // PER_PLACE):
        lat, lon = 52.0 + (n % 2000) / 1000, 4.0 + (n // 2000) / 500
        out.append(
            f'<place/{n}> a pvb:HeritagePlace ; rdfs:label "Plaats {n}{suffix(n)}"@nl ; dcterms:identifier "{n}" ;\n'
            f'  geo:lat "{lat:.6f}"^^xsd:double ; geo:long "{lon:.6f}"^^xsd:double ;\n'
            f'  pvb:municipality "Gemeente {n % 300}" ; schema:url <https://example.org/p/{n}> ;\n'
            f'  schema:address <place/{n}#address> .\n'
            f'<place/{n}#address> a schema:PostalAddress ; schema:streetAddress "Straat {n % 500} {n % 97}" .')
    return "\n".join(out).encode()


def _rdflib(path: Path, _tmp: Path) -> float:
    from rdflib import Graph

    started = time.perf_counter()
    Graph().parse(path, format="turtle", publicID=BASE)
    return time.perf_counter() - started


def _validate(path: Path, _tmp: Path) -> float:
    from app.datasets import validate_upload

    started = time.perf_counter()
    with path.open("rb") as stream:
        _, report = validate_upload(stream, "text/turtle", BASE + "id/dataset/bench/", None)
    assert report.accepted, report.as_json(limit=3)
    return time.perf_counter() - started


class _Curator:
    """A curator's uploads into a fresh embedded store, as `POST/PUT /datasets` make them."""

    def __init__(self, tmp: Path, on_disk: bool = True) -> None:
        from app.accounts import User
        from app.spatial import PlaceIndex
        from app.store.embedded import EmbeddedStore

        self.user = User(account="urn:bench", agent=BASE + "id/agent/bench", username="bench", display_name="Bench",
                         curator_of=frozenset({BASE + "id/institution/bench"}))
        self.store = EmbeddedStore(tmp / "store" if on_disk else None)
        self.index = PlaceIndex(self.store)

    def upload(self, path: Path, replace: bool = False) -> dict:
        from app.datasets import Metadata, save

        with path.open("rb") as stream:
            record, _ = save(self.store, self.index, BASE, self.user, "bench", Metadata("Bench", "http://example.org/l"),
                             stream, "text/turtle", institution=None if replace else BASE + "id/institution/bench",
                             replace=replace)
        assert record is not None
        return record


def _load(path: Path, tmp: Path, on_disk: bool = True) -> float:
    curator = _Curator(tmp, on_disk)
    started = time.perf_counter()
    record = curator.upload(path)
    elapsed = time.perf_counter() - started
    assert record["triples"] == int(path.stem), record
    curator.store.close()
    return elapsed


def _load_memory(path: Path, tmp: Path) -> float:
    return _load(path, tmp, on_disk=False)


def _floor(path: Path, tmp: Path) -> float:
    import pyoxigraph as ox

    store = ox.Store(str(tmp / "floor"))
    started = time.perf_counter()
    store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=BASE + "id/dataset/bench/",
                    to_graph=ox.NamedNode(BASE + "id/dataset/bench"))
    store.flush()
    return time.perf_counter() - started


def _revised(path: Path) -> Path:
    return path.with_name(f"{path.stem}-revised.ttl")


def _replace(path: Path, tmp: Path) -> float:
    curator = _Curator(tmp)
    curator.upload(path)
    started = time.perf_counter()
    record = curator.upload(_revised(path), replace=True)
    elapsed = time.perf_counter() - started
    assert record["version"] == 2 and record["triples"] == int(path.stem), record
    curator.store.close()
    return elapsed


def _rollback(path: Path, tmp: Path) -> float:
    from app.datasets import rollback

    curator = _Curator(tmp)
    curator.upload(path)
    curator.upload(_revised(path), replace=True)
    started = time.perf_counter()
    record = rollback(curator.store, curator.index, BASE, curator.user, "bench")
    elapsed = time.perf_counter() - started
    assert record["version"] == 1 and record["triples"] == int(path.stem), record
    curator.store.close()
    return elapsed


PHASES = {"rdflib parse": _rdflib, "validate": _validate, "load": _load, "load (memory)": _load_memory,
          "store floor": _floor, "replace (10%)": _replace, "rollback": _rollback}


def _child(phase: str, path: str, out: mp.Queue) -> None:
    import rdflib  # noqa: F401 - imported before the clock, as in a running server

    import app.accounts  # noqa: F401
    import app.datasets  # noqa: F401
    import app.spatial  # noqa: F401
    import app.store.embedded  # noqa: F401

    with tempfile.TemporaryDirectory(prefix="pvb-bench-") as tmp:
        elapsed = PHASES[phase](Path(path), Path(tmp))
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
            _revised(path).write_bytes(turtle(size, revised=True))
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
            _revised(path).unlink()
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
