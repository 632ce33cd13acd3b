"""Shared fixtures: the sample data is loaded into a store once per session, then copied."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.loading import load_sample_data
from app.main import create_app
from app.settings import Settings
from app.store.embedded import EmbeddedStore

BASE = "http://localhost:8000/"


@pytest.fixture(scope="session")
def sample_store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An embedded store with the sample data, built once; copy it before writing to it."""
    path = tmp_path_factory.mktemp("sample") / "store"
    store = EmbeddedStore(path)
    assert load_sample_data(store, BASE)
    store.close()
    import pyoxigraph

    compact = pyoxigraph.Store(str(path))
    compact.optimize()  # folds the load's write-ahead log away: a third of the size to copy per test
    del compact
    return path


@pytest.fixture
def fresh_store_dir(sample_store_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "store"
    shutil.copytree(sample_store_dir, target)
    return target


def make_client(store: str | Path, **settings: object) -> TestClient:
    return TestClient(create_app(Settings(store=str(store), environment="test", **settings)))


@pytest.fixture(scope="session")
def client(tmp_path_factory: pytest.TempPathFactory, sample_store_dir: Path) -> Iterator[TestClient]:
    """A read-only client on the sample data, shared by the whole session."""
    target = tmp_path_factory.mktemp("shared") / "store"
    shutil.copytree(sample_store_dir, target)
    with make_client(target) as test_client:
        yield test_client


def place(number: int | str) -> str:
    return f"{BASE}id/place/rm-{number}"


@pytest.fixture
def writable_client(fresh_store_dir: Path) -> Iterator[TestClient]:
    """A client on a private copy of the sample store, for tests that write."""
    with make_client(fresh_store_dir) as test_client:
        yield test_client


def register(client: TestClient, username: str, password: str = "correct horse battery", **extra: str) -> dict:
    r = client.post("/auth/register", json={"username": username, "password": password,
                                            "display_name": extra.pop("display_name", username.title()), **extra})
    assert r.status_code == 201, r.text
    return r.json()


def login(client: TestClient, username: str, password: str = "correct horse battery") -> dict[str, str]:
    r = client.post("/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def create_user(client: TestClient, username: str, *, role: str = "visitor", institution: str | None = None,
                password: str = "correct horse battery") -> dict[str, str]:
    """An account made the way an operator does (pvb users create), logged in."""
    from app.accounts import create_account, ensure_institution, grant

    store, base = client.app.state.store, client.app.state.settings.base_iri
    roles = ("visitor", role) if role in ("moderator", "admin") else ("visitor",)
    user = create_account(store, base, username, password, username.title(), roles=roles)
    if institution:
        grant(store, user, role, ensure_institution(store, base, institution))
    return login(client, username, password)
