"""Browser pages: the visitor map (/), a place (/place/{key}), the institution desk (/desk).

Thin: choose the language, fetch the domain data, render an autoescaped template, add the CSP.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import unquote

from fastapi import APIRouter, Cookie, Header, Query, Request
from fastapi.responses import HTMLResponse, Response

from ..feeds import place_feed
from ..pages import (
    LANG_COOKIE,
    choose_language,
    content_security_policy,
    distance_text,
    language_links,
    place_key,
    place_metadata,
    plain,
    render,
)
from ..places import context
from .deps import IndexDep, SettingsDep, StoreDep

router = APIRouter(tags=["web pages"], include_in_schema=False)
LangQuery = Annotated[str | None, Query(max_length=10)]
LangCookie = Annotated[str | None, Cookie(alias=LANG_COOKIE, max_length=10)]
AcceptLanguage = Annotated[str | None, Header(max_length=500)]


def _page(request: Request, settings, template: str, lang: str, asked: str | None, **values) -> HTMLResponse:
    config = {"lang": lang, "base": settings.base_iri, "tile_url": settings.tile_url,
              "tile_attribution": settings.tile_attribution, **values.pop("config", {})}
    body = render(template, lang, config=config, language_links=language_links(request.url.path,
                                                                                dict(request.query_params)),
                  **values)
    response = HTMLResponse(body, headers={"Content-Security-Policy": content_security_policy(settings.tile_url),
                                           "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
                                           "Vary": "Accept-Language, Cookie"})
    if asked == lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response


@router.get("/", response_class=HTMLResponse)
def visitor_page(request: Request, settings: SettingsDep, lang: LangQuery = None, pvb_lang: LangCookie = None,
                 accept_language: AcceptLanguage = None,
                 lat: Annotated[float | None, Query(ge=-90, le=90, allow_inf_nan=False)] = None,
                 lon: Annotated[float | None, Query(ge=-180, le=180, allow_inf_nan=False)] = None,
                 radius: Annotated[int, Query(gt=0, le=50000)] = 1000) -> HTMLResponse:
    chosen = choose_language(lang, pvb_lang, accept_language)
    point = {"lat": lat, "lon": lon} if lat is not None and lon is not None else None
    return _page(request, settings, "index.html", chosen, lang, radius=radius,
                 config={"point": point, "radius": radius})


@router.get("/place/{key:path}/feed.atom")
def place_atom(key: str, request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    iri = _iri(settings, key)
    page = str(request.url_for("place_page", key=place_key(settings.base_iri, iri)))
    return Response(place_feed(store, iri, page, str(request.url)), media_type="application/atom+xml")


@router.get("/place/{key:path}", response_class=HTMLResponse, name="place_page")
def place_page(key: str, request: Request, store: StoreDep, index: IndexDep, settings: SettingsDep,
               lang: LangQuery = None, pvb_lang: LangCookie = None,
               accept_language: AcceptLanguage = None) -> HTMLResponse:
    chosen = choose_language(lang, pvb_lang, accept_language)
    iri = _iri(settings, key)
    place = context(store, index, iri, [chosen, "nl", "en"])
    local = place_key(settings.base_iri, iri)
    page_url = str(request.url_for("place_page", key=local))
    return _page(request, settings, "place.html", chosen, lang, p=place, page_url=page_url,
                 feed_url=f"/place/{local}/feed.atom", api_url=f"/places/{local}",
                 meta=place_metadata(place, page_url, chosen),
                 link=lambda other: "/place/" + place_key(settings.base_iri, other),
                 distance=distance_text, plain=plain, config={"place": iri})


@router.get("/desk", response_class=HTMLResponse, name="desk_page")
def desk_page(request: Request, settings: SettingsDep, lang: LangQuery = None, pvb_lang: LangCookie = None,
              accept_language: AcceptLanguage = None) -> HTMLResponse:
    """The page itself is a shell; its data comes from staff-only endpoints with the visitor's token."""
    chosen = choose_language(lang, pvb_lang, accept_language)
    return _page(request, settings, "desk.html", chosen, lang)


def _iri(settings, key: str) -> str:
    iri = unquote(key)
    return iri if iri.startswith(("http://", "https://", "urn:")) else settings.base_iri + "id/place/" + iri
