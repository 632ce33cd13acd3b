"""A real uvicorn server on a copy of the sample store, and headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

CHROMIUM = os.environ.get("PVB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chromium_available() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (scripts/install-system-deps installs Debian chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    return None


class Server:
    """uvicorn in a subprocess on a private store copy; accounts are made before it starts."""

    def __init__(self, sample_store: Path, workdir: Path) -> None:
        self.store = workdir / "store"
        shutil.copytree(sample_store, self.store)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log = workdir / "server.log"

    def add_account(self, username: str, password: str, display_name: str, institution: str | None = None) -> None:
        """`institution`: the key of an existing institution (staff of it)."""
        from app.accounts import create_account, grant
        from app.store.embedded import EmbeddedStore

        store = EmbeddedStore(self.store)
        try:
            user = create_account(store, "http://localhost:8000/", username, password, display_name)
            if institution:
                grant(store, user, "staff", f"http://localhost:8000/id/institution/{institution}")
        finally:
            store.close()

    def start(self) -> None:
        env = {**os.environ, "PVB_STORE": str(self.store), "PVB_ENVIRONMENT": "test", "PVB_TILE_URL": "",
               "PYTHONPATH": str(ROOT)}
        env.pop("PVB_TILE_URL")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", "warning"],
            cwd=ROOT, env=env, stdout=self.log.open("w"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("server exited: " + self.log.read_text())
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("server did not start: " + self.log.read_text())

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
