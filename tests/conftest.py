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
