"""Annotation benchmark: POST throughput, and place context latency with 1,000 annotations.

    python bench/annotations.py [--annotations 1000] [--runs 200] [--backends embedded,oxigraph]

Per backend (the embedded store, and an `oxigraph serve` process on a copy of the same sample
store) it posts annotations through the HTTP API onto one place (comments, replies at several
depths, tags, stories, links), then prints:
- POST throughput, against a GET of one annotation measured in the same run;
- `GET /places/{key}` of that place, p50/p99, against the same request for a place with no
  annotations (the baseline, same run), as the API serves it (the context cached per worker,
  checked against the store's generation and the place's social version on every request);
- the same right after a write to the place (the caches must be refilled: the uncached path);
- in-process `context()` with and without the cache, against the quiet place.
Figures on a shared machine are noisy: read the ratios, which are measured side by side.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient  # noqa: E402

from app.accounts import create_account  # noqa: E402
from app.loading import load_sample_data  # noqa: E402
from app.main import create_app  # noqa: E402
from app.places import context  # noqa: E402
from app.settings import Settings  # noqa: E402
from app.store.embedded import EmbeddedStore  # noqa: E402
from tests import servers as srv  # noqa: E402

ANNO = "http://www.w3.org/ns/anno.jsonld"
PROFILE = f'application/ld+json; profile="{ANNO}"'
BASE = "http://localhost:8000/"
TARGET_MS = 20.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    fn()  # warm
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def line(label: str, busy: list[float], quiet: list[float], count: int) -> None:
    b50, q50 = statistics.median(busy), statistics.median(quiet)
    print(f"  {label}: {count} annotations p50 {b50:.2f} ms, p99 {percentile(busy, 0.99):.2f} ms | "
          f"baseline (no annotations) p50 {q50:.2f} ms, p99 {percentile(quiet, 0.99):.2f} ms | "
          f"ratio {b50 / q50:.2f}x | p50 <= {TARGET_MS:.0f} ms: {'met' if b50 <= TARGET_MS else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--annotations", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--backends", default="embedded,oxigraph", help="comma-separated: embedded, oxigraph")
    args = parser.parse_args()
    logging.disable(logging.INFO)
    with tempfile.TemporaryDirectory() as tmp:
        sample = Path(tmp) / "sample"
        store = EmbeddedStore(sample)
        load_sample_data(store, BASE)
        store.close()
        for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
            location = Path(tmp) / backend / "store"
            srv.snapshot(sample, location)
            server = srv.OxigraphServer(location).start() if backend == "oxigraph" else None
            try:
                settings = Settings(store=server.query_url if server else str(location), environment="test",
                                    rate_per_account=10**9, rate_per_address=10**9, log_level="WARNING")
                print(f"== {backend}")
                with TestClient(create_app(settings)) as client:
                    run(client, args.annotations, args.runs)
            finally:
                if server is not None:
                    server.stop()


def run(client: TestClient, count: int, runs: int) -> None:
    store, settings = client.app.state.store, client.app.state.settings
    users = []
    for n in range(max(10, count // 20)):
        create_account(store, BASE, f"bench{n:04d}", "correct horse battery", f"Bench {n}")
        token = client.post("/auth/token", data={"username": f"bench{n:04d}", "password": "correct horse battery"})
        users.append({"Authorization": f"Bearer {token.json()['access_token']}"})
    target = BASE + "id/place/rm-7032"
    around = client.get("/places/rm-7032").json()["nearest_places"]
    quiet, nearby = around[-1]["id"], [p["id"] for p in around[:3]]

    def post(n: int, doc: dict) -> str:
        r = client.post("/annotations/", content=json.dumps({"@context": ANNO, "type": "Annotation", **doc}),
                        headers={**users[n % len(users)], "Content-Type": PROFILE})
        assert r.status_code == 201, (n, doc, r.text, r.headers.get("location"))
        return r.json()["id"]

    comments: list[str] = []
    replies: list[str] = []
    start = time.perf_counter()
    for n in range(count):
        kind = n % 10
        if kind in (0, 1, 2, 3) or not comments:
            comments.append(post(n, {"motivation": "commenting", "target": target,
                                     "body": {"type": "TextualBody", "value": f"Opmerking {n} over dit monument"}}))
        elif kind in (4, 5, 6):
            parent = (replies + comments)[(n * 7) % len(replies + comments)]
            replies.append(post(n, {"motivation": "replying", "target": parent,
                                    "body": {"type": "TextualBody", "value": f"Antwoord {n}"}}))
        elif kind == 7:
            post(n, {"motivation": "tagging", "target": target,
                     "body": {"type": "TextualBody", "value": f"tag {n % 37}"}})
        elif kind == 8:
            post(n, {"motivation": "describing", "target": target,
                     "body": {"type": "TextualBody", "value": f"Verhaal {n}", "title": f"Titel {n}"}})
        else:
            body = nearby[n % len(nearby)] if n % 20 == 9 and n < 200 else f"https://example.org/bron/{n}"
            post(n, {"motivation": "linking", "target": target, "body": body})
    elapsed = time.perf_counter() - start
    one = "/annotations/" + comments[0].rsplit("/", 1)[1]
    read_ms = statistics.median(timed(lambda: client.get(one), 50))
    print(f"  POST /annotations/: {count} in {elapsed:.1f} s = {count / elapsed:.0f} per second "
          f"({elapsed / count * 1000:.1f} ms each) = {elapsed / count * 1000 / read_ms:.1f}x a GET of one "
          f"annotation ({read_ms:.2f} ms)")

    busy_path, quiet_path = "/places/rm-7032", "/places/" + quiet.rsplit("/", 1)[1]
    quiet_http = timed(lambda: client.get(quiet_path), runs)
    line("GET /places/{key}", timed(lambda: client.get(busy_path), runs), quiet_http, count)

    after_write = []
    for n in range(min(30, runs)):  # each read follows a write to the place: the cache is refilled
        post(n, {"motivation": "commenting", "target": target, "body": {"type": "TextualBody", "value": f"Nog {n}"}})
        started = time.perf_counter()
        client.get(busy_path)
        after_write.append((time.perf_counter() - started) * 1000)
    line("GET /places/{key} right after a write", after_write, quiet_http, count + len(after_write))

    index, cache, prefs = client.app.state.place_index, client.app.state.caches, ["nl", "en"]
    for label, cached in (("in-process context(), cached", cache), ("in-process context(), uncached", None)):
        line(label, timed(lambda c=cached: context(store, index, target, prefs, settings=settings, caches=c),
                          runs),
             timed(lambda c=cached: context(store, index, quiet, prefs, settings=settings, caches=c), runs),
             count + len(after_write))
    social = context(store, index, target, prefs, settings=settings)["social"]
    print(f"  context shows {social['comments']['total']} threads (page of {len(social['comments']['items'])}), "
          f"{sum(t['count'] for t in social['tags']['social'])} tags, {len(social['stories']['visitors'])} stories, "
          f"{len(social['links']['visitors'])} links")


if __name__ == "__main__":
    main()
