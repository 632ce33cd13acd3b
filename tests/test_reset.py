"""tests/reset.py itself: after a test wrote to a remote backend's shared server, the server holds
exactly the sample data again, or is replaced by a new one from the snapshot."""

from __future__ import annotations

import pytest
from rdflib import BNode

from app.store.remote import RemoteStore

from .conftest import BACKENDS, BASE, REMOTE, unavailable
from .reset import SMALL

CATALOGUE = "urn:pvb:graph:catalogue"
DATASET = f"{BASE}id/dataset/rce-monuments"
TITLE_NL = '"Rijksmonumenten in Friesland, Groningen en Drenthe (2015)"@nl'
CHT = f"{BASE}id/dataset/cht"
SCHEME = f"{BASE}id/scheme/monument-types"
DCT = "http://purl.org/dc/terms/"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"


def _state(store: RemoteStore) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Every graph's size, and the content of the small ones, read with CONSTRUCT (not the way
    tests/reset.py reads them, so that a blind spot there is not shared here)."""
    sizes = store.graph_sizes()
    content = {}
    for graph in sorted(g for g, n in sizes.items() if n <= SMALL):
        triples = store.construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        content[graph] = sorted(" ".join("_:b" if isinstance(t, BNode) else t.n3() for t in triple)
                                for triple in triples)
    return sizes, content


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b in REMOTE], indirect=True)
def test_reset_puts_the_sample_back(backend, server_of):
    try:
        store = RemoteStore(server_of.writable(backend).query_url, timeout=120)
    except RuntimeError as exc:
        unavailable(backend, f"the server could not start: {exc}")
    done = False
    try:
        before = _state(store)
        assert {CATALOGUE, CHT} <= before[1].keys()

        # a new graph; a small sample graph changed without changing its size; one grown, one shrunk
        store.update('INSERT DATA { GRAPH <urn:test:reset:new> { <urn:test:a> <urn:test:b> "c" } }')
        store.update(f"DELETE DATA {{ GRAPH <{CATALOGUE}> {{ <{DATASET}> <{DCT}title> {TITLE_NL} }} }}")
        store.update(f'INSERT DATA {{ GRAPH <{CATALOGUE}> {{ <{DATASET}> <{DCT}title> "Iets anders"@nl }} }}')
        store.update(f"INSERT DATA {{ GRAPH <{BASE}id/dataset/sample-context> {{ <urn:test:a> <urn:test:b> 1 }} }}")
        store.update(f"DELETE DATA {{ GRAPH <{CHT}> {{ <{SCHEME}> {RDF_TYPE} <{SKOS}ConceptScheme> }} }}")
        changed = _state(store)
        assert changed[0][CATALOGUE] == before[0][CATALOGUE] and changed[1][CATALOGUE] != before[1][CATALOGUE]
        assert changed[0][CHT] == before[0][CHT] - 1 and "urn:test:reset:new" in changed[0]

        server_of.put_back(backend)
        assert backend in server_of.reusable  # put back in place, not replaced
        assert _state(store) == before

        # a big sample graph that changed size cannot be put back in place: a new server takes over
        store.update(f"DELETE WHERE {{ GRAPH <{DATASET}> {{ <{BASE}id/place/rm-7032> ?p ?o }} }}")
        server_of.put_back(backend)
        assert backend not in server_of.reusable
        fresh = RemoteStore(server_of.writable(backend).query_url, timeout=120)
        assert fresh.query_url != store.query_url and _state(fresh) == before
        done = True
    finally:
        if backend in server_of.reusable:
            if not done:  # whatever state it is in, no later test gets it
                server_of.retire(backend)
            server_of.put_back(backend)
