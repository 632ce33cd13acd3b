"""The dataset CLI, and a server killed in the middle of a large upload."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from app.derived import derived_graph
from app.store.embedded import EmbeddedStore

from .conftest import BASE
from .datagen import places_ntriples

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parents[1]
CC0 = "http://creativecommons.org/publicdomain/zero/1.0/"
PASSWORD = "correct horse battery"


def pvb(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=600)


def test_pvb_validate_prints_the_report_and_fails_on_violations():
    bad = pvb("validate", str(DATA / "broken-monuments.ttl"))
    assert bad.returncode == 1
    assert "Violation" in bad.stdout and "8 violation(s), 1 warning(s)" in bad.stdout
    syntax = pvb("validate", str(DATA / "broken-syntax.ttl"))
    assert syntax.returncode == 1 and "line 7, column 1" in syntax.stdout
    good = pvb("validate", str(DATA / "museum.csv"), "--mapping", str(DATA / "museum-mapping.json"), "--json")
    assert good.returncode == 0 and '"violations": 0' in good.stdout
    turtle = pvb("validate", str(DATA / "broken-monuments.ttl"), "--turtle")
    assert "sh:ValidationReport" in turtle.stdout


def test_pvb_datasets_upload(fresh_store):
    r = pvb("datasets", "upload", str(DATA / "museum.csv"), "--mapping", str(DATA / "museum-mapping.json"),
            "--title", "Collectie", "--license", CC0, "--institution", "Fries Museum", "--store", str(fresh_store),
            "--quiet")
    assert r.returncode == 0, r.stderr
    assert "collectie: version 1, 161 triples" in r.stdout
    again = pvb("datasets", "upload", str(DATA / "museum.csv"), "--mapping", str(DATA / "museum-mapping.json"),
                "--title", "Collectie", "--license", CC0, "--institution", "Fries Museum",
                "--store", str(fresh_store), "--quiet")
    assert again.returncode == 0 and "version 2" in again.stdout
    bad = pvb("datasets", "upload", str(DATA / "broken-monuments.ttl"), "--title", "Kapot", "--license", CC0,
              "--institution", "Fries Museum", "--store", str(fresh_store), "--quiet")
    assert bad.returncode == 2 and "does not validate" in bad.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]




def _big_ntriples(places: int) -> bytes:
    return places_ntriples("http://example.org/groot/place/", places, lambda n: f"Plek {n}",
                           lambda n: (52.0 + (n % 1000) / 1000, 5.0 + (n // 1000) / 100), lambda n: f"G{n}")


def _state(store_dir: Path) -> tuple[int, int, int]:
    """(triples in the dataset graph, catalogue version, places with derived cells) after a restart."""
    store = EmbeddedStore(store_dir)
    try:
        graph = BASE + "id/dataset/groot"
        triples = int(store.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")[0]["n"])
        version = store.select(f"SELECT ?v WHERE {{ GRAPH <urn:pvb:graph:catalogue> {{ <{graph}> "
                               "<https://w3id.org/pvb/ns#version> ?v } }")
        cells = int(store.select(f"SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE {{ GRAPH <{derived_graph(graph)}> "
                                 "{ ?p <https://w3id.org/pvb/ns#geoCell> ?c } }")[0]["n"])
        return triples, int(version[0]["v"]) if version else 0, cells
    finally:
        store.close()


@pytest.mark.parametrize("change", ["new", "replace"])
def test_killing_the_server_during_a_large_upload_leaves_old_or_new(fresh_store_dir, change):
    """SIGKILL a real `pvb serve` while it adds a large new dataset (Oxigraph's bulk loader, fed while
    the upload is validated) or replaces a dataset with a large new version (one transaction):
    after a restart the dataset is entirely the old state or entirely the new one, with matching
    cells and record, and the store opens cleanly."""
    created = pvb("users", "create", "fenna", "--password", PASSWORD, "--role", "curator",
                  "--institution", "Fries Museum", "--store", str(fresh_store_dir))
    assert created.returncode == 0, created.stderr
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port),
                               "--store", str(fresh_store_dir)], cwd=ROOT, start_new_session=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT), "PVB_LOG_LEVEL": "warning"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        token = httpx.post(url + "/auth/token", data={"username": "fenna", "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        if change == "replace":
            small = _big_ntriples(2)
            r = httpx.post(url + "/datasets", params={"title": "Groot", "license": CC0, "id": "groot"},
                           content=small, headers={**headers, "Content-Type": "application/n-triples"}, timeout=120)
            assert r.status_code == 201, r.text
        big = _big_ntriples(40_000)  # 200k triples

        def upload() -> None:
            with contextlib.suppress(httpx.HTTPError):  # the server dies under it
                if change == "new":
                    httpx.post(url + "/datasets", params={"title": "Groot", "license": CC0, "id": "groot"},
                               content=big, timeout=300, headers={**headers, "Content-Type": "application/n-triples"})
                else:
                    httpx.put(url + "/datasets/groot", content=big, timeout=300,
                              headers={**headers, "Content-Type": "application/n-triples"})

        thread = threading.Thread(target=upload)
        thread.start()
        # A new dataset: kill as soon as the bulk loader has written its first sorted file (it ingests
        # them all at the end). A replacement: parsing, validating and writing takes longer than 3 s.
        deadline = time.monotonic() + 3.0
        while change == "new" and time.monotonic() < deadline and not list(fresh_store_dir.glob("bulk-*.sst")):
            time.sleep(0.01)
        if change == "replace":
            time.sleep(3.0)
        os.killpg(server.pid, signal.SIGKILL)
        thread.join(timeout=60)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
    triples, version, cells = _state(fresh_store_dir)
    before = (0, 0, 0) if change == "new" else (10, 1, 2)
    after = (200_000, 1 if change == "new" else 2, 40_000)
    assert (triples, version, cells) in (before, after)
    assert not list(fresh_store_dir.glob("bulk-*.sst"))
