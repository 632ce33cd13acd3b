"""Views cached per worker (place context, annotation counts in nearby pages) follow every write:
the next read after a write shows it, whoever made the write (see app/cache.py)."""

from __future__ import annotations

import io
import time

from app.store.generation import current as current_generation

from .conftest import BASE, create_user, make_client, open_test_store
from .test_annotations_social import PLACE, context, near, path, post, text

CONTEXT_GRAPH = BASE + "id/dataset/sample-context"
STORY = BASE + "id/story/cache-test"
NEW_STORY = f"""PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX pvb: <https://w3id.org/pvb/ns#>
INSERT DATA {{ GRAPH <{CONTEXT_GRAPH}> {{
  <{STORY}> a pvb:Story ; dcterms:title "Het verhaal van de cache"@nl ; dcterms:spatial <{PLACE}> .
}} }}"""


def related(client, key="rm-7032"):
    return [p["id"] for p in context(client, key)["related_places"]]


def unrelated(client):
    """A place near rm-7032 that nothing relates to it yet."""
    return next(p["id"] for p in context(client)["nearest_places"] if p["id"] not in related(client))


def test_a_tag_on_another_place_relates_it_in_the_next_context(writable_client):
    c = writable_client
    anna, bert = create_user(c, "anna"), create_user(c, "bert")
    other = unrelated(c)
    assert post(c, anna, "tagging", body=text("Cachemolen")).status_code == 201
    before = related(c)
    assert other not in before and related(c) == before  # read twice: served again, unchanged
    assert post(c, bert, "tagging", target=other, body=text("Cachemolen")).status_code == 201
    assert other in related(c)  # the tag was written to the other place, not this one


def test_curator_data_shows_in_the_next_context(writable_client):
    c = writable_client
    curator = create_user(c, "cora", role="curator", institution="pvb-redactie")
    stories = context(c)["stories"]
    assert STORY not in [s["id"] for s in stories] and context(c)["stories"] == stories
    r = c.post("/sparql", content=NEW_STORY, headers={**curator, "Content-Type": "application/sparql-update"})
    assert r.status_code == 204, r.text
    found = [s for s in context(c)["stories"] if s["id"] == STORY]
    assert found and found[0]["title"] == "Het verhaal van de cache"


def test_curator_data_shows_in_the_next_nearby_page(writable_client):
    c = writable_client
    curator = create_user(c, "cora", role="curator", institution="pvb-redactie")

    where = {"lat": context(c)["lat"], "lon": context(c)["lon"], "radius": 500}

    def summary(**headers):
        return next(i for i in c.get("/places/nearby", params=where, headers=headers).json()["items"]
                    if i["id"] == PLACE)

    before = summary()
    assert "Het verhaal van de cache" not in before["context"]["story_titles"] and summary() == before
    r = c.post("/sparql", content=NEW_STORY, headers={**curator, "Content-Type": "application/sparql-update"})
    assert r.status_code == 204, r.text
    after = summary()
    assert "Het verhaal van de cache" in after["context"]["story_titles"]
    assert after["context"]["stories"] == before["context"]["stories"] + 1
    english, dutch = summary(**{"Accept-Language": "en"}), summary(**{"Accept-Language": "nl"})
    assert [t["label"] for t in english["types"]] != [t["label"] for t in dutch["types"]]
    assert summary(**{"Accept-Language": "en"}) == english


def test_each_language_and_page_is_its_own_view(writable_client):
    c = writable_client
    anna = create_user(c, "anna")
    for n in range(3):
        assert post(c, anna, "commenting", body=text(f"Opmerking {n}")).status_code == 201
    first = context(c, comments_limit=2)["social"]["comments"]["items"]
    second = context(c, comments_limit=2, comments_offset=2)["social"]["comments"]["items"]
    assert [t["text"] for t in first] == ["Opmerking 2", "Opmerking 1"] and [t["text"] for t in second] == [
        "Opmerking 0"]
    english = c.get("/places/rm-7032", headers={"Accept-Language": "en"}).json()
    dutch = c.get("/places/rm-7032", headers={"Accept-Language": "nl"}).json()
    assert english["types"] != dutch["types"]


def test_nearby_counts_follow_comments_and_deletes(writable_client):
    c = writable_client
    anna = create_user(c, "anna")

    def comments():
        return next(i for i in near(c).json()["items"] if i["id"] == PLACE)["context"]["comments"]

    start = comments()
    assert comments() == start
    made = post(c, anna, "commenting", body=text("Telt dit mee?"))
    assert made.status_code == 201 and comments() == start + 1
    assert c.delete(path(made.json()["id"]), headers=anna).status_code == 204
    assert comments() == start


