"""Putting a remote test server back to its sample data after a test wrote to it.

Starting Virtuoso from a snapshot for each of the many write tests would cost seconds per test.
Instead each remote backend keeps one writable server, and after every test:
- graphs the test created are dropped (annotations, accounts, datasets, their derived cells…);
- small sample graphs it changed (the catalogue, the system graph, …) get their sample content back,
  compared triple by triple;
- when a big sample graph changed size (a test deleted or replaced a sample dataset), the server is
  replaced by a new one from the snapshot: exact, and rare.
A big sample graph changed without changing its size would go unnoticed; no test does that, and
`test_reset_puts_the_sample_back` checks the mechanism itself.
"""

from __future__ import annotations

from rdflib import BNode, Graph

from app.store.remote import RemoteStore

SMALL = 5000  # triples: graphs up to this size are compared (and restored) triple by triple


def _content(store: RemoteStore, graph: str) -> Graph:
    return store.construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")


def _fingerprints(store: RemoteStore, graphs: list[str]) -> dict[str, list[str]]:
    """Each graph's triples as sorted N-Triples-like lines, blank node labels blanked (labels differ
    per answer, content doesn't): one SELECT for all the graphs, not a CONSTRUCT per graph."""
    if not graphs:
        return {}
    values = " ".join(f"<{g}>" for g in graphs)
    rows = store.select(f"SELECT ?g ?s ?p ?o WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }}")
    prints: dict[str, list[str]] = {g: [] for g in graphs}
    for row in rows:
        prints[str(row["g"])].append(" ".join(_print(row[k]) for k in ("s", "p", "o")))
    return {g: sorted(lines) for g, lines in prints.items()}


def _print(term: object) -> str:
    return "_:b" if isinstance(term, BNode) else term.n3()  # type: ignore[attr-defined]


class Baseline:
    """What a remote store held right after it started from the sample snapshot."""

    def __init__(self, store: RemoteStore) -> None:
        self.sizes = store.graph_sizes()
        self.small = {g: _content(store, g) for g, n in self.sizes.items() if n <= SMALL}
        self.prints = _fingerprints(store, sorted(self.small))

    def restore(self, store: RemoteStore) -> bool:
        """Undo a test's writes in place; False when only a new server from the snapshot can."""
        sizes = store.graph_sizes()
        if any(sizes.get(g) != n for g, n in self.sizes.items() if g not in self.small):
            return False
        statements = [f"DROP SILENT GRAPH <{g}>" for g in sizes if g not in self.sizes]
        same_size = sorted(g for g in self.small if sizes.get(g) == self.sizes[g])
        prints = _fingerprints(store, same_size)
        for graph, content in self.small.items():
            if graph in prints and prints[graph] == self.prints[graph]:
                continue
            statements.append(f"DROP SILENT GRAPH <{graph}>")
            triples = " ".join(f"{_term(s)} {_term(p)} {_term(o)} ." for s, p, o in content)
            statements.append(f"INSERT DATA {{ GRAPH <{graph}> {{ {triples} }} }}")
        for statement in statements:  # one by one: Virtuoso runs a multi-part update less predictably
            store.update(statement, public=False)  # the sample's own generation comes back with it
        return True


def _term(term: object) -> str:
    return f"_:{term}" if isinstance(term, BNode) else term.n3()  # type: ignore[attr-defined]
