"""The same API requests against the embedded store, an Oxigraph server and Virtuoso.

100k synthetic places (fixed seed, clustered around 40 towns), loaded in bulk through each
store's own path (embedded bulk load, Graph Store Protocol POST); then `pvb serve` with 1 and 2
workers per backend, and a closed-loop client (4 threads) timing `/places/nearby` and
`/places/{key}`. Prints p50/p99 latency and req/s, and each figure as a ratio against the
embedded store with one worker measured in the same run. The embedded store is one process's
(RocksDB allows one opener), so it runs with 1 worker only.

    python bench/backends.py [--places 100000] [--requests 400]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import signal
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
from tests import servers as srv  # noqa: E402

GRAPH = "https://example.org/bench/places"
GEO = "http://www.w3.org/2003/01/geo/wgs84_pos#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
DCT = "http://purl.org/dc/terms/"
PVB = "https://w3id.org/pvb/ns#"
XSD = "http://www.w3.org/2001/XMLSchema#"
BASE = "http://localhost:8000/"


def synthetic(n: int, seed: int = 7) -> tuple[bytes, list[tuple[str, float, float]]]:
    rng = random.Random(seed)
    towns = [(rng.uniform(51.0, 53.4), rng.uniform(4.0, 7.0)) for _ in range(40)]
    lines, places = [], []
    for i in range(n):
        lat0, lon0 = towns[i % len(towns)]
        lat, lon = lat0 + rng.gauss(0, 0.03), lon0 + rng.gauss(0, 0.05)
        iri = f"{BASE}id/place/bench-{i}"
        lines += [f'<{iri}> <{RDFS}label> "Plaats {i}"@nl .',
                  f'<{iri}> <{GEO}lat> "{lat!r}"^^<{XSD}double> .',
                  f'<{iri}> <{GEO}long> "{lon!r}"^^<{XSD}double> .',
                  f'<{iri}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{PVB}HeritagePlace> .',
                  f'<{iri}> <{DCT}identifier> "{i}" .']
        if i % 50 == 0:
            story = f"{BASE}id/story/bench-{i}"
            lines += [f"<{story}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{PVB}Story> .",
                      f'<{story}> <{DCT}title> "Verhaal {i}"@nl .', f"<{story}> <{DCT}spatial> <{iri}> ."]
        places.append((iri, lat, lon))
    return ("\n".join(lines) + "\n").encode(), places


def load(store_spec: str, data: bytes) -> float:
    started = time.perf_counter()
    store = open_store(Settings(store=store_spec, load_sample_data=False))
    store.load(io.BytesIO(data), "application/n-triples", graph=GRAPH, atomic=False)
    derive_geo(store, GRAPH)
    store.close()
    return time.perf_counter() - started


def serve(store_spec: str, workers: int, log: Path) -> tuple[subprocess.Popen, str]:
    port = srv.free_port()
    env = {**os.environ, "PVB_LOAD_SAMPLE_DATA": "false", "PVB_LOG_LEVEL": "warning", "PYTHONPATH": str(ROOT)}
    with log.open("ab") as out:
        command = [sys.executable, "-m", "app.cli", "serve", "--store", store_spec, "--port", str(port),
                   "--workers", str(workers)]
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/health", timeout=30).status_code == 200:
                # every worker has to build its index once: warm them all
                for _ in range(8 * workers):
                    httpx.get(base + "/places/nearby", params={"lat": 52, "lon": 5}, timeout=60)
                return process, base
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            raise RuntimeError(log.read_text()[-2000:])
        time.sleep(0.3)
    raise RuntimeError("server did not start: " + log.read_text()[-2000:])


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


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
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pvb-bench-"))
    data, places = synthetic(args.places)
    rng = random.Random(11)
    nearby = [("/places/nearby", {"lat": lat + rng.gauss(0, 0.005), "lon": lon + rng.gauss(0, 0.005),
                                  "radius": 1000, "limit": 20})
              for _, lat, lon in rng.sample(places, args.requests)]
    contexts = [(f"/places/{iri.rsplit('/', 1)[1]}", {}) for iri, _, _ in rng.sample(places, args.requests)]
    print(f"{args.places} places, {len(data) / 1e6:.0f} MB N-Triples; {args.requests} requests per run, "
          "4 client threads")

    backends: list[tuple[str, str, srv.Server | None]] = [("embedded", str(tmp / "embedded"), None)]
    for name in ("oxigraph", "virtuoso"):
        reason = srv.available(name)
        if reason:
            print(f"{name}: skipped ({reason})")
            continue
        server = srv.SERVERS[name](tmp / name).start()
        backends.append((name, server.query_url, server))

    results: dict[tuple[str, int, str], dict[str, float]] = {}
    try:
        for name, spec, _ in backends:
            print(f"{name}: loaded and derived in {load(spec, data):.1f} s", flush=True)
            for workers in (1, 2) if name != "embedded" else (1,):
                process, base = serve(spec, workers, tmp / f"{name}-{workers}.log")
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

    print(f"\n{'backend':10} {'workers':>7} {'request':8} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>7}   "
          "ratio vs embedded (p50, p99, req/s)")
    for (name, workers, kind), r in results.items():
        ref = results[("embedded", 1, kind)]
        print(f"{name:10} {workers:>7} {kind:8} {r['p50']:8.1f} {r['p99']:8.1f} {r['rps']:7.0f}   "
              f"x{r['p50'] / ref['p50']:.2f}, x{r['p99'] / ref['p99']:.2f}, x{r['rps'] / ref['rps']:.2f}")


if __name__ == "__main__":
    main()