def test_a_worker_sees_the_writes_of_another_worker(fresh_store):
    """Two API workers on one store (for the embedded store: two apps on one process's store)."""
    with make_client(fresh_store) as one:
        two = one if not fresh_store.startswith("http") else make_client(fresh_store).__enter__()
        try:
            anna = create_user(two, "anna")
            other = unrelated(one)
            assert post(two, anna, "tagging", body=text("Tweewerkers")).status_code == 201
            seen = context(one)
            assert seen["social"]["tags"]["social"][0]["label"] == "Tweewerkers" and other not in related(one)
            comments = next(i for i in near(one).json()["items"] if i["id"] == PLACE)["context"]["comments"]
            assert post(two, anna, "commenting", body=text("Van de andere kant")).status_code == 201
            assert post(two, anna, "tagging", target=other, body=text("Tweewerkers")).status_code == 201
            assert context(one)["social"]["comments"]["items"][0]["text"] == "Van de andere kant"
            assert other in related(one)
            assert next(i for i in near(one).json()["items"] if i["id"] == PLACE)["context"]["comments"] == comments + 1
        finally:
            if two is not one:
                two.__exit__(None, None, None)


def test_every_public_write_renews_the_generation_and_private_ones_do_not(fresh_store, tmp_path):
    store = open_test_store(fresh_store)
    try:
        seen = [current_generation(store)]
        store.update('INSERT DATA { GRAPH <https://example.org/g> { <urn:a> <urn:b> "c" } }')
        seen.append(current_generation(store))
        store.update('INSERT DATA { GRAPH <urn:pvb:private:x> { <urn:a> <urn:b> "c" } }', public=False)
        assert current_generation(store) == seen[-1]
        store.load(io.BytesIO(b'<urn:a> <urn:b> "d" .'), "application/n-triples", graph="https://example.org/g")
        seen.append(current_generation(store))
        nquads = tmp_path / "more.nq"
        nquads.write_bytes(b'<urn:a> <urn:b> "e" <https://example.org/g> .\n')
        store.write(None, nquads)
        seen.append(current_generation(store))
        store.write('DELETE DATA { GRAPH <https://example.org/g> { <urn:a> <urn:b> "c" } }', nquads)
        seen.append(current_generation(store))
        assert None not in seen and len(set(seen)) == len(seen), seen
    finally:
        store.close()


def test_a_worker_reads_place_descriptions_in_the_background_and_serves_the_same(fresh_store):
    params = {"lat": 53.2179, "lon": 6.1628, "radius": 2000}
    with make_client(fresh_store) as cold:
        expected = cold.get("/places/nearby", params=params).json()
    with make_client(fresh_store, warm_places=3000) as warm:
        index = warm.app.state.place_index

        def gauges() -> dict[str, float]:
            return {line.split()[0]: float(line.split()[1]) for line in warm.get("/metrics").text.splitlines()
                    if line.startswith(("pvb_place_descriptions_cached ", "pvb_annotation_counts_cached ",
                                        "pvb_place_summaries_cached "))}

        deadline = time.monotonic() + 120
        while min(gauges().values()) < 3000 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(index.current().described) >= 3000
        assert warm.get("/places/nearby", params=params).json() == expected
        assert gauges()["pvb_place_descriptions_cached"] >= 3000
        assert gauges()["pvb_annotation_counts_cached"] >= 3000  # what people said, warmed too
        assert gauges()["pvb_place_summaries_cached"] >= 3000  # and the summaries in the default languages


def test_key_lookups_give_the_same_answer_on_every_backend(fresh_store):
    """GraphStore.objects, which every request's version checks use: the embedded store reads its
    index, the others run queries/objects.rq; both must give every value, and nothing for others."""
    store = open_test_store(fresh_store)
    try:
        store.update('INSERT DATA { GRAPH <urn:test:g> { <urn:test:a> <urn:test:p> "1", "2" . '
                     '<urn:test:b> <urn:test:p> <urn:test:x> . <urn:test:b> <urn:test:q> "not this" } '
                     'GRAPH <urn:test:other> { <urn:test:c> <urn:test:p> "elsewhere" } }')
        found = store.objects("urn:test:g", "urn:test:p", ["urn:test:a", "urn:test:b", "urn:test:c", "urn:test:d"])
        assert {k: sorted(v) for k, v in found.items()} == {"urn:test:a": ["1", "2"], "urn:test:b": ["urn:test:x"]}
        assert store.objects("urn:test:g", "urn:test:p", []) == {}
    finally:
        store.update("DROP SILENT GRAPH <urn:test:g> ; DROP SILENT GRAPH <urn:test:other>")
        store.close()
