"""Shared fixtures: the sample data is loaded into a store once per session, then copied.

The API fixtures (`client`, `fresh_store`, `empty_store`) are parametrised over the backends in
`PVB_TEST_BACKENDS` (default `embedded,oxigraph,virtuoso`): every test that uses them runs on the
embedded store and on real Oxigraph and Virtuoso servers. A server that cannot start here is
skipped with the reason; under `CI=true` it is a failure instead, and so is a run in which a remote
backend's tests were selected but none of them passed.

Safe under pytest-xdist (`-n 2`, as scripts/test runs it): each worker has its own temporary
directories, ports and servers; the CI checks run in the controller, from the reports.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn
from unittest import mock

import pytest
from fastapi.testclient import TestClient

from app.loading import load_sample_data
from app.main import create_app
from app.settings import Settings
from app.store.embedded import EmbeddedStore
from app.store.remote import RemoteStore

from . import servers as srv
from .reset import Baseline

BASE = "http://localhost:8000/"
# Generous store timeouts in tests (CLI subprocesses inherit it): a loaded machine must not turn a
# slow answer into a failure; the outage test sets its own short timeout.
os.environ.setdefault("PVB_STORE_TIMEOUT", "60")
os.environ.setdefault("PVB_WARM_PLACES", "0")  # ~1 s of background reads per app start; tested on its own
BACKENDS = [b.strip() for b in os.environ.get("PVB_TEST_BACKENDS", "embedded,oxigraph,virtuoso").split(",")
            if b.strip()]
REMOTE = ("oxigraph", "virtuoso")
_selected_remote: set[str] = set()  # remote backends with at least one test in this run
_ran_remote: set[str] = set()  # … and with at least one that passed
_skipped: dict[str, str] = {}  # backends that cannot be used here (this process), and why
_reported: dict[str, str] = {}  # skip reasons of remote backends, from the reports (all workers)


def unavailable(backend: str, reason: str) -> NoReturn:
    """A remote store that cannot be used here: the test is skipped, or under CI=true fails."""
    _skipped.setdefault(backend, reason)
    message = f"{backend} backend: {reason}"
    if srv.ci():
        pytest.fail(f"{message} (CI=true: the remote store tests must run)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashes() -> Iterator[None]:
    """Argon2id with minimal cost for the accounts the tests make in-process: the OWASP parameters
    cost ~30 ms per hash and per login, hundreds of times per run, and test nothing the tests check.
    (Hashes carry their parameters: a hash made by `pvb users create` still verifies.)"""
    from argon2 import PasswordHasher

    from app import accounts

    with mock.patch.object(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)):
        yield


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


class Servers:
    """Server processes of the session: a sample-data snapshot per backend, built once."""

    def __init__(self, tmp: pytest.TempPathFactory, sample_store_dir: Path) -> None:
        self.tmp = tmp
        self.sample_store_dir = sample_store_dir
        self.snapshots: dict[str, Path] = {}
        self.running: list[srv.Server] = []
        self.reusable: dict[str, tuple[srv.Server, Baseline]] = {}
        self.retired: set[str] = set()

    def new(self, backend: str, source: Path | None, attempts: int = 3) -> srv.Server:
        """A started server on a new database directory (a copy of `source`, or empty). A start that
        fails is tried again on new ports: another process may have taken a free port meanwhile."""
        for attempt in range(attempts):
            location = self.tmp.mktemp(backend) / "db"
            if source is not None:
                srv.snapshot(source, location)
            server = srv.SERVERS[backend](location)
            try:
                server.start()
            except RuntimeError:
                if attempt + 1 == attempts:
                    raise
                continue
            self.running.append(server)
            return server
        raise AssertionError("unreachable")

    def snapshot(self, backend: str) -> Path:
        if backend not in self.snapshots:
            if backend == "oxigraph":  # the server reads the embedded store's files as they are
                self.snapshots[backend] = self.sample_store_dir
            else:
                server = self.new(backend, None)
                store = RemoteStore(server.query_url, timeout=120)
                assert load_sample_data(store, BASE)
                self.stop(server)
                self.snapshots[backend] = server.location
        return self.snapshots[backend]

    def sample(self, backend: str) -> srv.Server:
        """A new server holding the sample data."""
        return self.new(backend, self.snapshot(backend))

    def stop(self, server: srv.Server) -> None:
        server.stop()
        if server in self.running:
            self.running.remove(server)

    def stop_all(self) -> None:
        for server in list(self.running):
            self.stop(server)

    def writable(self, backend: str) -> srv.Server:
        """The backend's server for tests that write, holding exactly the sample data."""
        if backend not in self.reusable:
            server = self.sample(backend)
            self.reusable[backend] = (server, Baseline(RemoteStore(server.query_url, timeout=120)))
        return self.reusable[backend][0]

    def retire(self, backend: str) -> None:
        """Stop the backend's writable server after the current test, instead of putting it back."""
        self.retired.add(backend)

    def put_back(self, backend: str) -> None:
        """Undo the last test's writes; a new server from the snapshot when that cannot be done."""
        server, baseline = self.reusable.pop(backend)
        if backend in self.retired:
            self.retired.discard(backend)
            self.stop(server)
            return
        try:
            if baseline.restore(RemoteStore(server.query_url, timeout=120)):
                self.reusable[backend] = (server, baseline)
                return
        except Exception:  # noqa: BLE001 - a server the test broke is replaced, whatever broke it
            pass
        self.stop(server)


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory, sample_store_dir: Path) -> Iterator[Servers]:
    pool = Servers(tmp_path_factory, sample_store_dir)
    try:
        yield pool
    finally:
        pool.stop_all()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The store backend a test runs on: `embedded`, `oxigraph` or `virtuoso`."""
    name = request.param
    if name not in ("embedded", *REMOTE):
        raise pytest.UsageError(f"unknown backend {name!r} in PVB_TEST_BACKENDS")
    reason = srv.available(name) if name in REMOTE else None
    reason = reason or _skipped.get(name)
    if reason:
        unavailable(name, reason)
    return name


def _server(servers: Servers, backend: str, sample: bool) -> srv.Server:
    try:
        return servers.sample(backend) if sample else servers.new(backend, None)
    except RuntimeError as exc:
        unavailable(backend, f"the server could not start: {exc}")


@pytest.fixture
def fresh_store(backend: str, servers: Servers, sample_store_dir: Path, tmp_path: Path) -> Iterator[str]:
    """A store with the sample data, to write to: a private directory, or the backend's writable
    server (put back to the sample data after the test, see tests/reset.py)."""
    if backend == "embedded":
        target = tmp_path / "store"
        shutil.copytree(sample_store_dir, target)
        yield str(target)
        return
    try:
        server = servers.writable(backend)
    except RuntimeError as exc:
        unavailable(backend, f"the server could not start: {exc}")
    try:
        yield server.query_url
    finally:
        servers.put_back(backend)


@pytest.fixture
def empty_store(backend: str, servers: Servers, tmp_path: Path) -> Iterator[str]:
    """A new store with nothing in it: a directory or a SPARQL query URL."""
    if backend == "embedded":
        yield str(tmp_path / "new")
        return
    server = _server(servers, backend, sample=False)
    yield server.query_url
    servers.stop(server)


@pytest.fixture
def server_of(servers: Servers) -> Servers:
    """The session's server pool, for tests that stop and start servers themselves."""
    return servers


