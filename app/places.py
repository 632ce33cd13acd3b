"""Places of meaning: what is near a point, and the full context of one place. No HTTP here."""

from __future__ import annotations

import base64
import binascii
import json
import math
import threading
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from .cache import Stamp, StampedCache, ViewCaches, read_stamps, social_versions
from .errors import BadRequest, NotFound
from .geo import bearing_deg, valid_coordinates
from .lang import pick, preferences, text
from .linking import clusters
from .queries import query
from .settings import Settings
from .social import current_skeleton, render_social
from .spatial import Hits, PlaceIndex
from .store import GraphStore
from .store.generation import current as current_generation
from .terms import is_iri

SCHEMA = "https://schema.org/"
PVB = "https://w3id.org/pvb/ns#"
GEO = "http://www.w3.org/2003/01/geo/wgs84_pos#"
SUMMARY_CACHE_MAX = 500_000  # places described per index snapshot (~0.4 kB each), then it starts over
COUNT_KINDS = ("stories", "collections", "sources", "tags", "comments", "bookmarks")
LINK_PROPERTIES = {SCHEMA + "url", str(RDFS.seeAlso), str(FOAF.page), SCHEMA + "sameAs", str(OWL.sameAs),
                   str(SKOS.exactMatch), str(SKOS.closeMatch)}


@dataclass(frozen=True)
class NearbyRequest:
    lat: float
    lon: float
    radius: float
    limit: int
    offset: int = 0
    cursor: str | None = None
    prefs: tuple[str, ...] = ("nl", "en")
    concept: str | None = None
    tag: str | None = None


def validate_point(lat: float, lon: float) -> None:
    if not valid_coordinates(lat, lon):
        raise BadRequest("lat must be within [-90, 90] and lon within [-180, 180], both finite numbers")


