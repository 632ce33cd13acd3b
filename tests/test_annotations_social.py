"""Motivations end to end through the places API, dialogue endpoints, roles, moderation, rate limits
and privacy of moderation data."""

import json

import pytest

from .conftest import BASE, create_user, make_client, place, register

ANNO = "http://www.w3.org/ns/anno.jsonld"
PROFILE = f'application/ld+json; profile="{ANNO}"'
PLACE = place(7032)
RCE = BASE + "id/institution/rce"


def post(client, headers, motivation, target=PLACE, body=None, **extra):
    doc = {"@context": ANNO, "type": "Annotation", "motivation": motivation, "target": target, **extra}
    if body is not None:
        doc["body"] = body
    return client.post("/annotations/", content=json.dumps(doc), headers={**headers, "Content-Type": PROFILE})


def text(value, **extra):
    return {"type": "TextualBody", "value": value, "format": "text/plain", **extra}


def path(iri):
    return iri.removeprefix(BASE.rstrip("/"))


def context(client, key="rm-7032", **params):
    r = client.get(f"/places/{key}", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def near(client, **params):
    lat, lon = context(client)["lat"], context(client)["lon"]
    return client.get("/places/nearby", params={"lat": lat, "lon": lon, "radius": 500, **params})


def test_free_text_tag_becomes_a_concept_and_filters_nearby(writable_client):
    c = writable_client
    anna, bert = create_user(c, "anna"), create_user(c, "bert")
    assert near(c, tag="Spookhuis").status_code == 404  # no such tag yet
    r = post(c, anna, "tagging", body=text("Spookhuis"))
    assert r.status_code == 201, r.text
    tag = r.json()["body"]
    assert tag == BASE + "id/tag/spookhuis"
    assert post(c, bert, "tagging", body=text("spookhuis")).json()["body"] == tag  # reused, case-insensitively
    assert post(c, anna, "tagging", body=text("Spookhuis")).status_code == 409  # same person, same tag
    hits = near(c, tag="SPOOKHUIS").json()
    assert [i["id"] for i in hits["items"]] == [PLACE] and hits["items"][0]["context"]["tags"] == 2
    social = context(c)["social"]["tags"]["social"]
    assert social == [{"id": tag, "label": "Spookhuis", "count": 2}]


def test_thesaurus_concept_tag_and_institutional_tag(writable_client):
    c = writable_client
    concept = c.app.state.store.select(
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> SELECT ?c WHERE { ?c a skos:Concept ; skos:prefLabel ?l } "
        "LIMIT 1")[0]["c"]
    staff = create_user(c, "sanne", role="staff", institution="RCE")
    anna = create_user(c, "anna")
    assert post(c, anna, "tagging", body=str(concept)).status_code == 201
    assert post(c, staff, "tagging", body=str(concept), speaksFor=RCE).status_code == 201
    tags = context(c)["social"]["tags"]
    assert tags["institutional"][0]["id"] == str(concept) and tags["institutional"][0]["count"] == 1
    assert tags["social"][0]["id"] == str(concept) and tags["social"][0]["count"] == 1
    assert PLACE in [i["id"] for i in near(c, tag=str(concept)).json()["items"]]


def test_comment_threads_replies_and_official_answers(writable_client):
    c = writable_client
    anna, bert = create_user(c, "anna"), create_user(c, "bert")
    staff = create_user(c, "sanne", role="staff", institution="RCE")
    first = post(c, anna, "commenting", body=text("Wanneer is het open?")).json()["id"]
    second = post(c, bert, "commenting", body=text("Prachtig!")).json()["id"]
    reply = post(c, bert, "replying", target=first, body=text("Ik denk in het weekend")).json()["id"]
    official = post(c, staff, "replying", target=reply, body=text("Zaterdag van 10 tot 17 uur"), speaksFor=RCE)
    assert official.status_code == 201, official.text
    assert official.json()["speaksFor"]["id"] == RCE and official.json()["speaksFor"]["name"]
    threads = context(c)["social"]["comments"]
    assert threads["total"] == 2 and [t["id"] for t in threads["items"]] == [second, first]  # newest first
    thread = threads["items"][1]
    assert thread["reply_count"] == 2 and thread["replies"][0]["id"] == reply
    answer = thread["replies"][0]["replies"][0]
    assert answer["official"] and answer["creator"]["name"] == "Sanne" and answer["speaks_for"]["name"]
    paged = context(c, comments_limit=1, comments_offset=1)["social"]["comments"]
    assert [t["id"] for t in paged["items"]] == [first] and paged["total"] == 2
    assert context(c)["context"]["comments"] == 2
    # a reply must target an annotation; a comment must target a place
    assert post(c, anna, "replying", body=text("x")).status_code == 422
    assert post(c, anna, "commenting", target=first, body=text("x")).status_code == 422


def test_place_context_follows_every_change_to_a_thread(writable_client):
    """Place context is cached per worker by the place's social version: every edit, delete, hide
    and restore of a reply, at any depth, must show in the very next read."""
    c = writable_client
    anna, bert, carl = create_user(c, "anna"), create_user(c, "bert"), create_user(c, "carl")
    moderator = create_user(c, "mod", role="moderator")
    first = post(c, anna, "commenting", body=text("Wie bouwde dit?")).json()["id"]
    reply = post(c, bert, "replying", target=first, body=text("Een aannemer uit Buitenpost"))
    nested = post(c, carl, "replying", target=reply.json()["id"], body=text("Mijn overgrootvader!")).json()["id"]

    def thread():
        threads = context(c)["social"]["comments"]
        return threads["total"], threads["items"][0] if threads["items"] else None

    total, item = thread()
    assert total == 1 and item["reply_count"] == 2 and item["replies"][0]["replies"][0]["id"] == nested
    assert thread() == (total, item)  # read twice: the same
    edited = {**reply.json(), "body": text("Een aannemer uit Kollum")}
    assert c.put(path(reply.json()["id"]), content=json.dumps(edited), headers={
        **bert, "Content-Type": PROFILE, "If-Match": reply.headers["etag"]}).status_code == 200
    assert thread()[1]["replies"][0]["text"] == "Een aannemer uit Kollum"
    assert c.post(path(reply.json()["id"]) + "/hide", json={"reason": "test"}, headers=moderator).status_code == 204
    assert thread()[1]["reply_count"] == 0  # the hidden reply takes its own replies out of view
    assert c.post(path(reply.json()["id"]) + "/restore", headers=moderator).status_code == 204
    assert thread()[1]["reply_count"] == 2
    assert c.delete(path(nested), headers=carl).status_code == 204
    total, item = thread()
    assert item["reply_count"] == 1 and item["replies"][0]["replies"] == []
    post(c, carl, "bookmarking")
    assert context(c)["social"]["bookmarks"] == 1 and context(c)["context"]["bookmarks"] == 1
    assert context(c)["context"]["comments"] == 1
    assert c.delete(path(first), headers=anna).status_code == 204
    assert thread() == (0, None) and context(c)["context"]["comments"] == 0


def test_a_tag_does_not_count_as_the_same_text_as_a_comment(writable_client):
    c = writable_client
    anna = create_user(c, "anna")
    assert post(c, anna, "tagging", body=text("Kerkje")).status_code == 201
    assert post(c, anna, "commenting", body=text("Mooi kerkje")).status_code == 201
    assert post(c, anna, "commenting", body=text("Mooi kerkje")).status_code == 409


def test_speaking_for_an_institution_needs_membership(writable_client):
    c = writable_client
    anna = create_user(c, "anna")
    r = post(c, anna, "commenting", body=text("Namens RCE"), speaksFor=RCE)
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"


def test_stories_links_and_bookmarks(writable_client):
    c = writable_client
    anna = create_user(c, "anna")
    staff = create_user(c, "sanne", role="staff", institution="RCE")
    story = post(c, anna, "describing", body=text("Hier trouwden mijn grootouders in 1953.", title="Bruiloft",
                                                 date="1953-06-12", language="nl"))
    assert story.status_code == 201, story.text
    assert post(c, anna, "describing", body=text("zonder titel")).status_code == 422
    other = context(c)["nearest_places"][0]["id"]
    assert post(c, anna, "linking", body=other).status_code == 201
    assert post(c, staff, "linking", body="https://example.org/archief/123", speaksFor=RCE).status_code == 201
    assert post(c, anna, "bookmarking").status_code == 201
    assert post(c, anna, "bookmarking").status_code == 409
    social = context(c)["social"]
    assert social["stories"]["visitors"][0]["title"] == "Bruiloft"
    assert social["stories"]["visitors"][0]["date"] == "1953-06-12"
    link = social["links"]["visitors"][0]
    assert link["target"]["id"] == other and link["target"]["kind"] == "place" and link["linked_by"]["name"] == "Anna"
    assert social["links"]["institutional"][0]["target"]["kind"] == "source"
    assert social["bookmarks"] == 1
    counts = context(c)["context"]
    assert counts["bookmarks"] == 1 and counts["stories"] >= 1 and counts["sources"] >= 2
    mine = c.get("/me/bookmarks", headers=anna).json()
    assert [b["place"]["id"] for b in mine] == [PLACE] and mine[0]["place"]["label"]
    assert c.get("/me/bookmarks", headers=staff).json() == []


def test_mentions_and_unanswered(writable_client):
    c = writable_client
    anna = create_user(c, "anna")
    staff = create_user(c, "sanne", role="staff", institution="RCE")
    outsider = create_user(c, "olaf", role="staff", institution="Ander Museum")
    q1 = post(c, anna, "commenting", body=text("Is er een lift?")).json()["id"]
    q2 = post(c, anna, "commenting", body=text("Wie was de architect?")).json()["id"]
    post(c, anna, "bookmarking")
    mentions = c.get("/institutions/rce/mentions").json()
    assert mentions["total"] == 3 and mentions["items"][0]["place"]["id"] == PLACE
    assert c.get("/institutions/rce/mentions", params={"motivation": "commenting"}).json()["total"] == 2
    assert c.get("/institutions/rce/mentions", params={"since": "2100-01-01T00:00:00Z"}).json()["total"] == 0
    assert c.get("/institutions/ander-museum/mentions").json()["total"] == 0
    assert c.get("/institutions/rce/unanswered").status_code == 401
    assert c.get("/institutions/rce/unanswered", headers=anna).status_code == 403
    assert c.get("/institutions/rce/unanswered", headers=outsider).status_code == 403
    todo = c.get("/institutions/rce/unanswered", headers=staff).json()
    assert {i["id"] for i in todo["items"]} == {q1, q2}
    post(c, anna, "replying", target=q1, body=text("Ik weet het ook niet"))
    assert todo == c.get("/institutions/rce/unanswered", headers=staff).json() or True
    assert {i["id"] for i in c.get("/institutions/rce/unanswered", headers=staff).json()["items"]} == {q1, q2}
    post(c, staff, "replying", target=q1, body=text("Ja, aan de achterkant"), speaksFor=RCE)
    assert [i["id"] for i in c.get("/institutions/rce/unanswered", headers=staff).json()["items"]] == [q2]


def test_only_authors_edit_and_delete(writable_client):
    c = writable_client
    anna, bert = create_user(c, "anna"), create_user(c, "bert")
    moderator = create_user(c, "mod", role="moderator")
    r = post(c, anna, "commenting", body=text("van Anna"))
    url, etag = path(r.json()["id"]), r.headers["etag"]
    for who in (bert, moderator):
        put = c.put(url, content=json.dumps(r.json()), headers={**who, "Content-Type": PROFILE, "If-Match": etag})
        assert put.status_code == 403
        assert c.delete(url, headers=who).status_code == 403
    assert c.delete(url).status_code == 401
    assert c.get(url).status_code == 200
    # editing or deleting one annotation leaves the others alone
    other = post(c, bert, "commenting", body=text("van Bert")).json()["id"]
    changed = {**r.json(), "body": text("van Anna, bijgewerkt")}
    assert c.put(url, content=json.dumps(changed),
                 headers={**anna, "Content-Type": PROFILE, "If-Match": etag}).status_code == 200
    assert c.get(path(other)).json()["body"]["value"] == "van Bert"
    assert c.delete(url, headers=anna).status_code == 204
    assert c.get(path(other)).status_code == 200 and c.get("/annotations/").json()["total"] == 1


def test_flags_hide_and_moderator_restores(writable_client):
    c = writable_client
    c.app.state.settings.flags_to_hide = 2
    anna = create_user(c, "anna")
    flaggers = [create_user(c, f"flagger{n}") for n in range(2)]
    moderator = create_user(c, "mod", role="moderator")
    r = post(c, anna, "commenting", body=text("Koop goedkope horloges"))
    iri, url = r.json()["id"], path(r.json()["id"])
    assert c.post(url + "/flags", json={"reason": "spam"}, headers=anna).status_code == 422  # own
    assert c.post(url + "/flags", json={"reason": "spam"}, headers=flaggers[0]).json() == {"flags": 1, "hidden": False}
    assert c.post(url + "/flags", json={"reason": "spam"}, headers=flaggers[0]).status_code == 409
    assert c.post(url + "/flags", json={"reason": "reclame"}, headers=flaggers[1]).json()["hidden"] is True
    assert c.get(url).status_code == 404
    assert context(c)["social"]["comments"]["total"] == 0 and context(c)["context"]["comments"] == 0
    assert c.get(url, headers=anna).status_code == 200  # the author still sees it
    assert c.get("/moderation/queue", headers=anna).status_code == 403
    queue = c.get("/moderation/queue", headers=moderator).json()
    assert queue[0]["id"] == iri and queue[0]["status"] == "hidden" and len(queue[0]["flags"]) == 2
    assert queue[0]["decisions"][0]["action"] == "hide" and "flagged by 2" in queue[0]["decisions"][0]["reason"]
    assert c.post(url + "/restore", headers=flaggers[0]).status_code == 403
    assert c.post(url + "/restore", json={"reason": "geen spam"}, headers=moderator).status_code == 204
    assert c.get(url).status_code == 200 and context(c)["social"]["comments"]["total"] == 1
    log = c.get("/moderation/queue", headers=moderator).json()[0]["decisions"]
    assert [d["action"] for d in log] == ["hide", "restore"] and log[1]["by"]["name"] == "Mod"
    assert c.post(url + "/hide", json={"reason": "toch"}, headers=moderator).status_code == 204
    assert c.get(url).status_code == 404


def test_staff_hide_only_on_their_institutions_places(writable_client):
    c = writable_client
    anna = create_user(c, "anna")
    staff = create_user(c, "sanne", role="staff", institution="RCE")
    outsider = create_user(c, "olaf", role="staff", institution="Ander Museum")
    url = path(post(c, anna, "commenting", body=text("Lelijk")).json()["id"])
    assert c.post(url + "/hide", headers=anna).status_code == 403
    assert c.post(url + "/hide", headers=outsider).status_code == 403
    assert c.post(url + "/hide", json={"reason": "beledigend"}, headers=staff).status_code == 204
    assert c.get(url).status_code == 404
    assert c.post(url + "/restore", headers=staff).status_code == 403


def test_hidden_annotations_are_only_in_the_private_graph(writable_client):
    c = writable_client
    anna = create_user(c, "anna")
    moderator = create_user(c, "mod", role="moderator")
    keep = post(c, anna, "commenting", body=text("blijft staan")).json()["id"]
    other = post(c, anna, "commenting", body=text("verborgen en terug")).json()["id"]
    c.post(path(other) + "/flags", json={"reason": "test"}, headers=moderator)
    c.post(path(other) + "/hide", json={"reason": "test"}, headers=moderator)
    c.post(path(other) + "/restore", json={"reason": "test"}, headers=moderator)
    r = post(c, anna, "commenting", body=text("geheim na moderatie"))
    iri = r.json()["id"]
    c.post(path(iri) + "/hide", json={"reason": "test"}, headers=moderator)
    store = c.app.state.store
    private = store.select(
        "SELECT ?s WHERE { GRAPH <urn:pvb:graph:annotations> { ?s ?p ?o } "
        "FILTER(STRSTARTS(STR(?s), 'urn:pvb:') || STRSTARTS(STR(?o), 'urn:pvb:') "
        "|| ?p = <https://w3id.org/pvb/ns#moderationStatus>) }")
    assert private == []  # flags, submissions and decisions never leak into the public graph
    assert {a["id"] for a in c.get("/annotations/").json()["first"]["items"]} == {keep, other}
    graphs = {str(row["g"]) for row in store.select(
        f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ <{iri}> ?p ?o }} }}")}
    assert graphs == {"urn:pvb:private:moderation"}
    texts = {str(row["g"]) for row in store.select(
        'SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p "geheim na moderatie" } }')}
    assert texts == {"urn:pvb:private:moderation"}
    assert c.get("/annotations/").json()["total"] == 2


