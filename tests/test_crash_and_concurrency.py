"""A real `pvb serve` on an embedded store, killed (SIGKILL) in the middle of a stream of writes, or
loaded by twenty clients at once while a curator replaces a dataset: every write that was answered
with success is there afterwards, whole, and the derived data agrees with it.

(The dataset upload killed mid-way is in tests/test_datasets_cli_and_crash.py.)"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np

from app.annotations import ANNOTATIONS, MODERATION
from app.derived import derived_graph
from app.geo import CELL_PRECISIONS, geohash_many
from app.store.embedded import EmbeddedStore

from .datagen import places_ntriples
from .live_server import BASE, PvbServer, add_accounts

ANNO = "http://www.w3.org/ns/anno.jsonld"
PROFILE = f'application/ld+json; profile="{ANNO}"'
CC0 = "http://creativecommons.org/publicdomain/zero/1.0/"
DATA = Path(__file__).parent / "data"
PREFIXES = """PREFIX oa: <http://www.w3.org/ns/oa#> PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX pvb: <https://w3id.org/pvb/ns#> PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX prov: <http://www.w3.org/ns/prov#> PREFIX as: <http://www.w3.org/ns/activitystreams#>
"""


def comment(target: str, text: str) -> str:
    return json.dumps({"@context": ANNO, "type": "Annotation", "motivation": "commenting", "target": target,
                       "body": {"type": "TextualBody", "value": text, "format": "text/plain", "language": "nl"}})


def local(iri: str) -> str:
    """A platform IRI as a path on the test server."""
    return "/" + iri.removeprefix(BASE)


Work = Callable[[httpx.Client], bool]


def stream_until_killed(server: PvbServer, workers: list[Work], kill_after: Callable[[], bool],
                        deadline: float = 60) -> None:
    """Run each worker in a loop (each call one request; False: nothing left to do) until `kill_after()`,
    then SIGKILL the server with requests still in flight."""
    stop = threading.Event()

    def loop(work: Work) -> None:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            while not stop.is_set():
                try:
                    if not work(http):
                        return
                except httpx.HTTPError:  # the server died under this request
                    return

    threads = [threading.Thread(target=loop, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    end = time.monotonic() + deadline
    while not kill_after() and time.monotonic() < end and any(t.is_alive() for t in threads):
        time.sleep(0.005)
    server.kill()
    stop.set()
    for t in threads:
        t.join(timeout=60)


def select(store_dir: Path, sparql: str) -> list[dict]:
    """Opened directly after the kill: the store must open cleanly (no lock left, no repair needed)."""
    store = EmbeddedStore(store_dir)
    try:
        return [{k: str(v) for k, v in row.items()} for row in store.select(PREFIXES + sparql)]
    finally:
        store.close()


# --- crash safety ------------------------------------------------------------------------------------

def test_killing_the_server_during_annotation_posts_loses_no_acknowledged_one(fresh_store_dir):
    posters = [f"poster{n}" for n in range(4)]
    tokens = add_accounts(fresh_store_dir, posters)
    target = BASE + "id/place/rm-7036"
    server = PvbServer(fresh_store_dir).start()
    acknowledged: dict[str, str] = {}  # Location → text
    refused: list[str] = []
    try:
        before = httpx.get(server.url + local(target).replace("/id/place/", "/places/")).json()["context"]["comments"]

        def poster(name: str) -> Work:
            count = iter(range(10_000))

            def post(http: httpx.Client) -> bool:
                text = f"{name} schrijft bericht {next(count)} over de kerk"
                r = http.post("/annotations/", content=comment(target, text),
                              headers={**tokens[name], "Content-Type": PROFILE})
                (acknowledged.__setitem__(r.headers["location"], text) if r.status_code == 201
                 else refused.append(f"{r.status_code} {r.text[:200]}"))
                return True
            return post

        stream_until_killed(server, [poster(n) for n in posters], lambda: len(acknowledged) >= 40)
    finally:
        server.kill()
    assert not refused, refused[:3]
    assert len(acknowledged) >= 40

    # Nothing half-written: every annotation on the place has its target, body text, creator, dates,
    # generator and revision, and the private submission record written in the same transaction.
    stored = select(fresh_store_dir, f"""
        SELECT ?a ?text ?creator ?created ?generator ?revision ?submission WHERE {{
          GRAPH <{ANNOTATIONS}> {{ ?a oa:hasTarget <{target}> }}
          OPTIONAL {{ GRAPH <{ANNOTATIONS}> {{ ?a oa:hasBody ?body . ?body rdf:value ?text }} }}
          OPTIONAL {{ GRAPH <{ANNOTATIONS}> {{ ?a dcterms:creator ?creator }} }}
          OPTIONAL {{ GRAPH <{ANNOTATIONS}> {{ ?a dcterms:created ?created }} }}
          OPTIONAL {{ GRAPH <{ANNOTATIONS}> {{ ?a as:generator ?generator }} }}
          OPTIONAL {{ GRAPH <{ANNOTATIONS}> {{ ?a pvb:revision ?revision }} }}
          OPTIONAL {{ GRAPH <{MODERATION}> {{ ?submission pvb:about ?a }} }}
        }}""")
    assert {row["a"] for row in stored} >= set(acknowledged)
    for row in stored:
        assert {"text", "creator", "created", "generator", "revision", "submission"} <= row.keys(), row
    texts = {row["a"]: row["text"] for row in stored}
    assert all(texts[iri] == text for iri, text in acknowledged.items())

    server.start()  # restarts cleanly on the killed store
    try:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            for iri, text in acknowledged.items():
                r = http.get(local(iri))
                assert r.status_code == 200 and r.json()["body"]["value"] == text
            context = http.get(local(target).replace("/id/place/", "/places/")).json()
            assert context["context"]["comments"] == before + len(texts)
            assert context["social"]["comments"]["total"] == before + len(texts)
    finally:
        server.stop()


def test_killing_the_server_while_links_are_accepted_leaves_each_link_whole(fresh_store_dir):
    curator = add_accounts(fresh_store_dir, ["fenna"], curator_of="Fries Museum")["fenna"]
    server = PvbServer(fresh_store_dir).start()
    accepted: list[str] = []
    refused: list[str] = []
    try:
        r = httpx.post(server.url + "/datasets", params={
            "title": "Collectie Museum", "license": CC0, "id": "museum",
            "mapping": (DATA / "museum-mapping.json").read_text()}, content=(DATA / "museum.csv").read_bytes(),
            headers={**curator, "Content-Type": "text/csv"}, timeout=120)
        assert r.status_code == 201, r.text
        suggestions = httpx.get(server.url + "/datasets/museum/link-suggestions").json()["items"]
        assert len(suggestions) >= 15
        queue = [s["id"] for s in suggestions]
        lock = threading.Lock()

        def accept(http: httpx.Client) -> bool:
            with lock:
                if not queue:
                    return False
                key = queue.pop()
            r = http.post(f"/datasets/museum/link-suggestions/{key}/accept", headers=curator)
            accepted.append(key) if r.status_code == 200 else refused.append(f"{r.status_code} {r.text[:200]}")
            return True

        stream_until_killed(server, [accept] * 3, lambda: len(accepted) >= 5)
    finally:
        server.kill()
    assert not refused, refused[:3]
    assert 5 <= len(accepted) < len(suggestions)  # killed mid-stream

    # Each suggestion is wholly decided or wholly open: accepted ⇔ a link record with provenance
    # ⇔ the owl:sameAs statement itself.
    dataset = BASE + "id/dataset/museum"
    rows = select(fresh_store_dir, f"""
        SELECT ?s ?status ?agent ?link ?same WHERE {{
          GRAPH <urn:pvb:graph:link-suggestions> {{ ?s pvb:status ?status ; pvb:linkFrom ?from ; pvb:linkTo ?to .
                                                   FILTER(STRSTARTS(STR(?s), "{dataset}/")) }}
          OPTIONAL {{ GRAPH <urn:pvb:graph:link-suggestions> {{ ?s prov:wasAttributedTo ?agent }} }}
          OPTIONAL {{ GRAPH <urn:pvb:graph:links> {{ ?link prov:wasDerivedFrom ?s ; pvb:linkFrom ?from ;
                                                     pvb:linkTo ?to ; pvb:relation ?relation ; dcterms:created ?c }} }}
          OPTIONAL {{ GRAPH <urn:pvb:graph:links> {{ ?from ?relation2 ?to . BIND(true AS ?same) }} }}
        }}""")
    assert len({r["s"] for r in rows}) == len(suggestions)
    for row in rows:
        decided = row["status"] == "accepted"
        assert decided == ("agent" in row) == ("link" in row) == ("same" in row), row
    by_key = {r["s"].rsplit("/", 1)[-1]: r["status"] for r in rows}
    assert all(by_key[key] == "accepted" for key in accepted)

    server.start()
    try:
        listed = {s["id"]: s["status"] for s in httpx.get(server.url + "/datasets/museum/link-suggestions").json()[
            "items"]}
        assert listed == by_key
        again = httpx.post(f"{server.url}/datasets/museum/link-suggestions/{accepted[0]}/accept",
                           headers=curator)
        assert again.status_code == 409
    finally:
        server.stop()


# --- concurrency -------------------------------------------------------------------------------------

CLIENTS, POSTS_EACH, PLACES = 20, 4, 10
CENTRE = (52.0045, 5.0)  # far from the sample data: only this dataset's places are near it


def _polder(version: int) -> bytes:
    """A small dataset of PLACES places; each version renames them, so a re-upload really replaces."""
    return places_ntriples("http://example.org/polder/place/", PLACES, lambda n: f"Polderplek {n} (versie {version})",
                           lambda n: (52.0 + n / 1000, 5.0), lambda n: f"P{n}")


def _polder_place(n: int) -> str:
    return f"http://example.org/polder/place/{n}"


def test_twenty_clients_and_a_dataset_reupload_lose_nothing(fresh_store_dir):
    """20 clients post annotations on a dataset's places while its curator replaces the dataset, again
    and again: every 201 is stored and counted, the places are found once each with their cells, and
    two concurrent edits of one annotation with the same If-Match: one wins, the other gets 412."""
    from urllib.parse import quote

    names = [f"client{n}" for n in range(CLIENTS)]
    tokens = add_accounts(fresh_store_dir, names) | add_accounts(fresh_store_dir, ["fenna"], curator_of="Fries Museum")
    server = PvbServer(fresh_store_dir).start()
    try:
        ntriples = {**tokens["fenna"], "Content-Type": "application/n-triples"}
        r = httpx.post(server.url + "/datasets", params={"title": "Polder", "license": CC0, "id": "polder"},
                       content=_polder(1), headers=ntriples, timeout=60)
        assert r.status_code == 201, r.text

        created: list[tuple[str, str, str]] = []  # (Location, target, text)
        failures: list[str] = []
        uploads: list[int] = []
        start = threading.Barrier(CLIENTS + 1)
        posting = threading.Event()
        posting.set()

        def client(name: str, number: int) -> None:
            with httpx.Client(base_url=server.url, timeout=60) as http:
                start.wait()
                for k in range(POSTS_EACH):
                    target = _polder_place((number + k) % PLACES)
                    text = f"{name}: opmerking {k}"
                    r = http.post("/annotations/", content=comment(target, text),
                                  headers={**tokens[name], "Content-Type": PROFILE})
                    (created.append((r.headers["location"], target, text)) if r.status_code == 201
                     else failures.append(f"{r.status_code} {r.text[:200]}"))

        def curator() -> None:
            with httpx.Client(base_url=server.url, timeout=60) as http:
                start.wait()
                version = 2
                while posting.is_set() or len(uploads) < 2:
                    r = http.put("/datasets/polder", content=_polder(version), headers=ntriples)
                    uploads.append(r.status_code)
                    version += 1

        threads = [threading.Thread(target=client, args=(n, i)) for i, n in enumerate(names)]
        uploader = threading.Thread(target=curator)
        for t in [*threads, uploader]:
            t.start()
        for t in threads:
            t.join(timeout=120)
        posting.clear()
        uploader.join(timeout=120)
        assert not failures, failures[:3]
        assert len(created) == CLIENTS * POSTS_EACH
        assert uploads and set(uploads) == {200}, uploads
        final_version = 1 + len(uploads)

        with httpx.Client(base_url=server.url, timeout=60) as http:
            for location, target, text in created:
                r = http.get(local(location))
                assert r.status_code == 200 and r.json()["body"]["value"] == text and r.json()["target"] == target
            for n in range(PLACES):
                context = http.get("/places/" + quote(_polder_place(n), safe="")).json()
                posted = sum(1 for _, target, _ in created if target == _polder_place(n))
                assert context["context"]["comments"] == posted == CLIENTS * POSTS_EACH // PLACES
                assert context["label"] == f"Polderplek {n} (versie {final_version})"
            nearby = http.get("/places/nearby", params={"lat": CENTRE[0], "lon": CENTRE[1], "radius": 2000,
                                                        "limit": 100}).json()["items"]
            ids = [item["id"] for item in nearby]
            assert sorted(ids) == sorted(_polder_place(n) for n in range(PLACES))  # each exactly once

            # one annotation, two concurrent edits with the same ETag: exactly one wins
            location, target, _ = created[0]
            owner = tokens[next(n for n in names if created[0][2].startswith(n + ":"))]
            for round_ in range(3):
                current = http.get(local(location))
                etag, doc = current.headers["etag"], current.json()
                results: dict[str, int] = {}
                race = threading.Barrier(2)

                def edit(text: str, doc: dict = doc, etag: str = etag, race: threading.Barrier = race,
                         results: dict = results) -> None:
                    body = json.dumps({**doc, "body": {**doc["body"], "value": text}})
                    with httpx.Client(base_url=server.url, timeout=60) as own:
                        race.wait()
                        results[text] = own.put(local(location), content=body, headers={
                            **owner, "Content-Type": PROFILE, "If-Match": etag}).status_code

                racers = [threading.Thread(target=edit, args=(f"ronde {round_}, versie {w}",)) for w in "ab"]
                for t in racers:
                    t.start()
                for t in racers:
                    t.join(timeout=60)
                assert sorted(results.values()) == [200, 412], results
                winner = next(text for text, status in results.items() if status == 200)
                assert http.get(local(location)).json()["body"]["value"] == winner
    finally:
        server.stop()

    # derived data: each place has exactly the cells of its position, in the dataset's derived graph
    derived = derived_graph(BASE + "id/dataset/polder")
    rows = select(fresh_store_dir, """SELECT ?g ?place ?cell WHERE {
        GRAPH ?g { ?place pvb:geoCell ?cell } FILTER(STRSTARTS(STR(?place), "http://example.org/polder/")) }""")
    assert {row["g"] for row in rows} == {derived}
    for n in range(PLACES):
        full = str(geohash_many(np.array([52.0 + n / 1000]), np.array([5.0]), max(CELL_PRECISIONS))[0])
        assert {row["cell"] for row in rows if row["place"] == _polder_place(n)} == {full[:p] for p in CELL_PRECISIONS}
