"""Every store keeps everything across restarts; the CLI works on the same store as the server.

Tests taking `fresh_store`/`empty_store` run on every backend (a directory or a server URL);
the ones that open the embedded store's files directly stay embedded-only.
"""

import gzip
import subprocess
import sys

from app.loading import load_sample_data
from app.store.embedded import EmbeddedStore

from .conftest import BASE, make_client, open_test_store

EXTRA = """@prefix geo: <http://www.w3.org/2003/01/geo/wgs84_pos#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://example.org/museum/windmill> rdfs:label "De Testmolen"@nl ;
    geo:lat "53.21800"^^xsd:double ; geo:long "6.16300"^^xsd:double .
"""


def pvb(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "app.cli", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def test_loaded_data_survives_a_restart_and_sample_is_not_loaded_twice(fresh_store, tmp_path):
    fresh_store_dir = fresh_store
    turtle = tmp_path / "extra.ttl.gz"
    turtle.write_bytes(gzip.compress(EXTRA.encode()))
    result = pvb("load", str(turtle), "--store", str(fresh_store_dir), "--graph", "https://example.org/g", "--quiet")
    assert result.returncode == 0, result.stderr
    with make_client(fresh_store_dir) as client:
        items = client.get("/places/nearby", params={"lat": 53.218, "lon": 6.163, "radius": 50}).json()["items"]
        assert items[0]["label"] == "De Testmolen"
        triples = client.get("/health").json()["triples"]
    with make_client(fresh_store_dir) as client:  # a second start: nothing lost, nothing doubled
        assert client.get("/health").json()["triples"] == triples
        assert client.get("/places/nearby", params={"lat": 53.218, "lon": 6.163, "radius": 50}).json()["items"][0][
            "label"] == "De Testmolen"


def test_empty_store_gets_the_sample_data_on_first_start(empty_store):
    with make_client(empty_store) as client:
        assert client.get("/health").json()["places"] == 8025


def test_interrupted_sample_load_is_completed_on_next_start(tmp_path):
    store = EmbeddedStore(tmp_path / "s")
    store.update(f'INSERT DATA {{ GRAPH <{BASE}id/dataset/rce-monuments> {{ <urn:half> <urn:p> "written" }} }}')
    store.close()
    store = EmbeddedStore(tmp_path / "s")
    assert load_sample_data(store, BASE)
    assert not store.ask("ASK { <urn:half> ?p ?o }")
    assert not load_sample_data(store, BASE)
    store.close()


def test_sample_data_is_not_loaded_into_a_store_with_other_data(tmp_path):
    store = EmbeddedStore(tmp_path / "s")
    store.update('INSERT DATA { GRAPH <https://example.org/mine> { <urn:a> <urn:b> "c" } }')
    before = store.quad_count()
    assert not load_sample_data(store, BASE)
    assert store.quad_count() == before and store.named_graphs() == ["https://example.org/mine",
                                                                     "urn:pvb:private:generation"]
    store.close()


def test_cli_stats_counts_places(fresh_store):
    fresh_store_dir = fresh_store
    result = pvb("stats", "--store", str(fresh_store_dir))
    assert result.returncode == 0, result.stderr
    assert "places:  8025" in result.stdout


def test_cli_load_reports_syntax_errors_and_changes_nothing(fresh_store, tmp_path):
    fresh_store_dir = fresh_store
    bad = tmp_path / "bad.ttl"
    bad.write_text("<urn:a> <urn:b> .\n")
    before = open_test_store(fresh_store_dir)
    count = before.quad_count()
    before.close()
    result = pvb("load", str(bad), "--store", str(fresh_store_dir), "--quiet")
    assert result.returncode == 2 and "syntax error" in result.stderr.lower()
    after = open_test_store(fresh_store_dir)
    assert after.quad_count() == count
    after.close()


def test_cli_load_of_a_quad_file_keeps_its_graphs(fresh_store, tmp_path):
    fresh_store_dir = fresh_store
    nq = tmp_path / "x.nq"
    nq.write_text('<https://example.org/p> <http://www.w3.org/2003/01/geo/wgs84_pos#lat> "52.1"^^'
                  '<http://www.w3.org/2001/XMLSchema#double> <https://example.org/graph> .\n'
                  '<https://example.org/p> <http://www.w3.org/2003/01/geo/wgs84_pos#long> "5.1"^^'
                  '<http://www.w3.org/2001/XMLSchema#double> <https://example.org/graph> .\n')
    assert pvb("load", str(nq), "--store", str(fresh_store_dir), "--quiet").returncode == 0
    store = open_test_store(fresh_store_dir)
    assert store.ask("ASK { GRAPH <https://example.org/graph> { ?s ?p ?o } }")
    assert store.ask("ASK { GRAPH ?d { <https://example.org/graph> <https://w3id.org/pvb/ns#geoVersion> ?v } }")
    store.close()


def test_cli_refuses_unknown_files(tmp_path):
    result = pvb("load", str(tmp_path / "missing.ttl"), "--store", str(tmp_path / "s"), "--quiet")
    assert result.returncode == 2 and "No such file" in result.stderr
