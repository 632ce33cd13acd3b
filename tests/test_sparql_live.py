"""SPARQLWrapper, a real SPARQL client, against a running server (uvicorn in a subprocess)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from rdflib import Graph
from SPARQLWrapper import CSV, JSON, N3, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import EndPointInternalError, QueryBadFormed

from tests.conftest import place

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory, sample_store_dir) -> Iterator[str]:
    import shutil

    store = tmp_path_factory.mktemp("live") / "store"
    shutil.copytree(sample_store_dir, store)
    port = free_port()
    env = {**os.environ, "PVB_STORE": str(store), "PVB_ENVIRONMENT": "test", "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(  # noqa: S603 - our own server
        [sys.executable, "-m", "uvicorn", "--factory", "app.main:create_app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"], cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None:
                raise RuntimeError("server exited")
            time.sleep(0.1)
        else:
            raise RuntimeError("server did not start")
        yield url + "/sparql"
    finally:
        process.terminate()
        process.wait(timeout=20)


def client(url: str, query: str, fmt: str, method: str = "GET") -> SPARQLWrapper:
    sparql = SPARQLWrapper(url)
    sparql.setQuery(query)
    sparql.setReturnFormat(fmt)
    sparql.setMethod(method)
    return sparql


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_select(server, method) -> None:
    query = f"SELECT ?label WHERE {{ <{place(7032)}> <http://www.w3.org/2000/01/rdf-schema#label> ?label }}"
    result = client(server, query, JSON, method).queryAndConvert()
    labels = {b["label"]["value"] for b in result["results"]["bindings"]}
    assert "Kerk, Geawei 15, Augustinusga" in labels
    xml = client(server, query, XML, method).queryAndConvert()
    assert "Geawei 15" in xml.toxml()
    assert b"Geawei 15" in client(server, query, CSV, method).queryAndConvert()
    assert b"?label" in client(server, query, TSV, method).queryAndConvert()


def test_ask(server) -> None:
    assert client(server, f"ASK {{ <{place(7032)}> ?p ?o }}", JSON).queryAndConvert()["boolean"] is True
    assert "true" in client(server, "ASK { ?s ?p ?o }", XML).queryAndConvert().toxml()


@pytest.mark.parametrize("fmt", [TURTLE, N3, XML, "json-ld"])
def test_construct_and_describe(server, fmt) -> None:
    for query in (f"CONSTRUCT WHERE {{ <{place(7032)}> ?p ?o }}", f"DESCRIBE <{place(7032)}>"):
        result = client(server, query, fmt).queryAndConvert()
        graph = result if isinstance(result, Graph) else Graph().parse(data=result, format="turtle")
        assert len(graph) > 5


def test_errors_reach_the_client(server) -> None:
    with pytest.raises(QueryBadFormed):
        client(server, "SELECT * WHERE { ?s ?p }", JSON).queryAndConvert()
    sparql = client(server, "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", JSON)
    with pytest.raises(Exception) as refused:  # noqa: PT011 - SPARQLWrapper maps 403 to a plain HTTPError
        sparql.queryAndConvert()
    assert "403" in str(refused.value) or isinstance(refused.value, EndPointInternalError)
