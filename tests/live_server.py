"""A real `pvb serve` process on an embedded store directory, for tests that kill it, restart it or
load it from many clients at once. Accounts are made in the store before it starts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from .browser import free_port

ROOT = Path(__file__).resolve().parents[1]
BASE = "http://localhost:8000/"
PASSWORD = "correct horse battery"
# Limits that would otherwise turn a deliberate burst from one loopback address into 429s.
UNLIMITED = {"PVB_RATE_PER_ACCOUNT": "100000", "PVB_RATE_PER_ADDRESS": "100000", "PVB_LOG_LEVEL": "warning"}


def add_accounts(store_dir: Path, names: list[str], *, curator_of: str | None = None) -> None:
    """Visitors (or, with `curator_of`, curators of that institution, created when new)."""
    from app.accounts import create_account, ensure_institution, grant
    from app.store.embedded import EmbeddedStore

    store = EmbeddedStore(store_dir)
    try:
        for name in names:
            user = create_account(store, BASE, name, PASSWORD, name.title())
            if curator_of:
                grant(store, user, "curator", ensure_institution(store, BASE, curator_of))
    finally:
        store.close()


class PvbServer:
    """`pvb serve` in its own process group, so a SIGKILL takes it down at once, mid-request."""

    def __init__(self, store_dir: Path, **env: str) -> None:
        self.store_dir = store_dir
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "PVB_ENVIRONMENT": "test", **UNLIMITED, **env}
        self.process: subprocess.Popen | None = None
        self.url = ""
        self.log = store_dir.parent / f"{store_dir.name}-server.log"

    def start(self, timeout: float = 120) -> PvbServer:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--store", str(self.store_dir)],
                cwd=ROOT, env=self.env, start_new_session=True, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("pvb serve exited: " + self.log.read_text(errors="replace")[-2000:])
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError("pvb serve did not answer /health in time")

    def token(self, username: str) -> dict[str, str]:
        r = httpx.post(self.url + "/auth/token", data={"username": username, "password": PASSWORD}, timeout=30)
        r.raise_for_status()
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, the store is not closed."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self._reap()

    def stop(self) -> None:
        """A graceful stop (SIGTERM), so the store is closed and can be opened directly."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self._reap()

    def _reap(self) -> None:
        if self.process is not None:
            self.process.wait(timeout=30)
            self.process = None