def encode_cursor(distance: float, iri: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([distance, iri]).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        distance, iri = json.loads(raw)
        if not isinstance(iri, str) or not math.isfinite(float(distance)):
            raise ValueError
        return float(distance), iri
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadRequest("cursor is not one this server gave out") from exc


def resolve_concepts(store: GraphStore, value: str) -> list[URIRef]:
    """A concept named by IRI, or by one of its labels (case-insensitive)."""
    if is_iri(value):
        return [URIRef(value)]
    found = [row["concept"] for row in store.select(query("concepts_by_label").bind(text=Literal(value)))]
    if not found:
        raise NotFound(f"No concept is labelled {value!r}")
    return found  # type: ignore[return-value]


def places_with(store: GraphStore, concepts: list[URIRef]) -> set[str]:
    return {str(row["place"]) for row in store.select(query("places_with_concept").bind(concept=concepts))}


def nearby(store: GraphStore, index: PlaceIndex, request: NearbyRequest,
           caches: ViewCaches | None = None) -> dict[str, Any]:
    validate_point(request.lat, request.lon)
    snapshot = index.current()
    generation = index.seen_generation
    hits = snapshot.within(request.lat, request.lon, request.radius)
    positions = list(range(len(hits.iris)))
    for value in (request.concept, request.tag):
        if value:
            allowed = places_with(store, resolve_concepts(store, value))
            positions = [i for i in positions if hits.iris[i] in allowed]
    groups = clusters(store, generation)
    if groups:  # records linked as one place of meaning: one item, at the nearest record
        seen: set[str] = set()
        kept = []
        for i in positions:
            canonical = groups.get(hits.iris[i], [hits.iris[i]])[0]
            if canonical not in seen:
                seen.add(canonical)
                kept.append(i)
        positions = kept
    start = request.offset
    if request.cursor:
        after = decode_cursor(request.cursor)
        start = next((n for n, i in enumerate(positions)
                      if (float(hits.distances[i]), hits.iris[i]) > after), len(positions))
    page = positions[start:start + request.limit]
    members = {hits.iris[i]: groups.get(hits.iris[i], [hits.iris[i]]) for i in page}
    summaries = merged_summaries(store, members, list(request.prefs), snapshot.described,
                                 counts_cache=caches.counts if caches is not None else None,
                                 summary_cache=caches.summaries if caches is not None else None,
                                 generation=generation)
    items = [_nearby_item(hits, i, request, summaries) for i in page]
    more = start + len(page) < len(positions)
    return {
        "items": items,
        "total": len(positions),
        "offset": start,
        "limit": request.limit,
        "next_cursor": encode_cursor(float(hits.distances[page[-1]]), hits.iris[page[-1]]) if more else None,
    }


def _nearby_item(hits: Hits, i: int, request: NearbyRequest, summaries: dict[str, dict]) -> dict[str, Any]:
    iri = hits.iris[i]
    lat, lon = float(hits.lats[i]), float(hits.lons[i])
    return {
        **summaries[iri],
        "lat": lat,
        "lon": lon,
        "distance_m": round(float(hits.distances[i]), 2),
        "bearing_deg": round(bearing_deg(request.lat, request.lon, lat, lon), 1),
    }


@dataclass
class _Described:
    """What the datasets say about one place, in every language: the part of a summary that only
    changes when a data graph changes, so it is cached with the index snapshot of those graphs."""

    values: dict[str, list[Node]]
    type_labels: dict[str, list[Node]]
    counts: dict[str, int]
    titles: dict[str, list[Node]]


def _described(store: GraphStore, iris: list[str], cache: dict[str, Any] | None) -> dict[str, _Described]:
    """From the cache where it has them; the others from the store (three queries), then cached."""
    found = {i: cache[i] for i in iris if i in cache} if cache is not None else {}
    missing = [i for i in iris if i not in found]
    if not missing:
        return found
    terms = [URIRef(i) for i in missing]
    fresh = {i: _Described(defaultdict(list), defaultdict(list), {}, defaultdict(list)) for i in missing}
    for row in store.select(query("place_summaries").bind(place=terms)):
        entry, key = fresh[str(row["place"])], str(row["key"])
        if key == "typeLabel":
            entry.type_labels[str(row["about"])].append(row["value"])
        else:
            entry.values[key].append(row["value"])
    for row in store.select(query("place_dataset_counts").bind(place=terms)):
        entry = fresh[str(row["place"])]
        entry.counts[str(row["kind"])] = entry.counts.get(str(row["kind"]), 0) + int(row["n"])  # type: ignore[call-overload]
    for row in store.select(query("place_story_titles").bind(place=terms)):
        fresh[str(row["place"])].titles[str(row["story"])].append(row["title"])
    if cache is not None:
        if len(cache) > SUMMARY_CACHE_MAX:
            cache.clear()
        cache.update(fresh)
    return {**found, **fresh}


def warm_summaries(store: GraphStore, index: PlaceIndex, limit: int, stop: threading.Event,
                   batch: int = 1000, caches: ViewCaches | None = None) -> int:
    """Read what the datasets say about the index's first `limit` places into its snapshot's cache,
    and with `caches` what people said (annotation counts) and the summaries a nearby page shows in
    the default languages, a batch at a time, until done, `stop` is set or the snapshot is replaced.
    Places that are asked for first are read by their requests as usual. Returns how many places
    were read. Cold counts cost a nearby page ~7 ms at 100k annotations, ten times the rest of it."""
    snapshot = index.current()
    prefs = preferences(None, None)
    done = 0
    for start in range(0, min(limit, len(snapshot.iris), SUMMARY_CACHE_MAX), batch):
        if stop.is_set() or index.current() is not snapshot:
            break
        generation = index.seen_generation  # read before what is read next, as a nearby request does
        chosen = [i for i in snapshot.iris[start:start + batch] if i not in snapshot.described]
        _described(store, chosen, snapshot.described)
        if caches is not None:
            summarize(store, snapshot.iris[start:start + batch], prefs, snapshot.described,
                      counts_cache=caches.counts, summary_cache=caches.summaries, generation=generation)
        done += len(chosen)
    return done


def summarize(store: GraphStore, iris: list[str], prefs: list[str], cache: dict[str, Any] | None = None,
              annotation_counts: dict[str, dict[str, int]] | None = None,
              counts_cache: StampedCache | None = None, *, summary_cache: StampedCache | None = None,
              generation: str | None = None) -> dict[str, dict[str, Any]]:
    """Label, types, identifiers, description and why-it-matters counts for a page of places.

    `cache` is the index snapshot's (PointIndex.described): what the datasets say comes from it
    when it can. What people said is read, one query for the page, except the `annotation_counts`
    already known (from a place's current social context) and those in `counts_cache`, kept per
    place under its social version. With `summary_cache` and the `generation` the snapshot was
    read at, whole summaries are kept per place and languages under (generation, social version):
    building one is ~10 us of Python a place, a nearby page's largest share after the framework's.
    Callers get the cached dicts themselves: they copy, never change them."""
    if not iris:
        return {}
    caching = summary_cache is not None and generation is not None
    stamps = social_versions(store, iris) if caching else {}
    languages = tuple(prefs)
    result: dict[str, dict[str, Any]] = {}
    for iri in stamps:
        hit = summary_cache.get((iri, languages), (generation, stamps[iri]))  # type: ignore[union-attr]
        if hit is not None:
            result[iri] = hit
    todo = [i for i in iris if i not in result]
    if not todo:
        return result
    described = _described(store, todo, cache)
    counts: dict[str, dict[str, int]] = {i: dict.fromkeys(COUNT_KINDS, 0) for i in todo}
    for iri in todo:
        for kind, n in described[iri].counts.items():
            counts[iri][kind] += n
    known = {i: found for i, found in (annotation_counts or {}).items() if i in counts}
    known.update(_annotation_counts(store, [i for i in todo if i not in known], counts_cache,
                                    stamps if caching else None))
    for iri, found in known.items():
        for kind, n in found.items():
            counts[iri][kind] += n
    for iri in todo:
        found, type_labels = described[iri].values, described[iri].type_labels
        result[iri] = {
            "label": text(pick(found["label"], prefs)) or iri,
            "types": [{"id": str(t), "label": text(pick(type_labels.get(str(t), []), prefs))}
                      for t in sorted(set(found.get("type", [])))],
            "identifiers": sorted({str(v) for v in found.get("identifier", [])}),
            "description": text(pick(found.get("description", []), prefs)),
            "context": {**counts[iri],
                        "story_titles": sorted(text(pick(t, prefs)) or "" for t in described[iri].titles.values())},
        }
        if iri in stamps:
            summary_cache.put((iri, languages), (generation, stamps[iri]), result[iri])  # type: ignore[union-attr]
    return result


def _annotation_counts(store: GraphStore, iris: list[str], cache: StampedCache | None,
                       stamps: dict[str, str | None] | None = None) -> dict[str, dict[str, int]]:
    """Annotations per kind for each place: from `cache` while a place's social version holds (read
    first, for all at once, unless the caller just read them: `stamps`), the rest in one query."""
    if stamps is None:
        stamps = social_versions(store, iris) if cache is not None and iris else {}
    found: dict[str, dict[str, int]] = {}
    for iri in iris:
        hit = cache.get(iri, stamps[iri]) if cache is not None and iri in stamps else None
        if hit is not None:
            found[iri] = hit
    missing = [URIRef(i) for i in iris if i not in found]
    fresh: dict[str, dict[str, int]] = {str(i): {} for i in missing}
    for row in store.select(query("place_annotation_counts").bind(place=missing)) if missing else []:
        fresh[str(row["place"])][str(row["kind"])] = int(row["n"])  # type: ignore[call-overload]
    for iri, counted in fresh.items():
        if cache is not None and iri in stamps:
            cache.put(iri, stamps[iri], counted)
    return {**found, **fresh}


def merged_summaries(store: GraphStore, members: dict[str, list[str]], prefs: list[str],
                     cache: dict[str, Any] | None = None,
                     annotation_counts: dict[str, dict[str, int]] | None = None,
                     counts_cache: StampedCache | None = None, *, summary_cache: StampedCache | None = None,
                     generation: str | None = None) -> dict[str, dict]:
    """Summaries of places, each merged over all records of its place of meaning (canonical first)."""
    everything = sorted({m for ms in members.values() for m in ms})
    found = summarize(store, everything, prefs, cache, annotation_counts, counts_cache,
                      summary_cache=summary_cache, generation=generation)
    out = {}
    for iri, records in members.items():
        parts = [found[m] for m in records]
        first = parts[0]
        if len(parts) == 1:
            out[iri] = {"id": iri, **first, "records": []}
            continue
        types = {t["id"]: t for p in parts for t in p["types"]}
        context = {k: sum(p["context"][k] for p in parts) for k in COUNT_KINDS}
        context["story_titles"] = sorted({t for p in parts for t in p["context"]["story_titles"]})
        out[iri] = {
            "id": records[0],
            "label": next((p["label"] for p in parts if p["label"] not in records), first["label"]),
            "types": [types[k] for k in sorted(types)],
            "identifiers": sorted({i for p in parts for i in p["identifiers"]}),
            "description": next((p["description"] for p in parts if p["description"]), None),
            "context": context,
            "records": records,
        }
    return out


def require_place(store: GraphStore, iri: str) -> URIRef:
    if not is_iri(iri) or not store.ask(query("place_exists").bind(place=URIRef(iri))):
        raise NotFound(f"No place {iri!r}")
    return URIRef(iri)


def context(store: GraphStore, index: PlaceIndex, iri: str, prefs: list[str], nearest: int = 5, *,
            settings: Settings | None = None, comments_offset: int = 0, comments_limit: int = 10,
            caches: ViewCaches | None = None) -> dict[str, Any]:
    """Everything that says why one place matters, in the reader's language; with `settings`, also
    what people said about it (annotations). With `caches`, see `context_view`: read-only then."""
    return context_view(store, index, iri, prefs, nearest, settings=settings, comments_offset=comments_offset,
                        comments_limit=comments_limit, caches=caches).data


@dataclass
class ContextView:
    data: dict[str, Any]
    body: bytes | None = None  # its JSON, once the API has validated and serialised it


def context_view(store: GraphStore, index: PlaceIndex, iri: str, prefs: list[str], nearest: int = 5, *,
                 settings: Settings | None = None, comments_offset: int = 0, comments_limit: int = 10,
                 caches: ViewCaches | None = None) -> ContextView:
    """A place's context, served again from `caches` while the store's generation and the place's
    social version hold (app/cache.py)."""
    if caches is None or not is_iri(iri):
        return ContextView(_context(store, index, iri, prefs, nearest, settings, comments_offset, comments_limit,
                                    None, None))
    generation = current_generation(store)  # once, before the links and the versions
    canonical = clusters(store, generation).get(iri, [iri])[0]
    stamp = read_stamps(store, [canonical], generation).get(canonical)
    key = (iri, tuple(prefs), nearest, settings is not None, comments_offset, comments_limit)
    found = caches.contexts.get(key, stamp) if stamp is not None else None
    if found is not None:
        return found  # type: ignore[no-any-return]
    view = ContextView(_context(store, index, iri, prefs, nearest, settings, comments_offset, comments_limit,
                                caches, stamp))
    if stamp is not None and view.data["id"] == canonical:  # else a link changed the place of meaning meanwhile
        caches.contexts.put(key, stamp, view)
    return view


def _context(store: GraphStore, index: PlaceIndex, iri: str, prefs: list[str], nearest: int,
             settings: Settings | None, comments_offset: int, comments_limit: int,
             caches: ViewCaches | None, stamp: Stamp | None) -> dict[str, Any]:
    """The place's own part (from the datasets: cached under the generation alone, so a comment does
    not make it be read again) with what people said about it."""
    generation = stamp.generation if stamp is not None else None
    key = (iri, tuple(prefs), nearest)
    found = caches.places.get(key, generation) if caches is not None and generation is not None else None
    if found is None:
        found = _place_part(store, index, iri, prefs, nearest)
        if caches is not None and generation is not None:
            caches.places.put(key, generation, found)
    records, part = found
    iri = records[0]
    said = None if settings is None else current_skeleton(
        store, settings, iri, cache=caches.skeletons if caches is not None else None,
        comments_offset=comments_offset, comments_limit=comments_limit,
        known_version=stamp.social_version if stamp is not None else None)
    summary = merged_summaries(store, {iri: records}, prefs, index.current().described,
                               {iri: said.counts} if said is not None else None)[iri]
    return {
        "id": iri,
        "label": summary["label"],
        **{k: part[k] for k in ("labels", "also_known_as", "name")},
        "description": summary["description"],
        **{k: part[k] for k in ("lat", "lon", "types")},
        "identifiers": summary["identifiers"],
        **{k: v for k, v in part.items() if k not in _BEFORE_IDENTIFIERS},
        "context": summary["context"],
        "records": summary["records"],
        "social": render_social(store, said, prefs, comments_offset=comments_offset,
                                comments_limit=comments_limit) if said is not None else None,
    }


_BEFORE_IDENTIFIERS = {"labels", "also_known_as", "name", "lat", "lon", "types"}


def _place_part(store: GraphStore, index: PlaceIndex, iri: str, prefs: list[str],
                nearest: int) -> tuple[list[str], dict[str, Any]]:
    """The records of the place of meaning (canonical first) and what the datasets say about it."""
    require_place(store, iri)
    records = clusters(store).get(iri, [iri])
    iri = records[0]  # an alias record opens its place of meaning, under the canonical IRI
    place = URIRef(iri)
    members = [URIRef(r) for r in records]
    props: dict[str, list[Node]] = defaultdict(list)
    for row in store.select(query("place_properties").bind(place=place)):
        props[str(row["p"])].append(row["o"])
    parts = _parts(store, place)
    lat, lon = float(props[GEO + "lat"][0]), float(props[GEO + "long"][0])  # type: ignore[arg-type]
    linked = _linked_resources(store, members, prefs)
    also_known_as: set[str] = set()
    if len(records) > 1:  # labels and links of every record: the other sources' words count too
        for row in store.select(query("place_properties").bind(place=members[1:])):
            if str(row["p"]) in (str(RDFS.label), SCHEMA + "name"):
                also_known_as.add(str(row["o"]))
            elif str(row["p"]) in LINK_PROPERTIES:
                props[str(row["p"])].append(row["o"])
    also_known_as -= {str(v) for v in props[str(RDFS.label)] + props[SCHEMA + "name"]}
    return records, {
        "labels": {(v.language or ""): str(v) for v in props[str(RDFS.label)] + props[SCHEMA + "name"]
                   if isinstance(v, Literal)},
        "also_known_as": sorted(also_known_as),
        "name": text(pick(props[SCHEMA + "name"], prefs)),
        "lat": lat,
        "lon": lon,
        "types": _types(store, place, prefs),
        "address": _address(parts.get(SCHEMA + "address", {})),
        "municipality": text(pick(props[PVB + "municipality"], prefs)),
        "province": text(pick(props[PVB + "province"], prefs)),
        "protection_status": text(pick(props[PVB + "protectionStatus"], prefs)),
        "situation": text(pick(props[PVB + "situation"], prefs)),
        "build_years": _build_years(props),
        "links": sorted({str(o) for p in LINK_PROPERTIES for o in props[p]
                         if isinstance(o, URIRef) and str(o) not in records}),
        **linked,
        "related_places": _related(store, place, prefs),
        "nearest_places": _nearest(store, index, records, lat, lon, prefs, nearest),
        "tourist_info": _tourist_info(props, parts, prefs),
    }


def _parts(store: GraphStore, place: URIRef) -> dict[str, dict[str, dict[str, list[Node]]]]:
    """link property → node → property → values, for the nodes a place owns."""
    parts: dict[str, dict[str, dict[str, list[Node]]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    for row in store.select(query("place_parts").bind(place=place)):
        parts[str(row["link"])][str(row["node"])][str(row["p"])].append(row["o"])
    return parts


def _first(values: list[Node]) -> str | None:
    return str(values[0]) if values else None


def _address(nodes: dict[str, dict[str, list[Node]]]) -> dict[str, str | None] | None:
    for node in nodes.values():
        return {
            "street": _first(node[SCHEMA + "streetAddress"]),
            "postal_code": _first(node[SCHEMA + "postalCode"]),
            "locality": _first(node[SCHEMA + "addressLocality"]),
            "region": _first(node[SCHEMA + "addressRegion"]),
            "country": _first(node[SCHEMA + "addressCountry"]),
        }
    return None


def _build_years(props: dict[str, list[Node]]) -> dict[str, int | None] | None:
    start, end = props[PVB + "buildYearStart"], props[PVB + "buildYearEnd"]
    if not start and not end:
        return None

    def year(values: list[Node]) -> int | None:
        try:
            return int(str(values[0])) if values else None
        except ValueError:
            return None

    return {"start": year(start), "end": year(end)}


def _types(store: GraphStore, place: URIRef, prefs: list[str]) -> list[dict[str, Any]]:
    labels: dict[str, list[Node]] = defaultdict(list)
    broader: dict[str, set[str]] = defaultdict(set)
    matches: dict[str, list[tuple[str, str]]] = defaultdict(list)
    types: list[str] = []
    for row in store.select(query("type_concepts").bind(place=place)):
        concept, relation, type_ = str(row["concept"]), str(row["relation"]), str(row["type"])
        if "label" in row:
            labels[concept].append(row["label"])
        if "broader" in row:
            broader[concept].add(str(row["broader"]))
        if relation == "type" and type_ not in types:
            types.append(type_)
        elif relation in ("exactMatch", "closeMatch") and (concept, relation) not in matches[type_]:
            matches[type_].append((concept, relation))

    def concept(iri: str) -> dict[str, Any]:
        return {"id": iri, "label": text(pick(labels[iri], prefs))}

    def chain(iri: str) -> list[dict[str, Any]]:
        path, seen = [], {iri}
        current = iri
        while broader[current]:
            current = sorted(broader[current])[0]
            if current in seen:
                break
            seen.add(current)
            path.append(concept(current))
        return path

    return [{**concept(t), "matches": [{**concept(c), "relation": r, "broader": chain(c)}
                                       for c, r in sorted(matches[t])]}
            for t in sorted(types)]


def _labels(store: GraphStore, iris: set[str], prefs: list[str]) -> dict[str, str]:
    if not iris:
        return {}
    found: dict[str, list[Node]] = defaultdict(list)
    for row in store.select(query("labels").bind(resource=[URIRef(i) for i in sorted(iris)])):
        found[str(row["resource"])].append(row["label"])
    return {iri: text(pick(found[iri], prefs)) or iri for iri in iris}


KIND_CLASSES = {"stories": PVB + "Story", "collections": PVB + "Collection", "sources": PVB + "Source",
                "objects": PVB + "HeritageObject"}


def _linked_resources(store: GraphStore, members: list[URIRef], prefs: list[str]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, dict[str, list[Node]]] = defaultdict(lambda: defaultdict(list))
    for row in store.select(query("place_linked_resources").bind(place=members)):
        found[str(row["resource"])][str(row["key"])].append(row["value"])
    names = _labels(store, {str(v) for r in found.values() for v in r["place"] + r["publisher"]}, prefs)
    grouped: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KIND_CLASSES}
    for iri, values in sorted(found.items()):
        classes = {str(c) for c in values["type"]}
        kind = next((k for k, cls in KIND_CLASSES.items() if cls in classes), "sources")
        grouped[kind].append({
            "id": iri,
            "title": text(pick(values["title"], prefs)),
            "description": text(pick(values["description"], prefs)),
            "kind": sorted(c.removeprefix(PVB) for c in classes if c.startswith(PVB)),
            "url": _first(values["url"]),
            "date": _first(values["date"]),
            "publisher": [{"id": str(p), "label": names[str(p)]} for p in sorted(set(values["publisher"]))],
            "sample_content": any(str(v) == "true" for v in values["sample"]),
            "places": [{"id": str(p), "label": names[str(p)]} for p in sorted(set(values["place"]))
                       if p not in members],
        })
    return grouped


def _related(store: GraphStore, place: URIRef, prefs: list[str]) -> list[dict[str, Any]]:
    via: dict[str, set[str]] = defaultdict(set)
    for row in store.select(query("related_places").bind(place=place)):
        via[str(row["other"])].add(str(row["via"]))
    names = _labels(store, set(via) | {v for vs in via.values() for v in vs}, prefs)
    ranked = sorted(via.items(), key=lambda kv: (-len(kv[1]), names[kv[0]], kv[0]))[:50]
    return [{"id": other, "label": names[other],
             "via": [{"id": v, "label": names[v]} for v in sorted(vias)]} for other, vias in ranked]


def _nearest(store: GraphStore, index: PlaceIndex, records: list[str], lat: float, lon: float, prefs: list[str],
             count: int) -> list[dict[str, Any]]:
    radius = 250.0
    hits = index.current().within(lat, lon, radius)
    while len(hits.iris) <= count and radius < 50_000:
        radius *= 4
        hits = index.current().within(lat, lon, radius)
    chosen = [i for i, other in enumerate(hits.iris) if other not in records][:count]
    names = _labels(store, {hits.iris[i] for i in chosen}, prefs)
    return [{"id": hits.iris[i], "label": names[hits.iris[i]], "distance_m": round(float(hits.distances[i]), 2),
             "bearing_deg": round(bearing_deg(lat, lon, float(hits.lats[i]), float(hits.lons[i])), 1)}
            for i in chosen]


def _tourist_info(props: dict[str, list[Node]], parts: dict[str, Any], prefs: list[str]) -> dict[str, Any] | None:
    hours = [{"days": sorted(str(d).removeprefix(SCHEMA) for d in node[SCHEMA + "dayOfWeek"]),
              "opens": _first(node[SCHEMA + "opens"]), "closes": _first(node[SCHEMA + "closes"]),
              "valid_from": _first(node[SCHEMA + "validFrom"]),
              "valid_through": _first(node[SCHEMA + "validThrough"])}
             for _, node in sorted(parts.get(SCHEMA + "openingHoursSpecification", {}).items())]
    features = [{"name": text(pick(node[SCHEMA + "name"], prefs)), "value": _first(node[SCHEMA + "value"])}
                for _, node in sorted(parts.get(SCHEMA + "amenityFeature", {}).items())]
    offers = [{"name": text(pick(node[SCHEMA + "name"], prefs)), "price": _first(node[SCHEMA + "price"]),
               "currency": _first(node[SCHEMA + "priceCurrency"])}
              for _, node in sorted(parts.get(SCHEMA + "offers", {}).items())]
    free, public = props[SCHEMA + "isAccessibleForFree"], props[SCHEMA + "publicAccess"]
    if not (hours or features or offers or free or public):
        return None
    return {
        "opening_hours": hours,
        "free": str(free[0]) == "true" if free else None,
        "public_access": str(public[0]) == "true" if public else None,
        "fees": offers,
        "accessibility": features,
        "sample_content": any(str(v) == "true" for v in props[PVB + "sampleContent"])
        or any(str(v) == "true" for nodes in parts.values() for node in nodes.values()
               for v in node[PVB + "sampleContent"]),
    }


def place_graph(store: GraphStore, iri: str) -> Graph:
    place = require_place(store, iri)
    graph = store.construct(query("place_graph").bind(place=place))
    for prefix, ns in (("schema", SCHEMA), ("pvb", PVB), ("geo", GEO), ("dcterms", str(DCTERMS)),
                       ("skos", str(SKOS)), ("rdfs", str(RDFS)), ("rdf", str(RDF))):
        graph.bind(prefix, ns)
    return graph
