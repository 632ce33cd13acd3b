"""Load: `/places/nearby`, place context and annotation posts at a fixed rate on a real server.

Builds (once, then reuses from `--cache`) an embedded store with 100k synthetic places (a story
about every 50th) and 100k annotations (comments, replies, tags, stories, links; skewed so that a
few places are much discussed), then starts `pvb serve` on loopback and sends each mix of
requests open-loop: arrivals on a fixed schedule (`--rate` per second for `--seconds`), whatever
the server's answers, so a slow server meets a growing queue instead of a politely waiting
client. Latency counts from the scheduled arrival (no coordinated omission).

Per mix: achieved req/s, p50/p99 latency, error rate (any status but the expected one, or a
transport error), and as a ratio against the same rate of a trivial route measured in the same
run (`GET /metrics`: middlewares and routing, no store call). The embedded store allows one
process (RocksDB), so 2 workers run against `oxigraph serve` on a copy of the same database
directory (the same RocksDB format), next to 1 worker on each.

    python bench/load.py                         # ~6 min the first time (building), then ~4 min
    python bench/load.py --seconds 10 --setups embedded-1
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rdflib import Literal  # noqa: E402
from rdflib.namespace import XSD  # noqa: E402

from app.accounts import create_account  # noqa: E402
from app.annotations import ANNOTATIONS, Body, _quads, annotation_iri, parse, slug  # noqa: E402
from app.derived import derive_geo  # noqa: E402
from app.settings import Settings  # noqa: E402
from app.store.embedded import EmbeddedStore  # noqa: E402
from bench.common import (  # noqa: E402
    ANNO_PROFILE,
    BASE,
    annotation_doc,
    generate,
    pct,
    place_iri,
    serve,
    stop,
    write_ntriples,
)
from tests import servers as srv  # noqa: E402

GRAPH = BASE + "id/dataset/bench-places"
PASSWORD = "correct horse battery"  # noqa: S105 - throw-away accounts of a benchmark store
USERS = 50
SKOS = "http://www.w3.org/2004/02/skos/core#"


# -- the store ----------------------------------------------------------------------------------------

def build(store_dir: Path, places: int, annotations: int) -> None:
    """Places (bulk-loaded, cells derived as `pvb load` does), accounts, and annotations written as
    the app writes them (the same quads), bulk-loaded instead of posted one by one."""
    started = time.perf_counter()
    store = EmbeddedStore(store_dir)
    lats, lons = generate(places)
    with tempfile.TemporaryDirectory() as tmp:
        nt = Path(tmp) / "places.nt"
        write_ntriples(nt, 0, lats, lons, stories_every=50)
        with nt.open("rb") as stream:
            store.load(stream, "application/n-triples", graph=GRAPH, atomic=False)
    derive_geo(store, GRAPH, atomic=False)
    print(f"  {places:,} places loaded and cells derived in {time.perf_counter() - started:.0f} s", flush=True)
    settings = Settings(base_iri=BASE, environment="test")
    users = [create_account(store, BASE, f"bench{n:03d}", PASSWORD, f"Bench {n}") for n in range(USERS)]
    rng = random.Random(7)
    popular = rng.sample(range(places), max(1, places // 100))  # 1 % of places get half of what is said
    threads: dict[str, list[str]] = {}
    lines: list[str] = []
    for n in range(annotations):
        target = place_iri(rng.choice(popular) if rng.random() < 0.5 else rng.randrange(places))
        parents = threads.setdefault(target, [])
        doc = annotation_doc(n, target, parents, [place_iri(rng.randrange(places))])
        draft = parse(json.dumps(doc).encode(), settings)
        tags = []
        if draft.motivation == "tagging":  # what validate() does for a text tag
            label = draft.bodies[0].value or ""
            tag = f"{BASE}id/tag/{slug(label)}"
            draft.bodies[0] = Body(iri=tag)
            tags.append((tag, label))
        iri = annotation_iri(settings, f"bench-{n:07d}")
        created = Literal(f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}T12:00:00Z", datatype=XSD.dateTime)
        for s, p, o in _quads(settings, iri, draft, users[n % USERS], created, None, f"r{n}"):
            lines.append(f"{s.n3()} {p.n3()} {o.n3()} <{ANNOTATIONS}> .\n")
        for tag, label in tags:
            lines.append(f'<{tag}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{SKOS}Concept> '
                         f'<{ANNOTATIONS}> .\n<{tag}> <{SKOS}prefLabel> "{label}" <{ANNOTATIONS}> .\n')
        if draft.motivation in ("commenting", "replying"):
            parents.append(iri)
    store.load(_Lines(lines), "application/n-quads", atomic=False)
    store.close()
    print(f"  {annotations:,} annotations on {len(threads):,} places; store built in "
          f"{time.perf_counter() - started:.0f} s", flush=True)


class _Lines:
    """A read()-able stream over text lines, so a bulk load needs no temporary file."""

    def __init__(self, lines: list[str]) -> None:
        self._data = "".join(lines).encode()
        self._pos = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size < 0 else self._pos + size
        chunk = self._data[self._pos:end]
        self._pos += len(chunk)
        return chunk


def cached_store(cache: Path, places: int, annotations: int) -> Path:
    """The store for these sizes: built once, reused while its marker says the same sizes."""
    store_dir = cache / f"store-{places}-{annotations}"
    marker = store_dir / "BENCH-READY"
    if marker.exists():
        print(f"reusing {store_dir}")
        return store_dir
    shutil.rmtree(store_dir, ignore_errors=True)
    print(f"building {store_dir}", flush=True)
    build(store_dir, places, annotations)
    marker.write_text(json.dumps({"places": places, "annotations": annotations}))
    return store_dir


# -- the load -----------------------------------------------------------------------------------------

@dataclass
class Request:
    method: str
    path: str
    params: dict | None = None
    body: bytes | None = None
    headers: dict | None = None
    expect: int = 200


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)  # ms from the scheduled arrival, successes only
    errors: dict[str, int] = field(default_factory=dict)
    sent: int = 0
    late_ms: list[float] = field(default_factory=list)  # how late the client sent (its own lag)
    wall: float = 0.0
    client_cpu: float = 0.0


class Connections:
    """A minimal HTTP/1.1 keep-alive client for loopback: a generic async client (httpx) spends
    more CPU per request than the server at these rates, on the same two cores, and would
    measure itself. Responses of the routes under test carry Content-Length."""

    def __init__(self, base: str, limit: int = 256) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.slots = asyncio.Semaphore(limit)
        self.opened: list[asyncio.StreamWriter] = []

    async def request(self, request: Request) -> int:
        path = request.path + ("?" + urllib.parse.urlencode(request.params) if request.params else "")
        body = request.body or b""
        head = [f"{request.method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}",
                f"Content-Length: {len(body)}"] + [f"{k}: {v}" for k, v in (request.headers or {}).items()]
        data = ("\r\n".join(head) + "\r\n\r\n").encode() + body
        async with self.slots:
            while self.idle:  # the server may have closed an idle connection (keep-alive timeout)
                reader, writer = self.idle.pop()
                try:
                    return await self._exchange(reader, writer, data)
                except (ConnectionError, asyncio.IncompleteReadError):
                    writer.close()
            reader, writer = await asyncio.open_connection(self.host, self.port)
            self.opened.append(writer)
            return await self._exchange(reader, writer, data)

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, data: bytes) -> int:
        writer.write(data)
        raw = await reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        fields = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
        await reader.readexactly(int(fields.get("content-length", "0")))
        if fields.get("connection", "").lower() != "close":
            self.idle.append((reader, writer))
        return status

    async def close(self) -> None:
        for writer in self.opened:
            writer.close()


async def drive(base: str, make: Callable[[int], Request], rate: float, seconds: float) -> Outcome:
    """Open loop: request i is sent at t0 + i/rate, in its own task, whatever came back before."""
    out = Outcome()
    total = int(rate * seconds)
    client = Connections(base)

    async def one(i: int, due: float) -> None:
        request = make(i)
        out.late_ms.append((time.perf_counter() - due) * 1000)
        try:
            status: int | str = await asyncio.wait_for(client.request(request), timeout=30)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            status = type(exc).__name__
        if status == request.expect:
            out.latencies.append((time.perf_counter() - due) * 1000)
        else:
            out.errors[str(status)] = out.errors.get(str(status), 0) + 1

    tasks = []
    cpu0 = time.process_time()
    t0 = time.perf_counter() + 0.05
    for i in range(total):
        due = t0 + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, due)))
        out.sent += 1
    await asyncio.gather(*tasks)
    out.wall = time.perf_counter() - t0
    out.client_cpu = (time.process_time() - cpu0) / out.wall
    await client.close()
    return out


def mixes(places: int, tokens: list[str], rates: dict[str, float]) -> dict[str, tuple[float, Callable[[int], Request]]]:
    """Each mix: (rate, request maker). Points near random places (random.Random per mix: the
    same sequence in every setup)."""
    lats, lons = generate(places)

    def nearby(i: int, rng: random.Random) -> Request:
        k = rng.randrange(places)
        return Request("GET", "/places/nearby", {"lat": round(float(lats[k]) + rng.gauss(0, 0.003), 6),
                                                 "lon": round(float(lons[k]) + rng.gauss(0, 0.004), 6),
                                                 "radius": 1000, "limit": 20})

    def context(i: int, rng: random.Random) -> Request:
        return Request("GET", "/places/" + place_iri(rng.randrange(places)).rsplit("/", 1)[1])

    run_id = f"{os.getpid()}-{time.time_ns()}"
    unique = itertools.count()  # the same text twice from one person would be a 409 duplicate

    def post(i: int, rng: random.Random) -> Request:
        doc = annotation_doc(0, place_iri(rng.randrange(places)), [], [])  # n % 10 == 0: a comment
        doc["body"]["value"] = f"Opmerking {run_id}-{next(unique)} onder belasting"
        return Request("POST", "/annotations/", body=json.dumps(doc).encode(), expect=201,
                       headers={"Content-Type": ANNO_PROFILE, "Authorization": f"Bearer {tokens[i % len(tokens)]}"})

    def baseline(i: int, rng: random.Random) -> Request:
        return Request("GET", "/metrics")  # the framework's floor: middlewares, routing, no store call

    def seeded(fn: Callable[[int, random.Random], Request], seed: int) -> Callable[[int], Request]:
        rng = random.Random(seed)
        return lambda i: fn(i, rng)

    def mixed(i: int, rng: random.Random) -> Request:
        roll = rng.random()
        return nearby(i, rng) if roll < 0.8 else context(i, rng) if roll < 0.97 else post(i, rng)

    kinds = {"baseline": baseline, "nearby": nearby, "context": context, "post": post, "mixed": mixed}
    return {name: (rates[name], seeded(fn, seed)) for seed, (name, fn) in enumerate(kinds.items()) if name in rates}


def login(base: str) -> list[str]:
    tokens = []
    with httpx.Client(base_url=base, timeout=60) as client:
        for n in range(USERS):
            r = client.post("/auth/token", data={"username": f"bench{n:03d}", "password": PASSWORD})
            r.raise_for_status()
            tokens.append(r.json()["access_token"])
    return tokens


def report(setup: str, mix: str, rate: float, out: Outcome, baseline: Outcome | None) -> dict:
    errors = sum(out.errors.values())
    row = {"setup": setup, "mix": mix, "rate": rate, "rps": len(out.latencies) / out.wall if out.wall else 0.0,
           "p50": pct(out.latencies, 50), "p99": pct(out.latencies, 99), "error_rate": errors / max(1, out.sent),
           "errors": dict(out.errors), "late_p99": pct(out.late_ms, 99), "client_cpu": out.client_cpu}
    if baseline is not None and baseline.latencies:
        row["x_p50"] = row["p50"] / pct(baseline.latencies, 50)
        row["x_p99"] = row["p99"] / pct(baseline.latencies, 99)
    print(f"  {setup:12} {mix:7} {rate:5.0f}/s: {row['rps']:6.1f} req/s  p50 {row['p50']:7.1f} ms  "
          f"p99 {row['p99']:8.1f} ms  errors {row['error_rate']:.2%} {row['errors'] or ''}"
          + (f"  (×{row['x_p50']:.1f} / ×{row['x_p99']:.1f} of baseline)" if "x_p50" in row else "")
          + f"  [client lag p99 {row['late_p99']:.1f} ms, client CPU {row['client_cpu']:.0%}]", flush=True)
    return row


def drain(base: str, limit: float = 180) -> None:
    """Wait until the server has worked off what an overloaded mix left queued (a client that gave
    up does not cancel the handler), so each mix starts on an idle server."""
    deadline = time.monotonic() + limit
    quick = 0
    with httpx.Client(base_url=base, timeout=60) as client:
        while quick < 3 and time.monotonic() < deadline:
            started = time.perf_counter()
            client.get("/metrics")
            quick = quick + 1 if time.perf_counter() - started < 0.05 else 0
            time.sleep(0.2)


def warmed_up(base: str, workers: int, limit: float = 600) -> None:
    """Wait until the workers have read the place descriptions, annotation counts and summaries into
    memory in the background (a server's first minute, measured apart), so the mixes measure workers in their
    steady state.
    Workers share the port, so: until 5 reads per worker in a row find a worker warm."""
    started, warm = time.monotonic(), 0
    with httpx.Client(base_url=base, timeout=60) as client:
        while warm < 5 * workers and time.monotonic() - started < limit:
            values = {line.split()[0]: float(line.split()[1]) for line in client.get("/metrics").text.splitlines()
                      if line.startswith(("pvb_places_indexed ", "pvb_place_descriptions_cached ",
                                          "pvb_annotation_counts_cached ", "pvb_place_summaries_cached "))}
            goal = min(values.get("pvb_places_indexed", 1), 200_000)
            done = min(values.get("pvb_place_descriptions_cached", 0), values.get("pvb_annotation_counts_cached", 0),
                       values.get("pvb_place_summaries_cached", 0)) >= goal
            warm = warm + 1 if done else 0
            time.sleep(0.2 if done else 1.0)
    print(f"  warm-up (place descriptions and counts in memory): {'done' if warm else 'NOT done'} after "
          f"{time.monotonic() - started:.0f} s", flush=True)


def run_setup(setup: str, spec: str, workers: int, log: Path, places: int, rates: dict[str, float],
              seconds: float) -> list[dict]:
    env = {"PVB_RATE_PER_ACCOUNT": "1000000", "PVB_RATE_PER_ADDRESS": "1000000", "PVB_STORE_TIMEOUT": "120",
           "PVB_ENVIRONMENT": "test"}
    process, base = serve(spec, log, workers=workers, env=env)
    rows = []
    try:
        tokens = login(base)
        plan = mixes(places, tokens, rates)
        warmed_up(base, workers)
        with httpx.Client(base_url=base, timeout=60) as client:  # warm every worker's index and caches
            for name, (_, make) in plan.items():
                if name != "post":
                    for i in range(50 * workers):
                        r = make(i)
                        client.request(r.method, r.path, params=r.params)
        baseline = None
        for name, (rate, make) in plan.items():
            out = asyncio.run(drive(base, make, rate, seconds))
            rows.append(report(setup, name, rate, out, baseline))
            if name == "baseline":
                baseline = out
            drain(base)
    finally:
        stop(process)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--places", type=int, default=100_000)
    parser.add_argument("--annotations", type=int, default=100_000)
    parser.add_argument("--cache", default=str(ROOT / "var" / "bench-load"), help="where the built store is kept")
    parser.add_argument("--seconds", type=float, default=20.0, help="per mix")
    parser.add_argument("--rates", default="baseline=500,nearby=500,context=40,post=20,mixed=100",
                        help="mix=requests per second; baseline (GET /metrics) runs first")
    parser.add_argument("--setups", default="embedded-1,oxigraph-1,oxigraph-2",
                        help="backend-workers: embedded-1, oxigraph-1, oxigraph-2")
    args = parser.parse_args()
    rates = {name: float(value) for name, value in (item.split("=") for item in args.rates.split(","))}
    store_dir = cached_store(Path(args.cache), args.places, args.annotations)
    print(f"load average at start {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {args.seconds:g} s per mix; "
          "latency from the scheduled arrival", flush=True)
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="pvb-load-") as tmp:
        for setup in args.setups.split(","):
            backend, workers = setup.rsplit("-", 1)
            copy = Path(tmp) / setup
            shutil.copytree(store_dir, copy, ignore=shutil.ignore_patterns("LOCK", "BENCH-READY"))  # posts write
            server = None
            try:
                if backend == "oxigraph":
                    reason = srv.available("oxigraph")
                    if reason:
                        print(f"{setup}: skipped ({reason})")
                        continue
                    server = srv.OxigraphServer(copy).start()
                    spec = server.query_url
                else:
                    spec = str(copy)
                rows += run_setup(setup, spec, int(workers), Path(tmp) / f"{setup}.log", args.places, rates,
                                  args.seconds)
            finally:
                if server:
                    server.stop()
                shutil.rmtree(copy, ignore_errors=True)
    print_table(rows)
    print(f"load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; client CPU "
          f"(self) {resource.getrusage(resource.RUSAGE_SELF).ru_utime:.0f} s user")
    nearby = [r for r in rows if r["mix"] == "nearby" and r["rate"] >= 500]
    for r in nearby:
        ok = r["error_rate"] == 0 and r["p99"] <= 50
        print(f"target (zero errors, nearby p99 <= 50 ms at 500 req/s), {r['setup']}: {'met' if ok else 'MISSED'}")
    return 0


def print_table(rows: list[dict]) -> None:
    print("\n| setup | mix | offered req/s | achieved req/s | p50 ms | p99 ms | errors | p50 / p99 vs baseline |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for r in rows:
        ratio = f"×{r['x_p50']:.1f} / ×{r['x_p99']:.1f}" if "x_p50" in r else "baseline"
        print(f"| {r['setup']} | {r['mix']} | {r['rate']:.0f} | {r['rps']:.1f} | {r['p50']:.1f} | {r['p99']:.1f} | "
              f"{r['error_rate']:.2%} | {ratio} |")


if __name__ == "__main__":
    sys.exit(main())
