"""What people said about a place, for its context: tags with counts, comment threads (newest first,
paged, with replies), stories, links and bookmarks, institutional contributions kept apart.

Reading all of it takes several queries over every annotation on the place, so the part that comes
from the annotations graph is cached per process, keyed by the place's *social version*: a random
token written in the same update as every change to an annotation about the place (create, edit,
delete, hide, restore, approve; for a reply, the place its thread is about). Each request reads the
version (a key lookup) and recomputes on any difference, so API workers sharing one store never
serve another worker's stale view. Names and labels, which accounts and datasets change, are never
cached: each request reads them fresh, in one query. A place without a version (annotations written
before versions existed, or restored from such a backup) is never cached.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rdflib import URIRef
from rdflib.term import Node

from .annotations import OA, _item, _triples, render
from .cache import StampedCache, social_versions
from .lang import pick, text
from .queries import query
from .settings import Settings
from .store import GraphStore
from .terms import is_true

COUNTED = {"tags": "tagging", "comments": "commenting", "stories": "describing", "sources": "linking",
           "bookmarks": "bookmarking"}
NONE = URIRef("urn:pvb:none")  # fills an empty VALUES list, which would otherwise mean "anything"


# Versions ----------------------------------------------------------------------------------------

def version(store: GraphStore, place: str) -> str | None:
    return social_versions(store, [place]).get(place)


# The cached part ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Skeleton:
    """A place's social context from the annotations graph alone: no names, no labels."""

    tags: list[tuple[str, bool, int]]
    comments_total: int
    threads: list[dict[str, Any]]
    stories: list[dict[str, Any]]
    links: list[dict[str, Any]]
    bookmarks: int
    counts: dict[str, int]  # annotations per kind, as the place summary counts them
    agents: frozenset[str]
    targets: frozenset[str]


def skeleton(store: GraphStore, settings: Settings, place: str, *, comments_offset: int, comments_limit: int,
             lists_limit: int) -> Skeleton:
    by_motivation: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for annotation, motivation, created in store.select_values(
            query("place_annotation_index").bind(place=URIRef(place))):
        by_motivation[(motivation or "").removeprefix(OA)].append((annotation or "", created or ""))
    for rows in by_motivation.values():
        rows.sort(key=lambda r: (r[1], r[0]), reverse=True)
    comments = by_motivation["commenting"]
    page = [r[0] for r in comments[comments_offset:comments_offset + comments_limit]]
    stories = [r[0] for r in by_motivation["describing"][:lists_limit]]
    links = [r[0] for r in by_motivation["linking"][:lists_limit]]
    children: dict[str, list[tuple[str, str]]] = defaultdict(list)
    descendants: dict[str, set[str]] = defaultdict(set)
    if page:
        for root, reply, parent, created in store.select_values(
                query("annotation_replies").bind(root=[URIRef(i) for i in page])):
            descendants[root or ""].add(reply or "")
            if (reply, created) not in children[parent or ""]:
                children[parent or ""].append((reply or "", created or ""))
    replies = {r for rs in descendants.values() for r in rs}
    wanted = page + stories + links + sorted(replies)
    found = _triples(store, wanted)
    docs = {i: render(settings, i, found[i], {}) for i in wanted if i in found}

    def thread(iri: str, depth: int = 0) -> dict[str, Any]:
        kids = sorted(children.get(iri, []), key=lambda c: (c[1], c[0]))
        item = _item(docs[iri])
        item["reply_count"] = len(descendants[iri]) if depth == 0 else len(kids)
        item["replies"] = [thread(k, depth + 1) for k, _ in kids if k in docs and depth < 50]
        return item

    link_items = []
    for iri in links:
        if iri in docs:
            item = _item(docs[iri])
            item["target"] = {"id": item.pop("body")}
            link_items.append(item)
    tags = [(str(row["tag"]), is_true(row.get("official")), int(row["n"]))  # type: ignore[call-overload]
            for row in store.select(query("place_tags").bind(place=URIRef(place)))]
    agents = {d["creator"]["id"] for d in docs.values()} | {d["speaksFor"]["id"] for d in docs.values()
                                                            if "speaksFor" in d}
    return Skeleton(tags=tags, comments_total=len(comments), threads=[thread(i) for i in page if i in docs],
                    stories=[_item(docs[i]) for i in stories if i in docs], links=link_items,
                    bookmarks=len(by_motivation["bookmarking"]),
                    counts={kind: len(by_motivation[m]) for kind, m in COUNTED.items()},
                    agents=frozenset(a for a in agents if a),
                    targets=frozenset(i["target"]["id"] for i in link_items if i["target"]["id"]))


