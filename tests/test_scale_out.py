"""Scale-out on a remote store: stateless API processes share one server, and an outage of the
store is a 503 with Retry-After that heals by itself when the store is back."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from . import servers as srv
from .conftest import make_client, unavailable
from .test_persistence_and_cli import EXTRA, pvb

ROOT = Path(__file__).resolve().parents[1]
NEAR_MILL = {"lat": 53.218, "lon": 6.163, "radius": 50}


@pytest.fixture
def oxigraph(server_of):
    reason = srv.available("oxigraph")
    if reason:
        unavailable("oxigraph", reason)
    try:
        server = server_of.sample("oxigraph")
    except RuntimeError as exc:
        unavailable("oxigraph", f"the server could not start: {exc}")
    yield server
    server_of.stop(server)


def start_api(store: str, port: int, log: Path, **env_vars: str) -> subprocess.Popen:
    env = {**os.environ, "PVB_ENVIRONMENT": "test", "PVB_LOG_LEVEL": "warning", "PYTHONPATH": str(ROOT), **env_vars}
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--store", store, "--port", str(port)],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def wait_healthy(base: str, process: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"pvb serve exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(base + "/health", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"pvb serve did not become healthy: {log.read_text()[-2000:]}")


def stop_api(api: subprocess.Popen) -> None:
    api.send_signal(signal.SIGTERM)
    try:
        api.wait(timeout=30)
    except subprocess.TimeoutExpired:
        api.kill()


def test_two_api_processes_on_one_store_see_each_others_writes(oxigraph, tmp_path):
    ports = [srv.free_port(), srv.free_port()]
    logs = [tmp_path / f"api{i}.log" for i in range(2)]
    apis = [start_api(oxigraph.query_url, port, log) for port, log in zip(ports, logs, strict=True)]
    try:
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        for base, api, log in zip(bases, apis, logs, strict=True):
            wait_healthy(base, api, log)
        # Both workers have built their spatial index: neither knows the mill yet.
        for base in bases:
            items = httpx.get(base + "/places/nearby", params=NEAR_MILL, timeout=30).json()["items"]
            assert "De Testmolen" not in [item["label"] for item in items]
        triples = httpx.get(bases[0] + "/health", timeout=30).json()["triples"]

        turtle = tmp_path / "extra.ttl.gz"
        turtle.write_bytes(gzip.compress(EXTRA.encode()))
        result = pvb("load", str(turtle), "--store", oxigraph.query_url, "--graph", "https://example.org/g", "--quiet")
        assert result.returncode == 0, result.stderr

        for base in bases:  # the write is read through either process, without a restart
            items = httpx.get(base + "/places/nearby", params=NEAR_MILL, timeout=30).json()["items"]
            assert items[0]["label"] == "De Testmolen"
            assert httpx.get(base + "/health", timeout=30).json()["triples"] > triples
    finally:
        for api in apis:
            stop_api(api)


def test_a_store_outage_is_a_503_and_heals_by_itself(oxigraph):
    timeout = 2.0
    with make_client(oxigraph.query_url, store_timeout=timeout) as client:
        assert client.get("/places/nearby", params=NEAR_MILL).status_code == 200

        # A store that accepts connections but does not answer: the request gives up in time.
        os.kill(oxigraph.process.pid, signal.SIGSTOP)
        try:
            started = time.monotonic()
            r = client.get("/places/nearby", params={"lat": 53.2179, "lon": 6.1628})
            assert time.monotonic() - started < timeout * 3
        finally:
            os.kill(oxigraph.process.pid, signal.SIGCONT)
        assert r.status_code == 503
        assert r.headers["content-type"] == "application/problem+json"
        assert int(r.headers["retry-after"]) > 0

        # A store that is gone: every endpoint says so at once, /health too.
        oxigraph.stop()
        for path, params in (("/places/nearby", {"lat": 53.2179, "lon": 6.1628}), ("/places/rm-7032", {}),
                             ("/health", {})):
            r = client.get(path, params=params)
            assert r.status_code == 503, (path, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            assert r.headers["retry-after"]
            assert r.json()["status"] == 503

        # The store comes back on the same location and port: the API recovers without a restart.
        oxigraph.start()
        assert client.get("/health").status_code == 200
        assert client.get("/places/nearby", params={"lat": 53.2179, "lon": 6.1628, "radius": 500}).json()[
            "items"][0]["id"].endswith("rm-7032")


def test_the_api_starts_while_the_store_is_down_and_serves_once_it_is_back(oxigraph, tmp_path):
    oxigraph.stop()
    port, log = srv.free_port(), tmp_path / "api.log"
    api = start_api(oxigraph.query_url, port, log, PVB_STORE_TIMEOUT="2")
    base = f"http://127.0.0.1:{port}"
    try:
        # The process stays up and says why it cannot serve yet, on /health and on the data routes.
        deadline = time.monotonic() + 60
        while True:
            assert api.poll() is None, f"pvb serve exited: {log.read_text()[-2000:]}"
            try:
                health = httpx.get(base + "/health", timeout=10)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, f"pvb serve did not answer: {log.read_text()[-2000:]}"
                time.sleep(0.2)
        for r in (health, httpx.get(base + "/places/nearby", params=NEAR_MILL, timeout=10),
                  httpx.get(base + "/places/rm-7032", timeout=10)):
            assert r.status_code == 503, r.text
            assert r.headers["content-type"] == "application/problem+json"
            assert int(r.headers["retry-after"]) > 0

        # The store comes up: the API finishes starting by itself and serves the data.
        oxigraph.start()
        wait_healthy(base, api, log, timeout=60)
        r = httpx.get(base + "/places/nearby", params={"lat": 53.2179, "lon": 6.1628, "radius": 500}, timeout=30)
        assert r.status_code == 200
        assert r.json()["items"][0]["id"].endswith("rm-7032")
    finally:
        stop_api(api)
