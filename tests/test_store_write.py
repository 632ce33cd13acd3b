"""Staged writes on the embedded store: Oxigraph's bulk loader, fed while the caller still computes,
must stay all-or-nothing for readers, for an abort and for a reopened store."""

from __future__ import annotations

import threading
from pathlib import Path

import pyoxigraph as ox
import pytest

from app.store.embedded import BULK_WRITE_BYTES, EmbeddedStore
from app.store.generation import current

GRAPH = "http://example.org/graph/staged"


def _trig(path: Path, start: int, count: int) -> Path:
    """A part of a staged write: a TriG file with `count` triples in GRAPH."""
    with path.open("w") as out:
        out.write(f"<{GRAPH}> {{\n")
        for n in range(start, start + count):
            out.write(f'<http://example.org/s/{n}> <http://example.org/p> "value {n}" .\n')
        out.write("}\n")
    assert path.stat().st_size >= BULK_WRITE_BYTES or count < 1000
    return path


def test_readers_see_none_or_all_of_a_staged_write_and_it_survives_reopening(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    store.update(f"INSERT DATA {{ GRAPH <{GRAPH}> {{ <http://example.org/x> <http://example.org/p> 1 }} }}")
    before, generation = store.quad_count(), current(store)
    first, second = _trig(tmp_path / "a.trig", 0, 120_000), _trig(tmp_path / "b.trig", 120_000, 30_000)
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
        staged.add(_trig(tmp_path / "a.trig", 0, 120_000))
        raise RuntimeError("validation said no")
    assert store.quad_count() == before
    assert current(store) == generation
    assert not list((tmp_path / "store").glob("bulk-*.sst"))
    store.close()


def test_a_small_staged_write_is_one_transaction_too(tmp_path: Path) -> None:
    store = EmbeddedStore(tmp_path / "store")
    with store.staged_write() as staged:
        staged.add(_trig(tmp_path / "a.trig", 0, 10))
        staged.add(_trig(tmp_path / "b.trig", 10, 5))
    assert _in_graph(store) == 15
    store.close()


def _in_graph(store: EmbeddedStore) -> int:
    return int(store.select(f"SELECT (COUNT(*) AS ?n) {{ GRAPH <{GRAPH}> {{ ?s ?p ?o }} }}")[0]["n"])


@pytest.mark.parametrize("ending", [b"# a comment without its newline", b"<http://example.org/s> <http://exa",
                                    b'<http://example.org/s> <http://example.org/p> "short',
                                    b'<http://example.org/s> <http://example.org/p> """long\n',
                                    b"<http://example.org/s> <http://example.org/p> '''long\n",
                                    b"<http://example.org/s> <http://example.org/p> \"x\" .\n"])
def test_an_abort_fails_the_load_whatever_state_the_last_part_left_it_in(tmp_path: Path, ending: bytes) -> None:
    """The loader reads the parts as one stream; an abort must fail it even where a part left the
    parser inside a comment, an IRI or a string (an upload is read as it was uploaded)."""
    store = EmbeddedStore(tmp_path / "store")
    before = store.quad_count()
    last = tmp_path / "last.ttl"
    last.write_bytes(ending)
    with pytest.raises(RuntimeError, match="validation said no"), store.staged_write(GRAPH) as staged:
        staged.add(_trig(tmp_path / "a.trig", 0, 120_000))
        staged.add(last)
        raise RuntimeError("validation said no")
    assert store.quad_count() == before
    assert not list((tmp_path / "store").glob("bulk-*.sst"))
    store.close()


def test_parts_default_graph_goes_to_the_staged_graph_with_the_first_parts_base(tmp_path: Path) -> None:
    """A Turtle part (as uploaded) then a TriG part: the same quads on the bulk path and the small one."""
    turtle = b'@prefix ex: <http://example.org/> .\n<rel> ex:p _:b , [ ex:q "anon" ] .\n_:b ex:r "b" .\n'
    derived = b'<http://example.org/other> { <http://example.org/x> <http://example.org/p> "derived" . }\n'
    graphs = (ox.NamedNode(GRAPH), ox.NamedNode("http://example.org/other"))
    results = []
    for size in (0, 120_000):  # no filler: the parts are converted at commit; else the loader reads them
        store = EmbeddedStore(tmp_path / f"store-{size}")
        part = tmp_path / f"upload-{size}.ttl"
        part.write_bytes(turtle + b"".join(f'<s/{n}> ex:p "{n}" .\n'.encode() for n in range(size)))
        extra = tmp_path / "derived.trig"
        extra.write_bytes(derived)
        with store.staged_write(GRAPH, "http://example.org/base/") as staged:
            staged.add(part)
            staged.add(extra)
        quads = [q for g in graphs for q in store._store.quads_for_pattern(None, None, None, g)]
        assert len(quads) == 5 + size
        results.append(sorted((q.graph_name.value, _term(q.subject), q.predicate.value, _term(q.object))
                              for q in quads if not q.subject.value.startswith("http://example.org/base/s/")))
        store.close()
    assert results[0] == results[1]
    assert results[0] == [(GRAPH, "_", "http://example.org/q", "anon"), (GRAPH, "_", "http://example.org/r", "b"),
                          (GRAPH, "http://example.org/base/rel", "http://example.org/p", "_"),
                          (GRAPH, "http://example.org/base/rel", "http://example.org/p", "_"),
                          ("http://example.org/other", "http://example.org/x", "http://example.org/p", "derived")]


def _term(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> str:
    return "_" if isinstance(term, ox.BlankNode) else term.value
