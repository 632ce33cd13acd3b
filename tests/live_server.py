"""A real `pvb serve` process on an embedded store directory, for tests that kill it, restart it or
load it from many clients at once. Accounts are made in the store before it starts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx

from .browser import free_port

ROOT = Path(__file__).resolve().parents[1]
BASE = "http://localhost:8000/"
PASSWORD = "correct horse battery"  # noqa: S105 - test accounts only
# Limits that would otherwise turn a deliberate burst from one loopback address into 429s.
UNLIMITED = {"PVB_RATE_PER_ACCOUNT": "100000", "PVB_RATE_PER_ADDRESS": "100000", "PVB_LOG_LEVEL": "warning"}


def add_accounts(store_dir: Path, names: list[str], *, curator_of: str | None = None) -> dict[str, dict[str, str]]:
    """Visitors (or, with `curator_of`, curators of that institution, created when new), each with a
    bearer token issued in the store: the `Authorization` headers by username. Passwords are hashed
    with cheap argon2 parameters, so twenty accounts take milliseconds, not seconds."""
    from unittest import mock

    from argon2 import PasswordHasher

    from app import accounts
    from app.settings import Settings
    from app.store.embedded import EmbeddedStore

    secret = Settings(environment="test").secret_key  # what the server, started with this environment, uses
    store = EmbeddedStore(store_dir)
    headers = {}
    try:
        with mock.patch.object(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)):
            for name in names:
                user = accounts.create_account(store, BASE, name, PASSWORD, name.title())
                if curator_of:
                    accounts.grant(store, user, "curator", accounts.ensure_institution(store, BASE, curator_of))
                    user = accounts.find_account(store, name)
                token, _ = accounts.issue_token(store, secret, user, timedelta(hours=1))
                headers[name] = {"Authorization": f"Bearer {token}"}
    finally:
        store.close()
    return headers


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
