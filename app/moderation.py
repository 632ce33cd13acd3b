"""Moderation: flags, hiding and restoring annotations, and the moderators' queue.

A hidden annotation is moved, not deleted: one update takes it out of the public annotations graph
into the private moderation graph together with a `moderating` decision (who, why, when), so it is
auditable and a moderator can move it back. Public queries only read the public graph.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF

from .accounts import User
from .annotations import (
    ANNOTATIONS,
    MODERATION,
    PVB,
    Located,
    _dt,
    _moderation_rows,
    generator_iri,
    locate,
    names,
    now,
    read_many,
    root_place,
    submission_rows,
    thread_places,
    with_touch,
)
from .errors import Conflict, Forbidden, NotFound, Unprocessable
from .queries import query
from .settings import Settings
from .store import GraphStore


def _reason(reason: str | None) -> str | None:
    if reason is None:
        return None
    cleaned = " ".join(reason.split())
    if len(cleaned) > 500:
        raise Unprocessable("a reason is at most 500 characters")
    return cleaned or None


def may_hide(store: GraphStore, user: User, found: Located) -> bool:
    """Moderators anywhere; staff and curators on their institution's places."""
    if user.is_moderator:
        return True
    institutions = user.staff_of | user.curator_of
    if not institutions:
        return False
    place = root_place(store, found.iri)
    return place is not None and any(
        store.ask(query("institution_place").bind(institution=URIRef(i), place=URIRef(place))) for i in institutions)


def _move(store: GraphStore, found: Located, to: str, rows: list[tuple]) -> None:
    store.update(with_touch(query("annotation_move").bind(
        annotation=URIRef(found.iri), **{"from": URIRef(found.graph)}, to=URIRef(to), rows={("s", "p", "o"): rows}),
        thread_places(store, [found.iri])))


def hide(store: GraphStore, settings: Settings, user: User | None, iri: str, reason: str | None) -> None:
    """`user` None means the platform itself (after enough flags)."""
    found = locate(store, iri)
    if found is None:
        raise NotFound(f"No annotation {iri!r}")
    if user is not None and not may_hide(store, user, found):
        raise Forbidden("Only moderators, or staff of the institution whose place it is, may hide an annotation")
    if not found.public:
        raise Conflict("This annotation is already hidden or held for review")
    by = user.agent if user is not None else generator_iri(settings)
    _move(store, found, MODERATION, _moderation_rows(settings, iri, "hide", by, _reason(reason)))


def restore(store: GraphStore, settings: Settings, user: User, iri: str, reason: str | None) -> None:
    if not user.is_moderator:
        raise Forbidden("Only moderators may restore or approve annotations")
    found = locate(store, iri)
    if found is None:
        raise NotFound(f"No annotation {iri!r}")
    if found.public:
        raise Conflict("This annotation is public already")
    action = "approve" if found.status == "held" else "restore"
    _move(store, found, ANNOTATIONS, _moderation_rows(settings, iri, action, user.agent, _reason(reason)))


def flag(store: GraphStore, settings: Settings, user: User, iri: str, reason: str | None, address: str) -> dict:
    """Record a flag; the annotation is hidden once `flags_to_hide` people flagged it, unless a
    moderator restored it before (then only a moderator hides it again)."""
    from .annotations import check_rate

    found = locate(store, iri)
    if found is None or not found.public:
        raise NotFound(f"No annotation {iri!r}")
    if found.creator == user.agent:
        raise Unprocessable("You cannot flag your own annotation; edit or delete it instead")
    check_rate(store, settings, user, address)
    if store.select(query("annotation_flags").bind(annotation=URIRef(iri), by=URIRef(user.account))):
        raise Conflict("You flagged this annotation already")
    node = URIRef(f"urn:pvb:flag:{uuid.uuid4().hex}")
    rows = [(node, RDF.type, URIRef(PVB + "Flag")), (node, URIRef(PVB + "about"), URIRef(iri)),
            (node, URIRef(PVB + "flaggedBy"), URIRef(user.account)), (node, DCTERMS.created, _dt(now()))]
    if _reason(reason):
        rows.append((node, URIRef(PVB + "reason"), Literal(_reason(reason))))
    rows += submission_rows(settings, user, address, iri, "flag")
    store.update(query("private_insert").bind(rows={("s", "p", "o"): rows}))
    count = len({str(r["by"]) for r in store.select(query("annotation_flags").bind(annotation=URIRef(iri)))})
    restored = any(str(r["action"]) == "restore"
                   for r in store.select(query("moderation_log").bind(annotation=URIRef(iri))))
    hidden = False
    if count >= settings.flags_to_hide and not restored:
        hide(store, settings, None, iri, f"flagged by {count} people")
        hidden = True
    return {"flags": count, "hidden": hidden}


def queue(store: GraphStore, settings: Settings, user: User) -> list[dict[str, Any]]:
    if not user.is_moderator:
        raise Forbidden("Only moderators see the moderation queue")
    status: dict[str, str] = {}
    for row in store.select(query("moderation_queue").text):
        iri = str(row["annotation"])
        if status.get(iri) in ("held", "hidden"):
            continue
        status[iri] = str(row["status"])
    if not status:
        return []
    iris = [URIRef(i) for i in status]
    flags: dict[str, list] = defaultdict(list)
    for row in store.select(query("annotation_flags").bind(annotation=iris)):
        flags[str(row["annotation"])].append({"reason": str(row["reason"]) if "reason" in row else None,
                                              "created": str(row["created"])})
    log: dict[str, list] = defaultdict(list)
    deciders = set()
    for row in store.select(query("moderation_log").bind(annotation=iris)):
        deciders.add(str(row["by"]))
        log[str(row["annotation"])].append({"action": str(row["action"]), "by": str(row["by"]),
                                            "reason": str(row["reason"]) if "reason" in row else None,
                                            "created": str(row["created"])})
    known = names(store, deciders)
    public = read_many(store, settings, [i for i, s in status.items() if s == "flagged"])
    private = read_many(store, settings, [i for i, s in status.items() if s != "flagged"], MODERATION)
    items = []
    for iri, state in status.items():
        doc = public.get(iri) or private.get(iri)
        if doc is None:
            continue  # deleted by its author since
        items.append({"id": iri, "status": state, "annotation": doc, "flags": flags[iri],
                      "decisions": [{**d, "by": {"id": d["by"], "name": known.get(d["by"])}} for d in log[iri]]})
    return sorted(items, key=lambda i: i["annotation"].get("created") or "", reverse=True)
