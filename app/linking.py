"""Linking the same real place across sources: suggestions after an upload, curator decisions, and
the clusters of records that the API then presents as one place of meaning.

Evidence for "same place": a shared Wikidata entity or external link IRI, a shared identifier
(monument number) nearby, the same street address, and a similar normalised name within ~100 m.
Candidates come from the spatial index, so the cost grows with the upload, not with the store.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
import weakref
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from difflib import SequenceMatcher
from typing import Any

import numpy as np
import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.namespace import OWL, SKOS, XSD

from .errors import Conflict, NotFound, Unprocessable
from .geo import haversine_m
from .queries import query
from .spatial import PlaceIndex, paired
from .store import GraphStore
from .store.generation import current as current_generation

GEO = "http://www.w3.org/2003/01/geo/wgs84_pos#"
NEAR_M = 100.0
ID_NEAR_M = 2000.0
STOPWORDS = {"de", "het", "een", "van", "der", "den", "en", "te", "t", "the", "of", "in", "a", "an", "and", "at",
             "bij", "op", "aan"}
_KEYS = {
    "http://www.w3.org/2000/01/rdf-schema#label": "name", "https://schema.org/name": "name",
    "http://purl.org/dc/terms/identifier": "identifier", "http://purl.org/dc/terms/type": "type",
    str(OWL.sameAs): "link", "https://schema.org/sameAs": "link", "https://schema.org/url": "link",
    "https://w3id.org/pvb/ns#municipality": "locality",
}
RELATIONS = {"same": str(OWL.sameAs), "related": str(SKOS.closeMatch)}
_ADDRESS = "https://schema.org/address"
_ADDRESS_PARTS = (("https://schema.org/streetAddress", "address"), ("https://schema.org/addressLocality", "locality"))


def new_places(data: ox.Store) -> list[tuple[str, float, float]]:
    """(IRI, lat, lon) of the places in an upload: what `read_points` reads of them once stored."""
    def axis(name: str) -> Iterator[tuple[str, str]]:
        for q in data.quads_for_pattern(None, ox.NamedNode(GEO + name), None):
            if isinstance(q.subject, ox.NamedNode):
                yield q.subject.value, q.object.value

    return paired(axis("lat"), axis("long"))


def _upload_facts(data: ox.Store, places: set[str],
                  kinds: tuple[str, ...] | None = None) -> dict[str, dict[str, set[str]]]:
    """What linking compares, for these places of an upload; only `kinds` of it (e.g. identifiers
    and links, the evidence looked up before any other fact is read) when given."""
    facts: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for prop, key in _KEYS.items():
        if kinds is None or key in kinds:
            for q in data.quads_for_pattern(None, ox.NamedNode(prop), None):
                if q.subject.value in places:
                    facts[q.subject.value][key].add(q.object.value)
    for q in data.quads_for_pattern(None, ox.NamedNode(_ADDRESS), None) if kinds is None else ():
        if q.subject.value in places:
            for p, key in _ADDRESS_PARTS:
                for a in data.quads_for_pattern(q.object, ox.NamedNode(p), None):
                    facts[q.subject.value][key].add(a.object.value)
    return facts


def _store_facts(store: GraphStore, iris: set[str]) -> dict[str, dict[str, set[str]]]:
    facts: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    ordered = sorted(iris)
    for start in range(0, len(ordered), 500):
        chunk = [URIRef(i) for i in ordered[start:start + 500]]
        for name in ("link_candidates", "link_candidate_addresses"):
            for place, key, value in store.select_values(query(name).bind(place=chunk)):
                facts[place][key].add(value)  # type: ignore[index]
    return facts


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _tokens(text: str, drop: set[str]) -> set[str]:
    return {t for t in normalise(text).split() if t not in STOPWORDS and t not in drop}


def _squash(text: str, drop: set[str]) -> str:
    return "".join(t for t in normalise(text).split() if t not in STOPWORDS and t not in drop)


def name_similarity(a: set[str], b: set[str], a_loc: set[str], b_loc: set[str]) -> float:
    """Best similarity of any two names, ignoring the town names (which all neighbours share)."""
    drop = {t for loc in a_loc | b_loc for t in normalise(loc).split()}
    best = 0.0
    for x in a:
        tx = _tokens(x, drop)
        for y in b:
            ty = _tokens(y, drop)
            if not tx or not ty:
                continue
            containment = len(tx & ty) / min(len(tx), len(ty))
            ratio = max(SequenceMatcher(None, " ".join(sorted(tx)), " ".join(sorted(ty))).ratio(),
                        SequenceMatcher(None, _squash(x, drop), _squash(y, drop)).ratio())
            best = max(best, containment if containment >= 0.5 else 0.0, ratio if ratio >= 0.75 else 0.0)
    return round(best, 3)


def _address_match(a: dict[str, set[str]], b: dict[str, set[str]]) -> str | None:
    mine = {normalise(x) for x in a["address"]}
    theirs = {normalise(x) for x in b["address"]}
    for x in mine & theirs:
        if x:
            return x
    # the address written into the other record's name ("Kerk, Geawei 15, …"): normalised text is
    # words between single spaces, so a whole-word match is a substring match with spaces around
    names = {f" {normalise(n)} " for n in a["name"]}
    for street in theirs:
        if street and any(f" {street} " in n for n in names):
            return street
    names_b = {f" {normalise(n)} " for n in b["name"]}
    for street in mine:
        if street and any(f" {street} " in n for n in names_b):
            return street
    return None


def _address_conflict(a: dict[str, set[str]], b: dict[str, set[str]]) -> bool:
    """Both records give a street address (the other may only write it in its name) and they differ:
    neighbours called "Woonhuis, Vijver 3" and "Woonhuis aan de Vijver, Vijver 2" are not one place."""
    mine = {normalise(x) for x in a["address"]}
    theirs = {normalise(x) for x in b["address"]}
    if not theirs:
        theirs = {m.group(0) for n in b["name"] for m in re.finditer(r"[a-z][a-z ']* [0-9]+[a-z]?", normalise(n))}
    if not mine:
        mine = {m.group(0) for n in a["name"] for m in re.finditer(r"[a-z][a-z ']* [0-9]+[a-z]?", normalise(n))}
    return bool(mine and theirs)


def score(a: dict[str, set[str]], b: dict[str, set[str]], distance: float) -> tuple[float, list[dict[str, Any]]]:
    evidence: list[dict[str, Any]] = []
    total = 0.0
    shared_links = sorted(a["link"] & b["link"])
    for link in shared_links:
        kind = "wikidata" if link.startswith("http://www.wikidata.org/entity/") else "link"
        evidence.append({"kind": kind, "value": link})
    if shared_links:
        total += 0.6 if any(e["kind"] == "wikidata" for e in evidence) else 0.5
    shared_ids = sorted(a["identifier"] & b["identifier"])
    if shared_ids and distance <= ID_NEAR_M:
        evidence.append({"kind": "identifier", "value": shared_ids[0]})
        total += 0.5
    street = _address_match(a, b)
    if street and distance <= NEAR_M:
        evidence.append({"kind": "address", "value": street})
        total += 0.4
    similarity = name_similarity(a["name"], b["name"], a["locality"], b["locality"])
    if similarity >= 0.5 and distance <= NEAR_M:
        evidence.append({"kind": "name", "similarity": similarity})
        total += 0.4 * similarity
    if a["type"] & b["type"] and distance <= NEAR_M:
        evidence.append({"kind": "type", "value": sorted(a["type"] & b["type"])[0]})
        total += 0.1
    if distance <= NEAR_M:
        evidence.append({"kind": "distance", "metres": round(distance, 1)})
        total += 0.2 * (1 - distance / NEAR_M)
    strong = any(e["kind"] in ("wikidata", "link", "identifier", "address") for e in evidence)
    if not strong and (similarity < 0.6 or _address_conflict(a, b)):
        return 0.0, evidence
    return round(min(total, 1.0), 3), evidence


def suggestion_iri(dataset: str, a: str, b: str) -> str:
    digest = hashlib.sha256(f"{a}\n{b}".encode()).hexdigest()[:20]
    return f"{dataset}/link-suggestion/{digest}"


def suggest(store: GraphStore, index: PlaceIndex, dataset: str, data: ox.Store,
            points: list[tuple[str, float, float]], threshold: float = 0.5) -> list[dict[str, Any]]:
    """Suggestions between the upload's places and places of other datasets, best first."""
    mine = {p for p, _, _ in points}
    index.current()
    own_before = index.places_of(dataset)
    others = index.without(dataset)
    pairs: dict[tuple[str, str], float] = {}
    maybe = others.may_have_within(np.array([p[1] for p in points], dtype=float),
                                   np.array([p[2] for p in points], dtype=float), NEAR_M)
    for (place, lat, lon), near in zip(points, maybe.tolist(), strict=True):
        if not near:
            continue
        hits = others.within(lat, lon, NEAR_M)
        for other, distance in zip(hits.iris, hits.distances, strict=True):
            if other not in mine and other not in own_before:
                pairs[(place, other)] = float(distance)
    evidence = _upload_facts(data, mine, ("identifier", "link"))
    keys = {place: f["identifier"] | f["link"] for place, f in evidence.items()}
    owners = _owners(store, dataset, {v for values in keys.values() for v in values}, len(others))
    for place, found in keys.items():
        for value in found & owners.keys():
            for other in owners[value]:
                if other not in mine and other not in own_before:
                    pairs.setdefault((place, other), -1.0)
    if not pairs:
        return []
    facts = _upload_facts(data, {p for p, _ in pairs})
    coords = {p: (la, lo) for p, la, lo in points}
    theirs = _store_facts(store, {o for _, o in pairs})
    far = [o for (_, o), d in pairs.items() if d < 0]
    positions = _positions(store, far) if far else {}
    results = []
    for (place, other), distance in sorted(pairs.items()):
        if distance < 0:
            if other not in positions:
                continue
            la, lo = coords[place]
            distance = float(haversine_m(la, lo, *positions[other]))
        value, evidence = score(facts[place], theirs[other], distance)
        if value >= threshold:
            results.append({"id": suggestion_iri(dataset, place, other), "from": place, "to": other,
                            "score": value, "evidence": evidence})
    results.sort(key=lambda s: (-s["score"], s["from"], s["to"]))
    return results