def make_client(store: str | Path, **settings: object) -> TestClient:
    settings.setdefault("store_timeout", float(os.environ["PVB_STORE_TIMEOUT"]))
    return TestClient(create_app(Settings(store=str(store), environment="test", **settings)))


def open_test_store(store: str | Path) -> EmbeddedStore | RemoteStore:
    from app.store import open_store

    return open_store(Settings(store=str(store), environment="test"))  # type: ignore[return-value]


@pytest.fixture(scope="session")
def client(backend: str, servers: Servers, tmp_path_factory: pytest.TempPathFactory,
           sample_store_dir: Path) -> Iterator[TestClient]:
    """A read-only client on the sample data, shared by the whole session (per backend)."""
    if backend == "embedded":
        target = tmp_path_factory.mktemp("shared") / "store"
        shutil.copytree(sample_store_dir, target)
        store = str(target)
    else:
        store = _server(servers, backend, sample=True).query_url
    with make_client(store) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def embedded_client(tmp_path_factory: pytest.TempPathFactory, sample_store_dir: Path) -> Iterator[TestClient]:
    """A read-only client on the embedded store only, for tests that pin the app's own behaviour
    (per-backend behaviour is covered by tests on the parametrised `client`)."""
    target = tmp_path_factory.mktemp("embedded") / "store"
    shutil.copytree(sample_store_dir, target)
    with make_client(target) as test_client:
        yield test_client


