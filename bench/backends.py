"""The same API requests against the embedded store, an Oxigraph server and Virtuoso.

100k synthetic places (bench/common.py: fixed seed, clustered around 42 Dutch towns, a story
about every 50th), loaded in bulk through each store's own path (embedded bulk load, Graph Store
Protocol POST; cells by the bulk path of app/derived.py); then `pvb serve` with 1 and 2
workers per backend, and a closed-loop client (4 threads) timing `/places/nearby` and
`/places/{key}`. Prints p50/p99 latency and req/s, and each figure as a ratio against the
embedded store with one worker measured in the same run. The embedded store is one process's
(RocksDB allows one opener), so it runs with 1 worker only.

    python bench/backends.py [--places 100000] [--requests 400]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.derived import derive_geo  # noqa: E402
from app.settings import Settings  # noqa: E402
from app.store import open_store  # noqa: E402
from bench.common import BASE, generate, place_iri, serve, stop, write_ntriples  # noqa: E402
from tests import servers as srv  # noqa: E402

GRAPH = BASE + "id/dataset/bench-places"


def load(store_spec: str, nt: Path) -> float:
    """The operator's bulk path on every backend (`pvb load`): one bulk load of the file, then the
    cells, bulk-loaded too, with the geo version written last."""
    started = time.perf_counter()
    store = open_store(Settings(store=store_spec, load_sample_data=False, store_timeout=600))
    with nt.open("rb") as stream:
        store.load(stream, "application/n-triples", graph=GRAPH, atomic=False)
    derive_geo(store, GRAPH, atomic=False)
    store.close()
    return time.perf_counter() - started


def start(store_spec: str, workers: int, log: Path) -> tuple[subprocess.Popen, str]:
    # The first index build of a worker reads every coordinate: a long store timeout.
    process, base = serve(store_spec, log, workers=workers, env={"PVB_STORE_TIMEOUT": "120"})
    for _ in range(8 * workers):  # every worker builds its index once: warm them all
        httpx.get(base + "/places/nearby", params={"lat": 52, "lon": 5}, timeout=120)
    return process, base


def run(base: str, paths: list[tuple[str, dict]], threads: int = 4) -> dict[str, float]:
    latencies: list[float] = []
    lock = threading.Lock()
    queue = list(paths)

    def worker() -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            while True:
                with lock:
                    if not queue:
                        return
                    path, params = queue.pop()
                t = time.perf_counter()
                r = client.get(path, params=params)
                elapsed = time.perf_counter() - t
                assert r.status_code == 200, r.text[:300]
                with lock:
                    latencies.append(elapsed)

    started = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    wall = time.perf_counter() - started
    latencies.sort()
    return {"p50": statistics.median(latencies) * 1000, "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000,
            "rps": len(latencies) / wall}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--places", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--backends", default="oxigraph,virtuoso", help="remote backends besides the embedded one")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pvb-bench-"))
    lats, lons = generate(args.places)
    nt = tmp / "places.nt"
    write_ntriples(nt, 0, lats, lons, stories_every=50)
    rng = random.Random(11)
    nearby = [("/places/nearby", {"lat": float(lats[k]) + rng.gauss(0, 0.003),
                                  "lon": float(lons[k]) + rng.gauss(0, 0.004), "radius": 1000, "limit": 20})
              for k in rng.sample(range(args.places), args.requests)]
    contexts = [(f"/places/{place_iri(k).rsplit('/', 1)[1]}", {})
                for k in rng.sample(range(args.places), args.requests)]
    print(f"{args.places} places, {nt.stat().st_size / 1e6:.0f} MB N-Triples; {args.requests} requests per run, "
          f"4 client threads; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)

    backends: list[tuple[str, str, srv.Server | None]] = [("embedded", str(tmp / "embedded"), None)]
    for name in [b for b in args.backends.split(",") if b]:
        reason = srv.available(name)
        if reason:
            print(f"{name}: skipped ({reason})")
            continue
        server = srv.SERVERS[name](tmp / name).start()
        backends.append((name, server.query_url, server))

    results: dict[tuple[str, int, str], dict[str, float]] = {}
    try:
        for name, spec, _ in backends:
            print(f"{name}: loaded and derived in {load(spec, nt):.1f} s", flush=True)
            for workers in (1, 2) if name != "embedded" else (1,):
                try:
                    process, base = start(spec, workers, tmp / f"{name}-{workers}.log")
                except RuntimeError as exc:  # e.g. every worker's first index read timing out at once
                    print(f"  {name} {workers} worker(s): did not start: {str(exc)[-300:]}", flush=True)
                    continue
                try:
                    for kind, requests in (("nearby", nearby), ("context", contexts)):
                        r = results[(name, workers, kind)] = run(base, requests)
                        print(f"  {name} {workers} worker(s) {kind}: p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms, "
                              f"{r['rps']:.0f} req/s", flush=True)
                finally:
                    stop(process)
    finally:
        for _, _, server in backends:
            if server:
                server.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"\n{'backend':10} {'workers':>7} {'request':8} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>7}   "
          "ratio vs embedded (p50, p99, req/s)")
    for (name, workers, kind), r in results.items():
        ref = results[("embedded", 1, kind)]
        print(f"{name:10} {workers:>7} {kind:8} {r['p50']:8.1f} {r['p99']:8.1f} {r['rps']:7.0f}   "
              f"x{r['p50'] / ref['p50']:.2f}, x{r['p99'] / ref['p99']:.2f}, x{r['rps'] / ref['rps']:.2f}")


if __name__ == "__main__":
    main()
