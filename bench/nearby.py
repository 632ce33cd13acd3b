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
import signal
import socket
import subprocess
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

BASE = "http://localhost:8000/"
SEED = 20240601
RADII = (250.0, 1000.0, 5000.0)
TOP = 20

# (name, lat, lon, weight ~ relative size): 42 towns across the Netherlands.
TOWNS = [
    ("Amsterdam", 52.3728, 4.8936, 90), ("Rotterdam", 51.9225, 4.4792, 65), ("Den Haag", 52.0705, 4.3007, 55),
    ("Utrecht", 52.0907, 5.1214, 36), ("Eindhoven", 51.4416, 5.4697, 24), ("Groningen", 53.2194, 6.5665, 24),
    ("Tilburg", 51.5555, 5.0913, 22), ("Almere", 52.3508, 5.2647, 22), ("Breda", 51.5719, 4.7683, 19),
    ("Nijmegen", 51.8126, 5.8372, 18), ("Apeldoorn", 52.2112, 5.9699, 17), ("Haarlem", 52.3874, 4.6462, 17),
    ("Arnhem", 51.9851, 5.8987, 16), ("Enschede", 52.2215, 6.8937, 16), ("Amersfoort", 52.1561, 5.3878, 16),
    ("Zaandam", 52.4559, 4.8286, 15), ("'s-Hertogenbosch", 51.6978, 5.3037, 16), ("Zwolle", 52.5168, 6.0830, 13),
    ("Leiden", 52.1601, 4.4970, 13), ("Maastricht", 50.8514, 5.6910, 12), ("Dordrecht", 51.8133, 4.6901, 12),
    ("Leeuwarden", 53.2012, 5.7999, 12), ("Alkmaar", 52.6324, 4.7534, 11), ("Delft", 52.0116, 4.3571, 10),
    ("Deventer", 52.2661, 6.1552, 10), ("Venlo", 51.3704, 6.1724, 10), ("Assen", 52.9928, 6.5642, 7),
    ("Emmen", 52.7792, 6.9069, 10), ("Hoorn", 52.6424, 5.0597, 7), ("Middelburg", 51.4988, 3.6136, 5),
    ("Gouda", 52.0115, 4.7105, 7), ("Sneek", 53.0325, 5.6589, 3), ("Harlingen", 53.1745, 5.4224, 2),
    ("Kampen", 52.5550, 5.9114, 5), ("Zutphen", 52.1386, 6.2014, 5), ("Roermond", 51.1942, 5.9870, 6),
    ("Heerlen", 50.8882, 5.9795, 9), ("Den Helder", 52.9563, 4.7601, 6), ("Vlissingen", 51.4426, 3.5736, 4),
    ("Hilversum", 52.2292, 5.1669, 9), ("Meppel", 52.6958, 6.1944, 3), ("Drachten", 53.1050, 6.0989, 5),
]
COUNTRYSIDE = [(52.80, 5.90), (53.30, 6.20), (52.05, 6.55), (51.35, 5.20), (52.55, 6.45), (51.95, 5.35),
               (53.05, 6.95), (52.30, 5.70), (51.60, 4.10), (52.85, 5.20)]


def generate(n: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """85 % of places around towns (normal spread growing with town size), 15 % anywhere in the
    country's bounding box: dense centres, sparse countryside, like the monument register."""
    rng = np.random.default_rng(seed)
    towns = np.array([(lat, lon) for _, lat, lon, _ in TOWNS])
    weights = np.array([w for *_, w in TOWNS], dtype=float)
    in_town = rng.random(n) < 0.85
    town = rng.choice(len(TOWNS), size=n, p=weights / weights.sum())
    spread_km = 0.8 + 0.35 * np.sqrt(weights[town])  # 1.3 km (small town) … 4.1 km (Amsterdam)
    lats = towns[town, 0] + rng.normal(0, 1, n) * spread_km / 111.2
    lons = towns[town, 1] + rng.normal(0, 1, n) * spread_km / (111.2 * np.cos(np.radians(towns[town, 0])))
    lats = np.where(in_town, lats, rng.uniform(50.75, 53.55, n))
    lons = np.where(in_town, lons, rng.uniform(3.40, 7.20, n))
    return np.round(lats, 7), np.round(lons, 7)


def place_iri(i: int) -> str:
    return f"{BASE}id/place/bench-{i:07d}"


def write_ntriples(path: Path, start: int, lats: np.ndarray, lons: np.ndarray) -> None:
    """Places start…start+len as N-Triples: a type, a Dutch label and xsd:double coordinates."""
    rdf_type = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    kind = "<https://w3id.org/pvb/ns#HeritagePlace>"
    label = "<http://www.w3.org/2000/01/rdf-schema#label>"
    lat_p = "<http://www.w3.org/2003/01/geo/wgs84_pos#lat>"
    lon_p = "<http://www.w3.org/2003/01/geo/wgs84_pos#long>"
    double = "^^<http://www.w3.org/2001/XMLSchema#double>"
    with path.open("w", encoding="utf-8") as out:
        chunk = 50_000
        for offset in range(0, len(lats), chunk):
            lines = []
            for k, (la, lo) in enumerate(zip(lats[offset:offset + chunk].tolist(),
                                             lons[offset:offset + chunk].tolist(), strict=True)):
                i = start + offset + k
                s = f"<{place_iri(i)}>"
                lines.append(f'{s} {rdf_type} {kind} .\n{s} {label} "Plaats {i}"@nl .\n'
                             f'{s} {lat_p} "{la!r}"{double} .\n{s} {lon_p} "{lo!r}"{double} .\n')
            out.write("".join(lines))


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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(store_dir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "PVB_STORE": str(store_dir), "PVB_LOAD_SAMPLE_DATA": "false", "PVB_LOG_LEVEL": "warning",
           "PVB_BASE_IRI": BASE, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--no-access-log"], cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 3600  # the server builds its index first: minutes at 1M on a busy machine
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(url + "/health", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop_server(proc)
    raise RuntimeError("server did not start")


def stop_server(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


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
    proc, url = start_server(store_dir)
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
        stop_server(proc)
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