def place(number: int | str) -> str:
    return f"{BASE}id/place/rm-{number}"


@pytest.fixture
def writable_client(fresh_store: str) -> Iterator[TestClient]:
    """A client on a store with the sample data, for tests that write (on every backend)."""
    with make_client(fresh_store) as test_client:
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


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """Tag each report with its backend: under xdist the reports, not the items, reach the controller."""
    outcome = yield
    params = getattr(getattr(item, "callspec", None), "params", {})
    if params.get("backend") in REMOTE:
        outcome.get_result().user_properties.append(("pvb_backend", params["backend"]))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    backend = dict(report.user_properties).get("pvb_backend")
    if backend is None:
        return
    _selected_remote.add(backend)
    if report.when == "call" and report.passed:
        _ran_remote.add(backend)
    elif report.skipped and isinstance(report.longrepr, tuple):
        _reported.setdefault(backend, report.longrepr[2].removeprefix("Skipped: ").removeprefix(f"{backend} backend: "))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a remote backend whose tests were selected but never passed is a failure, not a quiet pass
    (checked once, in the controller when the run is distributed over xdist workers)."""
    if hasattr(session.config, "workerinput") or not srv.ci():
        return
    missing = [b for b in BACKENDS if b in _selected_remote and b not in _ran_remote]
    if missing:
        reasons = "; ".join(f"{b}: {_reported.get(b, 'no test on it passed')}" for b in missing)
        print(f"\nCI: remote store backend(s) did not run ({reasons})")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _per_backend(item: pytest.Item) -> bool:
    return "backend" in getattr(getattr(item, "callspec", None), "params", {})


@pytest.hookimpl(trylast=True)  # after pytest has grouped the tests by backend
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The tests that do not run per backend go first: they hold the longest ones (the SHACL check of
    the sample data, the API fuzzer, the crash, browser and scale-out tests). pytest puts them last,
    after the per-backend groups; under xdist they then trail at the end of the run on one worker
    while the other idles. First, they overlap with the hundreds of short per-backend tests.
    The per-backend tests keep pytest's order (grouped by backend: each group's servers and shared
    client are set up once per worker).

    PVB_TEST_ONLY_PARAMETRISED=1: only the tests that run per backend (for a run per backend)."""
    if os.environ.get("PVB_TEST_ONLY_PARAMETRISED") == "1":
        config.hook.pytest_deselected(items=[item for item in items if not _per_backend(item)])
        items[:] = [item for item in items if _per_backend(item)]
        return
    items[:] = [item for item in items if not _per_backend(item)] + [item for item in items if _per_backend(item)]


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ANN001
    for backend, reason in {**_reported, **_skipped}.items():
        terminalreporter.write_line(f"backend {backend} skipped: {reason}")
