"""How "places near me" scales: the in-process index vs SPARQL cells vs a bounding-box FILTER.

Generates synthetic places (fixed seed, clustered around Dutch towns, some countryside), bulk-loads
them into one on-disk embedded store in steps (10k, then up to 100k, then up to 1M), derives the
geo cells as the app does, and measures at every size, on that same store:
  index     PlaceIndex.current().within(): what /places/nearby uses to find the hits
  nearby()  app.places.nearby(): index + the summary queries for the top 20 (the whole domain call)
  cells     queries/nearby_cells.rq: geohash covering cells, exact distance test in SPARQL
  bbox      queries/nearby_bbox.rq: the bounding-box FILTER baseline, same distance test and order
  endpoint  GET /places/nearby over real HTTP on a warm uvicorn server, sequential requests
It asserts that index, nearby(), cells, bbox and the endpoint return the same top-20 IRIs.

    python bench/nearby.py                       # 10k, 100k, 1M (~6 min on 2 cores)
    python bench/nearby.py --sizes 10000,100000  # quicker
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from rdflib import Literal  # noqa: E402

from app.derived import derive_geo  # noqa: E402
from app.geo import EARTH_RADIUS_M, bounding_box, covering_cells  # noqa: E402
from app.places import NearbyRequest, nearby  # noqa: E402
from app.queries import query  # noqa: E402
from app.spatial import PlaceIndex  # noqa: E402
from app.store.embedded import EmbeddedStore  # noqa: E402
from bench.common import BASE, COUNTRYSIDE, TOWNS, generate, serve, stop, write_ntriples  # noqa: E402

RADII = (250.0, 1000.0, 5000.0)
TOP = 20


def query_points() -> list[tuple[str, float, float]]:
    """Fixed query points: town centres, 1.5 km off a centre, and countryside."""
    points = []
    for name, lat, lon, _ in TOWNS[::5]:
        points.append((f"{name} centre", lat, lon))
        points.append((f"{name} edge", lat + 0.009, lon - 0.013))
    points.extend((f"countryside {k}", lat, lon) for k, (lat, lon) in enumerate(COUNTRYSIDE[:6]))
    return points


def sparql_distance_terms(lat: float, lon: float, radius: float) -> list[tuple[float, ...]]:
    """(?lat0 ?lon0 ?cos0 ?sin0 ?amax) for the distance test of the SPARQL queries."""
    phi = math.radians(lat)
    return [(lat, lon, math.cos(phi), math.sin(phi), math.sin(radius / (2 * EARTH_RADIUS_M)) ** 2)]


def cells_query(lat: float, lon: float, radius: float) -> str:
    cells = [Literal(c) for c in covering_cells(lat, lon, radius)]
    centre = {("lat0", "lon0", "cos0", "sin0", "amax"): sparql_distance_terms(lat, lon, radius)}
    return query("nearby_cells").bind(centre, cell=cells)


def bbox_query(lat: float, lon: float, radius: float) -> str:
    south, north, spans = bounding_box(lat, lon, radius)
    assert len(spans) == 1, "the bench stays away from the antimeridian"
    (west, east), = spans
    return query("nearby_bbox").bind({
        ("lat0", "lon0", "cos0", "sin0", "amax"): sparql_distance_terms(lat, lon, radius),
        ("south", "north"): [(south, north)], ("west", "east"): [(west, east)]})


def sparql_top(store: EmbeddedStore, text: str) -> list[str]:
    return [row[0] for row in store.select_values(text)]


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return (time.perf_counter() - started) * 1000, result


def pct(samples: list[float]) -> tuple[float, float]:
    return float(np.percentile(samples, 50)), float(np.percentile(samples, 99))


def measure_size(store_dir: Path, store: EmbeddedStore, n: int, reps: dict[str, int]) -> tuple[dict, EmbeddedStore]:
    cases = [(name, lat, lon, r) for name, lat, lon in query_points() for r in RADII]
    index = PlaceIndex(store)
    build_ms, _ = timed(index.current)
    samples: dict[str, list[float]] = {m: [] for m in ("index", "nearby()", "cells", "bbox", "endpoint")}
    expected: dict[int, list[str]] = {}
    hits_total = 0
    for k, (name, lat, lon, r) in enumerate(cases):
        hits = index.current().within(lat, lon, r)
        hits_total += len(hits.iris)
        expected[k] = hits.iris[:TOP]
        request = NearbyRequest(lat=lat, lon=lon, radius=r, limit=TOP)
        cells_text, bbox_text = cells_query(lat, lon, r), bbox_query(lat, lon, r)
        runs = {
            "index": lambda lat=lat, lon=lon, r=r: index.current().within(lat, lon, r).iris[:TOP],
            "nearby()": lambda request=request: [item["id"] for item in nearby(store, index, request)["items"]],
            "cells": lambda text=cells_text: sparql_top(store, text),
            "bbox": lambda text=bbox_text: sparql_top(store, text),
        }
        for method, fn in runs.items():
            if reps[method] > 1:
                fn()  # warm (the slow baseline at 1M is run once, cold and warm alike)
            for _ in range(reps[method]):
                ms, top = timed(fn)
                samples[method].append(ms)
            if top != expected[k]:
                raise AssertionError(f"{n} places, {name} r={r:g}: {method} differs from the index\n"
                                     f"  index: {expected[k]}\n  {method}: {top}")
    store.close()
    print(f"{n:>9,} places: in-process done (index built {build_ms / 1000:.1f} s); "
          + "  ".join(f"{m} {pct(v)[0]:.2f}/{pct(v)[1]:.2f}" for m, v in samples.items() if v), flush=True)
    proc, url = serve(str(store_dir), store_dir.parent / "server.log")
    try:
        with httpx.Client(base_url=url, timeout=30) as client:
            for k, (name, lat, lon, r) in enumerate(cases):
                params = {"lat": lat, "lon": lon, "radius": r, "limit": TOP}
                client.get("/places/nearby", params=params)  # warm
                for _ in range(reps["endpoint"]):
                    started = time.perf_counter()
                    response = client.get("/places/nearby", params=params)
                    samples["endpoint"].append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
                top = [item["id"] for item in response.json()["items"]]
                if top != expected[k]:
                    raise AssertionError(f"{n} places, {name} r={r:g}: endpoint differs from the index")
    finally:
        stop(proc)
    return ({"build_ms": build_ms, "mean_hits": hits_total / len(cases), "cases": len(cases),
             **{m: pct(v) for m, v in samples.items()}}, EmbeddedStore(store_dir))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated place counts, ascending")
    parser.add_argument("--dir", help="work directory (default: a temporary one, removed afterwards)")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    lats, lons = generate(max(sizes))
    print(f"load average at start {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{len(query_points()) * len(RADII)} queries per size: {len(query_points())} points × radii "
          f"{', '.join(f'{r:g}' for r in RADII)} m; top {TOP}; p50/p99 in ms", flush=True)
    results = {}
    with tempfile.TemporaryDirectory(prefix="pvb-bench-", dir=args.dir) as tmp:
        store_dir = Path(tmp) / "store"
        store = EmbeddedStore(store_dir)
        loaded = 0
        for n in sizes:
            nt = Path(tmp) / f"places-{loaded}-{n}.nt"
            graph = f"{BASE}id/dataset/bench-{loaded}-{n}"
            started = time.perf_counter()
            write_ntriples(nt, loaded, lats[loaded:n], lons[loaded:n])
            written = time.perf_counter()
            with nt.open("rb") as stream:
                store.load(stream, "application/n-triples", graph=graph, atomic=False)
            bulk_loaded = time.perf_counter()
            nt.unlink()
            derive_geo(store, graph, atomic=False)  # as `pvb load` does
            derived = time.perf_counter()
            gen_ms, load_ms, derive_ms = ((b - a) * 1000 for a, b in
                                          ((started, written), (written, bulk_loaded), (bulk_loaded, derived)))
            print(f"{n:>9,} places: +{n - loaded:,} written {gen_ms / 1000:.1f} s, bulk-loaded {load_ms / 1000:.1f} s, "
                  f"cells derived {derive_ms / 1000:.1f} s", flush=True)
            loaded = n
            big = n >= 1_000_000
            reps = {"index": 20, "nearby()": 10, "cells": 1 if big else 3, "bbox": 1 if big else 3, "endpoint": 10}
            result, store = measure_size(store_dir, store, n, reps)
            result.update(load_s=load_ms / 1000, derive_s=derive_ms / 1000)
            results[n] = result
            print_row(n, result)
        store.close()
    print_table(results)
    return 0


def print_row(n: int, r: dict) -> None:
    figures = "  ".join(f"{m} {r[m][0]:.2f}/{r[m][1]:.2f}" for m in ("index", "nearby()", "cells", "bbox", "endpoint"))
    print(f"{n:>9,} places: index built {r['build_ms']:.0f} ms, {r['mean_hits']:.0f} hits per query on average;"
          f" {figures}", flush=True)


def print_table(results: dict[int, dict]) -> None:
    print("\n| places | index | nearby() | cells SPARQL | bbox SPARQL | endpoint (HTTP) | bbox/cells | bbox/index |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n, r in results.items():
        def cell(m: str, r: dict = r) -> str:
            return f"{r[m][0]:.2f} / {r[m][1]:.2f}"
        print(f"| {n:,} | {cell('index')} | {cell('nearby()')} | {cell('cells')} | {cell('bbox')} | "
              f"{cell('endpoint')} | {r['bbox'][0] / r['cells'][0]:.1f}× | {r['bbox'][0] / r['index'][0]:.0f}× |")
    print("p50 / p99 in ms; ratios of p50. All five return the same top 20 for every query. "
          f"Load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.")
    largest = max(results)
    if largest >= 1_000_000:
        r = results[largest]
        checks = [("index p50 ≤ 2 ms", r["index"][0] <= 2), ("bbox/index ≥ 50", r["bbox"][0] / r["index"][0] >= 50),
                  ("endpoint p50 ≤ 10 ms", r["endpoint"][0] <= 10)]
        print("targets at 1M: " + ", ".join(f"{name}: {'met' if ok else 'MISSED'}" for name, ok in checks))


if __name__ == "__main__":
    sys.exit(main())