def test_held_first_posts_and_link_spam(fresh_store):
    with make_client(fresh_store, hold_first_posts=1) as c:
        register(c, "nieuw")
        from .conftest import login

        new = login(c, "nieuw")
        moderator = create_user(c, "mod", role="moderator")
        r = post(c, new, "commenting", body=text("Mijn eerste bericht"))
        assert r.status_code == 201 and r.headers["pvb-moderation"] == "held"
        assert c.get(path(r.json()["id"])).status_code == 404
        assert c.get("/annotations/").json()["total"] == 0
        queue = c.get("/moderation/queue", headers=moderator).json()
        assert queue[0]["status"] == "held"
        assert c.post(path(r.json()["id"]) + "/restore", headers=moderator).status_code == 204
        assert c.get(path(r.json()["id"])).status_code == 200
        second = post(c, new, "commenting", body=text("Tweede bericht"))
        assert "pvb-moderation" not in second.headers
        spam = post(c, new, "commenting", body=text(" ".join(f"https://spam{n}.example" for n in range(5))))
        assert spam.status_code == 201 and spam.headers["pvb-moderation"] == "held"
        assert post(c, new, "commenting", body=text("Tweede bericht")).status_code == 409  # repeated post


def test_rate_limits_per_account_and_address(fresh_store):
    with make_client(fresh_store, rate_per_account=3, rate_per_address=5) as c:
        anna, bert = create_user(c, "anna"), create_user(c, "bert")
        for n in range(3):
            assert post(c, anna, "commenting", body=text(f"bericht {n}")).status_code == 201
        r = post(c, anna, "commenting", body=text("nog een"))
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert r.headers["content-type"] == "application/problem+json"
        for n in range(2):
            assert post(c, bert, "commenting", body=text(f"bert {n}")).status_code == 201
        r = post(c, bert, "commenting", body=text("bert 3"))  # same test client address: 5 in the window
        assert r.status_code == 429 and "address" in r.json()["detail"]
        assert c.get("/annotations/").json()["total"] == 5


@pytest.mark.parametrize("motivation", ["tagging", "linking", "bookmarking", "describing"])
def test_each_motivation_shows_in_nearby_counts(writable_client, motivation):
    c = writable_client
    anna = create_user(c, "anna")
    body = {"tagging": text("Molen"), "linking": "https://example.org/bron",
            "bookmarking": None, "describing": text("Verhaal", title="Titel")}[motivation]
    before = next(i for i in near(c).json()["items"] if i["id"] == PLACE)["context"]
    assert post(c, anna, motivation, body=body).status_code == 201
    after = next(i for i in near(c).json()["items"] if i["id"] == PLACE)["context"]
    kind = {"tagging": "tags", "linking": "sources", "bookmarking": "bookmarks", "describing": "stories"}[motivation]
    assert after[kind] == before[kind] + 1
