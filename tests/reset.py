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

import re

from rdflib import BNode, Graph

from app.store.remote import RemoteStore

SMALL = 5000  # triples: graphs up to this size are compared (and restored) triple by triple
_BNODE = re.compile(r"_:\S+")


def _content(store: RemoteStore, graph: str) -> Graph:
    return store.construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")


def _fingerprint(graph: Graph) -> list[str]:
    """Sorted N-Triples with blank node labels blanked: labels differ per answer, content doesn't."""
    lines = graph.serialize(format="nt").splitlines()
    return sorted(_BNODE.sub("_:b", line) for line in lines if line.strip())


class Baseline:
    """What a remote store held right after it started from the sample snapshot."""

    def __init__(self, store: RemoteStore) -> None:
        self.sizes = store.graph_sizes()
        self.small = {g: _content(store, g) for g, n in self.sizes.items() if n <= SMALL}
        self.prints = {g: _fingerprint(content) for g, content in self.small.items()}

    def restore(self, store: RemoteStore) -> bool:
        """Undo a test's writes in place; False when only a new server from the snapshot can."""
        sizes = store.graph_sizes()
        if any(sizes.get(g) != n for g, n in self.sizes.items() if g not in self.small):
            return False
        statements = [f"DROP SILENT GRAPH <{g}>" for g in sizes if g not in self.sizes]
        for graph, content in self.small.items():
            if sizes.get(graph) == self.sizes[graph] and _fingerprint(_content(store, graph)) == self.prints[graph]:
                continue
            statements.append(f"DROP SILENT GRAPH <{graph}>")
            triples = " ".join(f"{_term(s)} {_term(p)} {_term(o)} ." for s, p, o in content)
            statements.append(f"INSERT DATA {{ GRAPH <{graph}> {{ {triples} }} }}")
        for statement in statements:  # one by one: Virtuoso runs a multi-part update less predictably
            store.update(statement)
        return True


def _term(term: object) -> str:
    return f"_:{term}" if isinstance(term, BNode) else term.n3()  # type: ignore[attr-defined]