def _owners(store: GraphStore, dataset: str, values: set[str], places_elsewhere: int) -> dict[str, set[str]]:
    """value → the resources that graphs other than `dataset` give that identifier or link IRI.
    Each value looked up costs ~30 us on a disk store, a scanned statement ~10 us: an upload with
    more values than there are places elsewhere scans them all (100k places: 25 s → 0.3 s)."""
    owners: dict[str, set[str]] = defaultdict(set)
    if not values:
        return owners
    graph = URIRef(dataset)
    if len(values) > places_elsewhere:
        for other, value in store.select_values(query("link_keys_elsewhere").bind(graph=graph)):
            if value in values:
                owners[value].add(other)  # type: ignore[arg-type]
        return owners
    terms = [URIRef(v) if v.startswith(("http://", "https://")) else v for v in sorted(values)]
    for start in range(0, len(terms), 1000):
        for other, value in store.select_values(query("link_shared_ids").bind(graph=graph,
                                                                              value=terms[start:start + 1000])):
            owners[value].add(other)  # type: ignore[index]
    return owners


def _positions(store: GraphStore, iris: list[str]) -> dict[str, tuple[float, float]]:
    out = {}
    for row in store.select(query("place_positions").bind(place=[URIRef(i) for i in sorted(set(iris))])):
        try:
            out[str(row["place"])] = (float(row["lat"]), float(row["lon"]))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
    return out


