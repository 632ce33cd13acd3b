"""Server-rendered browser pages: language choice, templates, and the metadata a shared link needs.

Templates autoescape everything; user text only ever reaches the browser as escaped text or as
JSON in a non-executed `<script type="application/json">` block that scripts read with textContent.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape

WEB_DIR = Path(__file__).parent / "web"
STATIC_DIR = WEB_DIR / "static"
LANGUAGES = ("nl", "en")
LANG_COOKIE = "pvb_lang"


@cache
def messages() -> dict[str, dict[str, str]]:
    return json.loads((WEB_DIR / "messages.json").read_text(encoding="utf-8"))


@cache
def environment() -> Environment:
    return Environment(loader=FileSystemLoader(WEB_DIR / "templates"), autoescape=select_autoescape(default=True),
                       trim_blocks=True, lstrip_blocks=True)


def choose_language(asked: str | None, cookie: str | None, accept_language: str | None) -> str:
    """`?lang=` wins, then the visitor's earlier choice (cookie), then the browser's languages, then Dutch."""
    for value in (asked, cookie):
        if value in LANGUAGES:
            return value
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower().split("-")[0]
        if tag in LANGUAGES:
            return tag
    return LANGUAGES[0]


def language_links(path: str, params: dict[str, str]) -> list[dict[str, str]]:
    """Links that switch language and keep everything else in the URL (plain links: work without JS)."""
    kept = {k: v for k, v in params.items() if k != "lang"}
    return [{"lang": lang, "href": path + "?" + urlencode({**kept, "lang": lang})} for lang in LANGUAGES]


def content_security_policy(tile_url: str | None) -> str:
    """Only this server's scripts, styles and data; images also from the tile server when one is set."""
    images = "'self' data:"
    if tile_url:
        parts = urlsplit(tile_url)
        images += f" {parts.scheme}://{parts.netloc.replace('{s}', '*')}"
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src " + images + "; "
            "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'")


def place_key(base_iri: str, iri: str) -> str:
    """The local part of a platform place IRI, or the whole IRI percent-encoded (as /places/{key} accepts)."""
    prefix = base_iri + "id/place/"
    return iri[len(prefix):] if iri.startswith(prefix) and "/" not in iri[len(prefix):] else quote(iri, safe="")


def render(template: str, lang: str, **values: Any) -> str:
    text = messages()[lang]
    return environment().get_template(template).render(lang=lang, t=text, messages_json=text, **values)


def place_metadata(place: dict[str, Any], page_url: str, lang: str) -> dict[str, Any]:
    """Open Graph properties and a schema.org JSON-LD object, so a shared link previews well."""
    description = place.get("description") or ", ".join(
        t["label"] for t in place.get("types", []) if t.get("label")) or place["label"]
    address = place.get("address") or {}
    json_ld: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": ["Place", "LandmarksOrHistoricalBuildings"],
        "@id": place["id"],
        "name": place["label"],
        "description": description,
        "url": page_url,
        "geo": {"@type": "GeoCoordinates", "latitude": place["lat"], "longitude": place["lon"]},
        "identifier": place.get("identifiers", []),
        "sameAs": place.get("links", []),
    }
    if address:
        json_ld["address"] = {"@type": "PostalAddress", "streetAddress": address.get("street"),
                              "postalCode": address.get("postal_code"), "addressLocality": address.get("locality"),
                              "addressRegion": address.get("region"), "addressCountry": address.get("country")}
    og = {"og:type": "place", "og:title": place["label"], "og:description": description[:300], "og:url": page_url,
          "og:locale": "nl_NL" if lang == "nl" else "en_GB", "og:site_name": messages()[lang]["site"],
          "place:location:latitude": str(place["lat"]), "place:location:longitude": str(place["lon"])}
    return {"og": og, "json_ld": json_ld, "description": description}


def distance_text(metres: float) -> str:
    return f"{metres:.0f} m" if metres < 1000 else f"{metres / 1000:.1f} km"


def plain(value: Any) -> str:
    """Nested tourist information as one readable line (rendered as text by the template)."""
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, dict):
        return ", ".join(f"{k.replace('_', ' ')}: {plain(v)}" for k, v in value.items() if v not in (None, [], ""))
    if isinstance(value, list):
        return "; ".join(plain(v) for v in value)
    return str(value)
