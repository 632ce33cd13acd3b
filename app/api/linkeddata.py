"""/id/{kind}/{key}: platform IRIs dereferenced with content negotiation; /.well-known/void."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..errors import NotAcceptable, NotFound
from ..linkeddata import RDF_TYPES, describe, page, serialize, void_description
from ..pages import place_key
from ..sparql import negotiate
from .deps import LanguagesDep, SettingsDep, StoreDep

router = APIRouter(tags=["linked data"])
HTML = "text/html"
OFFERED = ("text/turtle", HTML, "application/ld+json", "application/n-triples", "application/rdf+xml")
FORMAT_NAMES = {"ttl": "text/turtle", "html": HTML, "jsonld": "application/ld+json", "nt": "application/n-triples",
                "rdf": "application/rdf+xml"}
_KIND = re.compile(r"^[a-z][a-z0-9-]{0,40}$")
FormatParam = Annotated[str | None, Query(description="Override `Accept`: " + ", ".join(FORMAT_NAMES))]


def _choose(request: Request, fmt: str | None, offered: tuple[str, ...]) -> str:
    if fmt is not None:
        if FORMAT_NAMES.get(fmt) not in offered:
            names = ", ".join(n for n, t in FORMAT_NAMES.items() if t in offered)
            raise NotAcceptable(f"format must be one of {names}")
        return FORMAT_NAMES[fmt]
    chosen = negotiate(request.headers.get("accept"), offered)
    if chosen is None:
        raise NotAcceptable("This resource is available as " + ", ".join(offered))
    return chosen


def _link_header(url: str, offered: tuple[str, ...]) -> str:
    names = {t: n for n, t in FORMAT_NAMES.items()}
    return ", ".join(f'<{url}?format={names[t]}>; rel="alternate"; type="{t}"' for t in offered)


@router.get("/id/{kind}/{key:path}", summary="A platform resource (HTML, Turtle, JSON-LD, N-Triples, RDF/XML)",
            response_class=Response,
            responses={200: {"description": "The resource", "content": {t: {} for t in OFFERED}}})
def resource(kind: str, key: str, request: Request, store: StoreDep, settings: SettingsDep,
             languages: LanguagesDep, format: FormatParam = None) -> Response:  # noqa: A002 - the public name
    if not _KIND.match(kind) or not key:
        raise NotFound(f"No resource /id/{kind}/{key}")
    media_type = _choose(request, format, OFFERED)
    iri = f"{settings.base_iri}id/{kind}/{key}"
    ntriples = describe(store, iri, kind)
    url = str(request.url.replace(query=""))
    headers = {"Vary": "Accept", "Link": _link_header(url, OFFERED)}
    if media_type == HTML and kind == "place":
        # a place's HTML view is its visitor page: one stable URL to share (httprange-14: 303, not 200)
        page_url = request.url_for("place_page", key=place_key(settings.base_iri, iri))
        return RedirectResponse(str(page_url), status_code=303, headers=headers)
    if media_type == HTML:
        names = {t: n for n, t in FORMAT_NAMES.items()}
        alternates = [(t, names[t]) for t in OFFERED if t != HTML]
        return HTMLResponse(page(ntriples, iri, settings.base_iri, languages, alternates), headers=headers)
    return Response(serialize(ntriples, media_type), media_type=media_type, headers=headers)


@router.get("/.well-known/void", summary="VoID description of the whole dataset, with per-dataset statistics",
            response_class=Response,
            responses={200: {"description": "VoID", "content": {t: {} for t in RDF_TYPES}}})
def void(request: Request, store: StoreDep, settings: SettingsDep, format: FormatParam = None) -> Response:  # noqa: A002
    offered = tuple(RDF_TYPES)
    media_type = _choose(request, format, offered)
    graph = void_description(store, settings.base_iri)
    body = graph.serialize(format="nt", encoding="utf-8")
    headers = {"Vary": "Accept", "Link": _link_header(str(request.url.replace(query="")), offered)}
    return Response(serialize(body, media_type), media_type=media_type, headers=headers)
