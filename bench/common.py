"""What the benchmarks share: synthetic places and annotations, `pvb serve` processes, percentiles.

One generator per kind of data, so every benchmark measures the same shapes: places clustered
around Dutch towns (`generate`, `write_ntriples`), annotation documents of every motivation
(`annotation_doc`), and a real server started the way an operator starts it (`serve`).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BASE = "http://localhost:8000/"
SEED = 20240601
ANNO = "http://www.w3.org/ns/anno.jsonld"
ANNO_PROFILE = f'application/ld+json; profile="{ANNO}"'

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


# -- places -------------------------------------------------------------------------------------------

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


def write_ntriples(path: Path, start: int, lats: np.ndarray, lons: np.ndarray, *, stories_every: int = 0) -> None:
    """Places start…start+len as N-Triples: a type, a Dutch label, an identifier and xsd:double
    coordinates; with `stories_every`, a story about every that-many-th place (why it matters)."""
    rdf_type = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    kind = "<https://w3id.org/pvb/ns#HeritagePlace>"
    story_class = "<https://w3id.org/pvb/ns#Story>"
    label = "<http://www.w3.org/2000/01/rdf-schema#label>"
    identifier = "<http://purl.org/dc/terms/identifier>"
    title = "<http://purl.org/dc/terms/title>"
    spatial = "<http://purl.org/dc/terms/spatial>"
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
                lines.append(f'{s} {rdf_type} {kind} .\n{s} {label} "Plaats {i}"@nl .\n{s} {identifier} "{i}" .\n'
                             f'{s} {lat_p} "{la!r}"{double} .\n{s} {lon_p} "{lo!r}"{double} .\n')
                if stories_every and i % stories_every == 0:
                    story = f"<{BASE}id/story/bench-{i:07d}>"
                    lines.append(f'{story} {rdf_type} {story_class} .\n{story} {title} "Verhaal {i}"@nl .\n'
                                 f"{story} {spatial} {s} .\n")
            out.write("".join(lines))


# -- annotations --------------------------------------------------------------------------------------

def annotation_doc(n: int, target: str, parents: list[str], linked: list[str]) -> dict:
    """The n-th annotation of a realistic mix about `target`: 40 % comments, 30 % replies (to one
    of `parents`, earlier comments and replies), and tags, stories and links; a reply needs a parent,
    so without one it is a comment. Links point at one of `linked` places early on, else at a URL."""
    kind = n % 10
    if kind in (0, 1, 2, 3) or (kind in (4, 5, 6) and not parents):
        doc = {"motivation": "commenting", "target": target,
               "body": {"type": "TextualBody", "value": f"Opmerking {n} over dit monument"}}
    elif kind in (4, 5, 6):
        doc = {"motivation": "replying", "target": parents[(n * 7) % len(parents)],
               "body": {"type": "TextualBody", "value": f"Antwoord {n}"}}
    elif kind == 7:
        doc = {"motivation": "tagging", "target": target, "body": {"type": "TextualBody", "value": f"tag {n % 37}"}}
    elif kind == 8:
        doc = {"motivation": "describing", "target": target,
               "body": {"type": "TextualBody", "value": f"Verhaal {n}", "title": f"Titel {n}"}}
    else:
        body = linked[n % len(linked)] if linked and n % 20 == 9 and n < 200 else f"https://example.org/bron/{n}"
        doc = {"motivation": "linking", "target": target, "body": body}
    return {"@context": ANNO, "type": "Annotation", **doc}


# -- server processes ---------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(store: str, log: Path, *, workers: int = 1, env: dict[str, str] | None = None,
          timeout: float = 600) -> tuple[subprocess.Popen, str]:
    """`pvb serve` on a free loopback port, as an operator starts it; returns once /health is 200
    (the index is built before that)."""
    port = free_port()
    environment = {**os.environ, "PVB_LOAD_SAMPLE_DATA": "false", "PVB_LOG_LEVEL": "warning",
                   "PVB_BASE_IRI": BASE, "PYTHONPATH": str(ROOT), **(env or {})}
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--store", store, "--port", str(port), "--workers",
             str(workers)], cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pvb serve exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(base + "/health", timeout=30).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    stop(process)
    raise RuntimeError("pvb serve did not start: " + log.read_text()[-2000:])


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the server's process group (uvicorn and its workers), SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


# -- statistics ---------------------------------------------------------------------------------------

def pct(samples: list[float] | np.ndarray, q: float) -> float:
    """The q-th percentile (0–100) of samples, nan for none."""
    return float(np.percentile(samples, q)) if len(samples) else float("nan")
