"""Atom and ActivityStreams 2.0 feeds of contributions (W3C Web Annotations) about places. No HTTP here."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

from rdflib import URIRef

from .places import require_place
from .queries import query
from .store import GraphStore

ATOM = "http://www.w3.org/2005/Atom"
OA = "http://www.w3.org/ns/oa#"


def contributions(store: GraphStore, places: list[str], limit: int = 100) -> list[dict[str, Any]]:
    """One entry per annotation on these places, newest first; several body values are joined."""
    if not places:
        return []
    return _entries(store.select(query("place_contributions").bind(place=[URIRef(p) for p in places])), limit)


def institution_contributions(store: GraphStore, institution: str, limit: int = 100) -> list[dict[str, Any]]:
    """Everything said about the places an institution publishes about or in."""
    return _entries(store.select(query("institution_contributions").bind(institution=URIRef(institution))), limit)


def _entries(rows: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = found.setdefault(str(row["annotation"]), {
            "id": str(row["annotation"]), "place": str(row["place"]),
            "motivation": str(row["motivation"]).removeprefix(OA),
            "created": str(row["created"]) if "created" in row else None,
            "creator": str(row["creator"]) if "creator" in row else None,
            "name": str(row["name"]) if "name" in row else None, "values": [], "title": None})
        if "value" in row and str(row["value"]) not in entry["values"]:
            entry["values"].append(str(row["value"]))
        if "title" in row:
            entry["title"] = str(row["title"])
    entries = sorted(found.values(), key=lambda e: (e["created"] or "", e["id"]), reverse=True)
    return entries[:limit]


def _summary(entry: dict[str, Any]) -> str:
    return entry["title"] or " ".join(entry["values"])[:200] or entry["motivation"]


def atom(feed_id: str, title: str, self_url: str, alternate: str, entries: list[dict[str, Any]]) -> bytes:
    """An Atom 1.0 document; ElementTree escapes every text node."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}id").text = feed_id
    ET.SubElement(feed, f"{{{ATOM}}}title").text = title
    updated = max((e["created"] for e in entries if e["created"]), default=None)
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = updated or datetime.now(UTC).isoformat(timespec="seconds")
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=self_url)
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=alternate)
    for e in entries:
        item = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(item, f"{{{ATOM}}}id").text = e["id"]
        ET.SubElement(item, f"{{{ATOM}}}title").text = f"{e['motivation']}: {_summary(e)}"
        ET.SubElement(item, f"{{{ATOM}}}updated").text = e["created"] or updated or "1970-01-01T00:00:00Z"
        author = ET.SubElement(item, f"{{{ATOM}}}author")
        ET.SubElement(author, f"{{{ATOM}}}name").text = e["name"] or "anonymous"
        if e["creator"]:
            ET.SubElement(author, f"{{{ATOM}}}uri").text = e["creator"]
        ET.SubElement(item, f"{{{ATOM}}}link", rel="related", href=e["place"])
        ET.SubElement(item, f"{{{ATOM}}}category", term=e["motivation"], scheme=OA)
        ET.SubElement(item, f"{{{ATOM}}}content", type="text").text = "\n\n".join(e["values"])
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8")


def activity_stream(feed_id: str, title: str, entries: list[dict[str, Any]]) -> dict[str, Any]:
    """An ActivityStreams 2.0 OrderedCollection of Create activities, one per annotation."""
    return {
        "@context": ["https://www.w3.org/ns/activitystreams", "http://www.w3.org/ns/anno.jsonld"],
        "id": feed_id, "type": "OrderedCollection", "name": title, "totalItems": len(entries),
        "orderedItems": [{
            "type": "Create", "published": e["created"],
            "actor": {"type": "Person", "id": e["creator"], "name": e["name"]},
            "object": {"type": "Note" if e["motivation"] in ("commenting", "replying") else "Annotation",
                       "id": e["id"], "name": e["title"], "content": "\n\n".join(e["values"]),
                       "motivation": e["motivation"]},
            "target": {"type": "Place", "id": e["place"]},
        } for e in entries],
    }


def place_feed(store: GraphStore, iri: str, page_url: str, self_url: str) -> bytes:
    require_place(store, iri)
    return atom(self_url, f"Contributions: {iri}", self_url, page_url, contributions(store, [iri]))
