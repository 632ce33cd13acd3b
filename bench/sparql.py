"""Throughput of /sparql on a typical institutional query vs `oxigraph serve` and `rdflib-endpoint`.

All three serve the same sample data on this machine, are asked the same query over HTTP with the
same client, and must return the same number of rows. Figures are requests per second, printed
as ratios to the Oxigraph server measured in the same run.

    pip install oxigraph rdflib-endpoint   # the two baselines (PyPI)
    python bench/sparql.py [--seconds 8] [--clients 4]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.loading import load_sample_data  # noqa: E402
from app.store.embedded import EmbeddedStore  # noqa: E402

BASE = "http://localhost:8000/"
# Places of a type (mills, with everything narrower in the thesaurus) in one municipality.
QUERY = """PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX pvb: <https://w3id.org/pvb/ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX geo: <http://www.w3.org/2003/01/geo/wgs84_pos#>
SELECT ?place ?label ?lat ?long WHERE {
  ?cht skos:prefLabel "molens"@nl .
  ?place pvb:municipality "Groningen" ;
         dcterms:type/(skos:exactMatch|skos:closeMatch)?/skos:broader* ?cht ;
         rdfs:label ?label ; geo:lat ?lat ; geo:long ?long .
  FILTER(LANG(?label) = "nl")
}
ORDER BY ?label"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(url: str, process: subprocess.Popen, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: server exited with {process.returncode}")
        try:
            if httpx.get(url, params={"query": "ASK {}"}, headers={"accept": "application/sparql-results+json"},
                         timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not start")


def rows(url: str) -> int:
    response = httpx.post(url, data={"query": QUERY}, headers={"accept": "application/sparql-results+json"},
                          timeout=120)
    response.raise_for_status()
    return len(response.json()["results"]["bindings"])


def throughput(url: str, seconds: float, clients: int, max_requests: int = 100_000) -> float:
    """Requests per second with `clients` keep-alive connections, each sending the query in a loop."""
    done = [0] * clients
    stop = time.monotonic() + seconds

    def run(slot: int) -> None:
        with httpx.Client(timeout=120) as client:
            while time.monotonic() < stop and done[slot] < max_requests:
                response = client.post(url, data={"query": QUERY},
                                       headers={"accept": "application/sparql-results+json"})
                response.raise_for_status()
                done[slot] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done) / (time.monotonic() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    for tool in ("oxigraph", "rdflib-endpoint"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed: pip install oxigraph rdflib-endpoint")
    work = Path(tempfile.mkdtemp(prefix="pvb-bench-sparql-"))
    processes: list[subprocess.Popen] = []
    try:
        ours_dir = work / "ours"
        store = EmbeddedStore(ours_dir)
        load_sample_data(store, BASE)
        with open(work / "data.nq", "wb") as out:
            store.dump(out)
        store.close()
        # the same triples without graph names, for rdflib-endpoint's default graph
        subprocess.run([sys.executable, "-c", "import pyoxigraph as ox, sys; ox.serialize((q.triple for q in "
                        "ox.parse(path=sys.argv[1], format=ox.RdfFormat.N_QUADS)), sys.argv[2], "
                        "format=ox.RdfFormat.N_TRIPLES)", str(work / "data.nq"), str(work / "data.nt")], check=True)
        subprocess.run(["oxigraph", "load", "--location", str(work / "oxigraph"), "--file", str(work / "data.nq")],
                       check=True, capture_output=True)
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        servers = {}
        port = free_port()
        env = {**os.environ, "PVB_STORE": str(ours_dir), "PVB_ENVIRONMENT": "test", "PYTHONPATH": str(ROOT),
               "PVB_LOG_LEVEL": "warning"}
        processes.append(subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "app.main:create_app",
                                           "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                                          cwd=ROOT, env=env, **quiet))
        servers["this endpoint (/sparql)"] = (f"http://127.0.0.1:{port}/sparql", processes[-1])
        port = free_port()
        processes.append(subprocess.Popen(["oxigraph", "serve", "--location",
                                           str(work / "oxigraph"), "--bind", f"127.0.0.1:{port}",
                                           "--union-default-graph"], **quiet))
        servers["oxigraph serve"] = (f"http://127.0.0.1:{port}/query", processes[-1])
        port = free_port()
        processes.append(subprocess.Popen(["rdflib-endpoint", "serve", str(work / "data.nt"), "--host", "127.0.0.1",
                                           "--port", str(port)], **quiet))
        servers["rdflib-endpoint"] = (f"http://127.0.0.1:{port}/", processes[-1])
        for url, process in servers.values():
            wait_ready(url, process)
        counts = {name: rows(url) for name, (url, _) in servers.items()}
        if len(set(counts.values())) != 1:
            sys.exit(f"servers disagree on the answer: {counts}")
        print(f"query: places of a type in a municipality ({next(iter(counts.values()))} rows); "
              f"{args.clients} clients, {args.seconds:g} s each")
        figures = {}
        for name, (url, _) in servers.items():
            throughput(url, 1.0, args.clients)  # warm-up
            figures[name] = throughput(url, args.seconds, args.clients)
        baseline = figures["oxigraph serve"]
        for name, rate in figures.items():
            print(f"{name:26s} {rate:8.1f} req/s   {rate / baseline:6.2f} x oxigraph serve")
        ours = figures["this endpoint (/sparql)"]
        print(f"this endpoint vs rdflib-endpoint: {ours / figures['rdflib-endpoint']:.1f} x")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
