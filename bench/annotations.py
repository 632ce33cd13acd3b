"""Annotation benchmark: POST throughput, and place context latency with 1,000 annotations.

Run standalone: `python bench/annotations.py [--annotations 1000] [--runs 200]`. It builds a
temporary on-disk store with the sample data, posts annotations through the HTTP API (comments,
replies at several depths, tags, stories, links, bookmarks) onto one place, then times the
context of that place against the context of a place with no annotations, measured in the same
run: both through the HTTP API and in-process (the domain function alone).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient  # noqa: E402

from app.accounts import create_account  # noqa: E402
from app.main import create_app  # noqa: E402
from app.places import context  # noqa: E402
from app.settings import Settings  # noqa: E402
from bench.common import ANNO_PROFILE, BASE, annotation_doc  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed(fn, runs: int) -> list[float]:  # noqa: ANN001
    fn()  # warm
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--annotations", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(store=str(Path(tmp) / "store"), environment="test", rate_per_account=10**9,
                            rate_per_address=10**9)
        with TestClient(create_app(settings)) as client:
            run(client, args.annotations, args.runs)


def run(client: TestClient, count: int, runs: int) -> None:
    store, settings = client.app.state.store, client.app.state.settings
    users = []
    for n in range(max(10, count // 20)):
        create_account(store, BASE, f"bench{n:04d}", "correct horse battery", f"Bench {n}")
        token = client.post("/auth/token", data={"username": f"bench{n:04d}", "password": "correct horse battery"})
        users.append({"Authorization": f"Bearer {token.json()['access_token']}"})
    target = BASE + "id/place/rm-7032"
    quiet = client.get("/places/rm-7032").json()["nearest_places"][-1]["id"]
    nearby = [p["id"] for p in client.get("/places/rm-7032").json()["nearest_places"][:3]]

    def post(n: int, doc: dict) -> str:
        r = client.post("/annotations/", content=json.dumps(doc), headers={**users[n % len(users)],
                                                                        "Content-Type": ANNO_PROFILE})
        assert r.status_code == 201, r.text
        return r.json()["id"]

    threads: list[str] = []  # comments and replies, which later replies answer
    posted = 0
    start = time.perf_counter()
    for n in range(count):
        doc = annotation_doc(n, target, threads, nearby)
        iri = post(n, doc)
        if doc["motivation"] in ("commenting", "replying"):
            threads.append(iri)
        posted += 1
    elapsed = time.perf_counter() - start
    # tags by several people, and bookmarks, are duplicates per person: the loop above keeps them unique
    print(f"POST /annotations/: {posted} annotations in {elapsed:.1f} s = {posted / elapsed:.0f} per second "
          f"({elapsed / posted * 1000:.1f} ms each)")
    baseline_post = timed(lambda: client.get("/health"), 50)
    print(f"  one POST = {elapsed / posted * 1000 / statistics.median(baseline_post):.1f}x a GET /health "
          f"({statistics.median(baseline_post):.2f} ms)")

    index = client.app.state.place_index
    prefs = ["nl", "en"]
    for label, fn_busy, fn_quiet in (
        ("HTTP GET /places/{key}", lambda: client.get("/places/rm-7032"),
         lambda: client.get("/places/" + quiet.rsplit("/", 1)[1])),
        ("in-process context()", lambda: context(store, index, target, prefs, settings=settings),
         lambda: context(store, index, quiet, prefs, settings=settings)),
    ):
        quiet_ms = timed(fn_quiet, runs)
        busy_ms = timed(fn_busy, runs)
        q50, b50 = statistics.median(quiet_ms), statistics.median(busy_ms)
        print(f"{label}: place with {count} annotations p50 {b50:.2f} ms, p95 {percentile(busy_ms, 0.95):.2f} ms; "
              f"baseline (no annotations) p50 {q50:.2f} ms, p95 {percentile(quiet_ms, 0.95):.2f} ms; "
              f"ratio {b50 / q50:.2f}x; target p50 <= 20 ms: {'met' if b50 <= 20 else 'NOT met'}")
    social = context(store, index, target, prefs, settings=settings)["social"]
    print(f"  context shows {social['comments']['total']} threads (page of {len(social['comments']['items'])}), "
          f"{sum(t['count'] for t in social['tags']['social'])} tags, {len(social['stories']['visitors'])} stories, "
          f"{len(social['links']['visitors'])} links")


if __name__ == "__main__":
    main()