def suggestions_update(dataset: str, suggestions: list[dict[str, Any]]) -> str:
    now = Literal(datetime.now(UTC).isoformat(timespec="seconds"), datatype=XSD.dateTime)
    rows = [(URIRef(s["id"]), URIRef(s["from"]), URIRef(s["to"]), Literal(s["score"], datatype=XSD.decimal),
             Literal(json.dumps(s["evidence"], sort_keys=True))) for s in suggestions]
    return query("link_suggestions_replace").bind({("suggestion", "from", "to", "score", "evidence"): rows},
                                                  dataset=URIRef(dataset), created=now)


def list_suggestions(store: GraphStore, dataset: str, status: str | None = None) -> list[dict[str, Any]]:
    items = []
    for row in store.select(query("link_suggestions").bind(dataset=URIRef(dataset))):
        item = {"id": str(row["suggestion"]).rsplit("/", 1)[-1], "iri": str(row["suggestion"]),
                "from": str(row["from"]), "to": str(row["to"]), "score": float(row["score"]),  # type: ignore[arg-type]
                "evidence": json.loads(str(row["evidence"])), "status": str(row["status"])}
        if status is None or item["status"] == status:
            items.append(item)
    return items


def decide(store: GraphStore, dataset: str, key: str, agent: str, accept: bool, relation: str = "same") -> dict:
    if not re.fullmatch(r"[0-9a-f]{20}", key):
        raise NotFound(f"No link suggestion {key!r}")
    iri = f"{dataset}/link-suggestion/{key}"
    found = [s for s in list_suggestions(store, dataset) if s["iri"] == iri]
    if not found:
        raise NotFound(f"No link suggestion {key!r}")
    suggestion = found[0]
    if suggestion["status"] != "open":
        raise Conflict(f"This suggestion was already {suggestion['status']}")
    if relation not in RELATIONS:
        raise Unprocessable("relation is 'same' (owl:sameAs) or 'related' (skos:closeMatch)")
    now = Literal(datetime.now(UTC).isoformat(timespec="seconds"), datatype=XSD.dateTime)
    link = URIRef(iri.replace("/link-suggestion/", "/link/")) if accept else None
    row = (URIRef(iri), Literal("accepted" if accept else "rejected"), URIRef(agent), now, link,
           URIRef(suggestion["from"]) if accept else None, URIRef(suggestion["to"]) if accept else None,
           URIRef(RELATIONS[relation]) if accept else None)
    store.update(query("link_decide").bind(
        {("suggestion", "status", "agent", "when", "link", "from", "to", "relation"): [row]},
        suggestion=URIRef(iri)))
    return {**suggestion, "status": row[1].toPython(), "relation": relation if accept else None}