# Names and labels, fresh every time --------------------------------------------------------------

@dataclass
class Lookups:
    names: dict[str, str]
    labels: dict[str, str]
    places: set[str]
    tag_labels: dict[str, str | None]


def lookups(store: GraphStore, agents: Iterable[str], targets: Iterable[str], tags: Iterable[str],
            prefs: list[str]) -> Lookups:
    def terms(iris: Iterable[str]) -> list[URIRef]:
        return [URIRef(i) for i in sorted(set(iris))] or [NONE]

    found: dict[tuple[str, str], list[Node]] = defaultdict(list)
    for row in store.select(query("social_lookups").bind(agent=terms(agents), target=terms(targets), tag=terms(tags))):
        found[(str(row["kind"]), str(row["resource"]))].append(row["value"])
    targets = set(targets)
    return Lookups(
        names={iri: text(pick(values, ["nl", "en"])) or iri for (kind, iri), values in found.items() if kind == "name"},
        labels={iri: text(pick(found.get(("label", iri), []), prefs)) or iri for iri in targets},
        places={iri for (kind, iri) in found if kind == "place"},
        tag_labels={iri: text(pick(values, prefs)) for (kind, iri), values in found.items() if kind == "tagLabel"})


def _named(item: dict[str, Any], known: dict[str, str]) -> dict[str, Any]:
    """A copy of a cached item with the names of its creator and institution filled in."""
    out = dict(item)
    out["creator"] = {"id": item["creator"]["id"], "name": known.get(item["creator"]["id"] or "")}
    if item["speaks_for"]:
        out["speaks_for"] = {"id": item["speaks_for"]["id"], "name": known.get(item["speaks_for"]["id"])}
    if "replies" in item:
        out["replies"] = [_named(r, known) for r in item["replies"]]
    return out


def _split(items: list[dict]) -> dict[str, list[dict]]:
    return {"institutional": [i for i in items if i["official"]],
            "visitors": [i for i in items if not i["official"]]}


def current_skeleton(store: GraphStore, settings: Settings, place: str, *, cache: StampedCache | None = None,
                     comments_offset: int = 0, comments_limit: int = 10, lists_limit: int = 20,
                     known_version: str | None = None) -> Skeleton:
    """The annotation part of a place's social context; with `cache`, reused while the place's social
    version in the store is unchanged (`known_version`: read by the caller just before)."""
    key = (place, comments_offset, comments_limit, lists_limit)
    current = (known_version or version(store, place)) if cache is not None else None
    found = cache.get(key, current) if cache is not None and current is not None else None
    if found is None:
        found = skeleton(store, settings, place, comments_offset=comments_offset, comments_limit=comments_limit,
                         lists_limit=lists_limit)
        if cache is not None and current is not None:
            cache.put(key, current, found)
    return found


def social_context(store: GraphStore, settings: Settings, place: str, prefs: list[str], *,
                   comments_offset: int = 0, comments_limit: int = 10, lists_limit: int = 20,
                   cache: StampedCache | None = None) -> dict[str, Any]:
    """What people said about a place, in the reader's language."""
    found = current_skeleton(store, settings, place, cache=cache, comments_offset=comments_offset,
                             comments_limit=comments_limit, lists_limit=lists_limit)
    return render_social(store, found, prefs, comments_offset=comments_offset, comments_limit=comments_limit)


def render_social(store: GraphStore, found: Skeleton, prefs: list[str], *, comments_offset: int,
                  comments_limit: int) -> dict[str, Any]:
    """A skeleton with fresh names and labels, as the place context shows it."""
    fresh = lookups(store, found.agents, found.targets, {t for t, _, _ in found.tags}, prefs)
    links = []
    for cached in found.links:
        item = _named(cached, fresh.names)
        target = cached["target"]["id"]
        label = fresh.labels.get(target)
        item["target"] = {"id": target, "label": label if label is not None and label != target else None,
                          "kind": "place" if target in fresh.places else "source"}
        item["linked_by"] = item["creator"]
        links.append(item)
    tags: dict[str, list[dict]] = {"institutional": [], "social": []}
    for tag, official, count in found.tags:
        tags["institutional" if official else "social"].append(
            {"id": tag, "label": fresh.tag_labels.get(tag), "count": count})
    for group in tags.values():
        group.sort(key=lambda t: (-t["count"], t["label"] or t["id"]))
    return {
        "tags": tags,
        "comments": {"total": found.comments_total, "offset": comments_offset, "limit": comments_limit,
                     "items": [_named(t, fresh.names) for t in found.threads]},
        "stories": _split([_named(s, fresh.names) for s in found.stories]),
        "links": _split(links),
        "bookmarks": found.bookmarks,
    }
