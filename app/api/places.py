"""/places: what is near me, and the context of one place."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import unquote

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import Field, TypeAdapter

from ..errors import Unprocessable
from ..lang import preferences
from ..models import NearbyPage, PlaceContext, SearchResult
from ..places import NearbyRequest, context_view, nearby, place_graph
from .deps import (
    LANG_DESCRIPTION,
    IndexDep,
    LanguagesDep,
    NameIndexDep,
    QueryModel,
    SettingsDep,
    StoreDep,
    answer,
    ready,
)

router = APIRouter(prefix="/places", tags=["places"])
JSON_LD = "application/ld+json"
PLACE_CONTEXT = TypeAdapter(PlaceContext)
NEARBY_PAGE = TypeAdapter(NearbyPage)  # validated and serialised in one go, as the response model would


class NearbyQuery(QueryModel):
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False, description="WGS84 latitude")
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False, description="WGS84 longitude")
    radius: float | None = Field(None, gt=0, allow_inf_nan=False, description="Metres (default 1000)")
    limit: int = Field(20, ge=1, le=100)
    offset: int = Field(0, ge=0, le=1_000_000)
    cursor: str | None = Field(None, max_length=2000, description="From `next_cursor`")
    type: str | None = Field(None, max_length=2000, description="Concept IRI or label; narrower included")
    tag: str | None = Field(None, max_length=2000, description="Tag concept IRI or label")
    lang: str | None = Field(None, max_length=100, description=LANG_DESCRIPTION)


@router.get("/nearby", response_model=NearbyPage, summary="Places of meaning near a point, nearest first",
            openapi_extra=NearbyQuery.openapi())
async def get_nearby(request: Request) -> Response:
    """The hottest route: no declared parameters or dependencies (see QueryModel, deps.ready)."""
    q = NearbyQuery.from_request(request)
    state = ready(request)
    settings = state.settings
    radius = settings.nearby_default_radius if q.radius is None else q.radius
    if radius > settings.nearby_max_radius:
        raise Unprocessable(f"radius must be at most {settings.nearby_max_radius:g} metres")
    languages = preferences(q.lang, request.headers.get("accept-language"))
    page = await answer(state.store, nearby, state.store, state.place_index,
                        NearbyRequest(lat=q.lat, lon=q.lon, radius=radius, limit=q.limit, offset=q.offset,
                                      cursor=q.cursor, prefs=tuple(languages), concept=q.type, tag=q.tag),
                        state.caches)
    return Response(NEARBY_PAGE.dump_json(NEARBY_PAGE.validate_python(page)), media_type="application/json")


@router.get("/search", response_model=list[SearchResult], summary="Towns and places whose name contains q")
def search(names: NameIndexDep, languages: LanguagesDep,
           q: Annotated[str, Query(min_length=2, max_length=100, description="Part of a town or place name")],
           limit: Annotated[int, Query(ge=1, le=50)] = 10) -> list[dict]:
    return names.search(q, languages, limit)


@router.get("/{key:path}", response_model=PlaceContext, summary="The full context of one place",
            responses={200: {"content": {JSON_LD: {}}}})
def get_place(key: str, request: Request, store: StoreDep, index: IndexDep, settings: SettingsDep,
              languages: LanguagesDep,
              comments_offset: Annotated[int, Query(ge=0, le=1_000_000, description="Comment threads to skip")] = 0,
              comments_limit: Annotated[int, Query(ge=1, le=100, description="Comment threads per page")] = 10,
              ) -> Response:
    """`key` is the local part of a platform IRI (`rm-7032`) or a whole percent-encoded IRI."""
    iri = unquote(key)
    if not iri.startswith(("http://", "https://", "urn:")):
        iri = settings.base_iri + "id/place/" + iri
    if JSON_LD in request.headers.get("accept", ""):
        body = place_graph(store, iri).serialize(format="json-ld", auto_compact=True)
        return Response(body, media_type=JSON_LD)
    view = context_view(store, index, iri, languages, settings=settings, comments_offset=comments_offset,
                        comments_limit=comments_limit, caches=request.app.state.caches)
    if view.body is None:  # validated and serialised once per cached view, as the response model would
        view.body = PLACE_CONTEXT.dump_json(PLACE_CONTEXT.validate_python(view.data))
    return Response(view.body, media_type="application/json")