# Clusters of linked records -------------------------------------------------------------------

_CLUSTERS: weakref.WeakKeyDictionary[GraphStore, tuple[str, dict[str, list[str]]]] = weakref.WeakKeyDictionary()


def clusters(store: GraphStore, generation: str | None = None) -> dict[str, list[str]]:
    """place → every record of the same place (canonical first), for places with sameAs links.

    The canonical record is the one from the earliest published dataset (the shipped reference data
    counts as earliest), ties by IRI: deterministic, and stable when newer sources are linked.
    Read again only when the store's public generation changed (`generation`: one the caller read
    from the store just before). Treat the result as read-only."""
    if generation is None:
        generation = current_generation(store)  # before the links: see app/store/generation.py
    cached = _CLUSTERS.get(store)
    if generation is not None and cached is not None and cached[0] == generation:
        return cached[1]
    found = _read_clusters(store)
    if generation is not None:
        _CLUSTERS[store] = (generation, found)
    return found


def _read_clusters(store: GraphStore) -> dict[str, list[str]]:
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in store.select_values(query("same_as_links").text):
        ra, rb = find(a), find(b)  # type: ignore[arg-type]
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    if not parent:
        return {}
    issued: dict[str, str] = {}
    for place, _graph, when in store.select_values(query("place_datasets").bind(
            place=[URIRef(p) for p in sorted(parent)])):
        issued[place] = min(issued.get(place, "~"), when or "")  # type: ignore[index, type-var]
    groups: dict[str, list[str]] = defaultdict(list)
    for member in parent:
        groups[find(member)].append(member)
    out: dict[str, list[str]] = {}
    for members in groups.values():
        ordered = sorted(members, key=lambda m: (issued.get(m, "~"), m))
        for m in ordered:
            out[m] = ordered
    return out
