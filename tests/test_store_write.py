"""Staged writes on the embedded store: Oxigraph's bulk loader, fed while the caller still computes,
must stay all-or-nothing for readers, for an abort and for a reopened store."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from app.store.embedded import BULK_WRITE_BYTES, EmbeddedStore
from app.store.generation import current

GRAPH = "http://example.org/graph/staged"


def _nquads(path: Path, start: int, count: int) -> Path:
    with path.open("w") as out:
        for n in range(start, start + count):
            out.write(f'<http://example.org/s/{n}> <http://example.org/p> "value {n}" <{GRAPH}> .\n')
    assert path.stat().st_size >= BULK_WRITE_BYTES or count < 1000
    return path


def test_readers_see_none_or_all_of_a_staged_write_and_it_survives_reopening(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    store.update(f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <http://example.org/x> <http://example.org/p> 1 }} }}")
    before, generation = store.quad_count(), current(store)
    first, second = _nquads(tmp_path / "a.nq", 0, 120_000), _nquads(tmp_path / "b.nq", 120_000, 30_000)
    seen: set[int] = set()
    polls = 0
    done = threading.Event()

    def read() -> None:
        nonlocal polls
        while not done.is_set():
            seen.add(store.quad_count())
            polls += 1
            done.wait(0.01)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        with store.staged_write() as staged:
            staged.add(first)
            seen_while_feeding = store.quad_count()
            staged.add(second)
    finally:
        done.set()
        reader.join()
    assert seen_while_feeding == before
    assert polls > 10 and seen <= {before, before + 150_000}, sorted(seen)[:5]
    assert store.quad_count() == before + 150_000
    assert current(store) != generation  # a public write: cached views are renewed
    store.close()
    reopened = EmbeddedStore(tmp_path / "store")
    assert reopened.quad_count() == before + 150_000
    assert not list((tmp_path / "store").glob("bulk-*.sst"))
    reopened.close()


def test_an_aborted_staged_write_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    store.update(f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <http://example.org/x> <http://example.org/p> 1 }} }}")
    before, generation = store.quad_count(), current(store)
    with pytest.raises(RuntimeError, match="validation said no"), store.staged_write() as staged:
        staged.add(_nquads(tmp_path / "a.nq", 0, 120_000))
        raise RuntimeError("validation said no")
    assert store.quad_count() == before
    assert current(store) == generation
    assert not list((tmp_path / "store").glob("bulk-*.sst"))
    store.close()


def test_a_small_staged_write_is_one_transaction_too(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    with store.staged_write() as staged:
        staged.add(_nquads(tmp_path / "a.nq", 0, 10))
        staged.add(_nquads(tmp_path / "b.nq", 10, 5))
    assert _in_graph(store) == 15
    store.close()


def _in_graph(store: EmbeddedStore) -> int:
    return int(store.select(f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}")[0]["n"])
