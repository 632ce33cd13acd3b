"""Feeds for an institution's desk: Atom and ActivityStreams 2.0 of everything about its places.

Public on purpose: they hold only public annotations, and feed readers cannot send bearer tokens.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ..accounts import get_institution, institution_iri
from ..feeds import activity_stream, atom, institution_contributions
from .deps import SettingsDep, StoreDep

router = APIRouter(prefix="/institutions", tags=["feeds"])
AS2 = 'application/activity+json'


@router.get("/{key}/feed.atom", summary="Atom feed of contributions about the institution's places",
            response_class=Response, responses={200: {"content": {"application/atom+xml": {}}}})
def institution_atom(key: str, request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    institution = get_institution(store, institution_iri(settings.base_iri, key))
    entries = institution_contributions(store, institution["id"])
    body = atom(str(request.url), f"{institution['name']}: contributions", str(request.url),
                str(request.url_for("desk_page")), entries)
    return Response(body, media_type="application/atom+xml")


@router.get("/{key}/feed.json", summary="ActivityStreams 2.0 feed of contributions about the institution's places",
            response_class=JSONResponse, responses={200: {"content": {AS2: {}}}})
def institution_activities(key: str, request: Request, store: StoreDep, settings: SettingsDep) -> JSONResponse:
    institution = get_institution(store, institution_iri(settings.base_iri, key))
    entries = institution_contributions(store, institution["id"])
    return JSONResponse(activity_stream(str(request.url), f"{institution['name']}: contributions", entries),
                        media_type=AS2)
