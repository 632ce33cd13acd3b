"""/annotations: the W3C Web Annotation Protocol, plus flags, hiding and the moderation queue."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from .. import annotations as anno
from .. import moderation
from ..errors import NotAcceptable, NotFound, PayloadTooLarge, UnsupportedMediaType
from ..settings import Settings
from .deps import CurrentUser, LanguagesDep, OptionalUser, SettingsDep, StoreDep

router = APIRouter(tags=["annotations"])
PROFILE = f'application/ld+json; profile="{anno.ANNO_CONTEXT}"'
# What the annotation routes answer with, for OpenAPI: JSON-LD in the anno profile, or Turtle.
LD_CONTENT = {"content": {PROFILE: {}, "application/ld+json": {}, "text/turtle": {}}}
LDP = "http://www.w3.org/ns/ldp#"
ANNOTATION_ALLOW = "GET, HEAD, OPTIONS, PUT, DELETE"
CONTAINER_ALLOW = "GET, HEAD, OPTIONS, POST"
_KEY = re.compile(r"^[0-9a-f]{32}$")


class Reason(BaseModel):
    reason: str | None = Field(default=None, max_length=500)


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _iri(settings: Settings, key: str) -> str:
    if not _KEY.match(key):
        raise NotFound(f"No annotation {key!r}")
    return anno.annotation_iri(settings, key)


async def _read_body(request: Request, limit: int) -> bytes:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("application/ld+json", "application/json"):
        raise UnsupportedMediaType(f"Send the annotation as {PROFILE}")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"An annotation may be at most {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"An annotation may be at most {limit} bytes")
    return bytes(body)


def _wants(request: Request) -> str:
    accept = request.headers.get("accept", "").lower()
    if not accept or any(t in accept for t in ("application/ld+json", "application/json", "*/*",
                                               "application/*")):
        return "jsonld"
    if "text/turtle" in accept:
        return "turtle"
    raise NotAcceptable(f"Annotations are served as {PROFILE} (or text/turtle)")


def _annotation_response(request: Request, doc: dict, revision: str, *, status: int = 200,
                         location: str | None = None, turtle: str | None = None) -> Response:
    headers = {"ETag": anno.etag_of(revision), "Allow": ANNOTATION_ALLOW, "Vary": "Accept",
               "Link": f'<{LDP}Resource>; rel="type", <{anno.OA}Annotation>; rel="type"'}
    if location:
        headers["Location"] = location
        headers["Content-Location"] = location
    body = turtle if turtle is not None else json.dumps(doc, ensure_ascii=False)
    if request.method == "HEAD":
        body = ""
    return Response(body, status_code=status, headers=headers,
                    media_type="text/turtle" if turtle is not None else PROFILE)


# The container ---------------------------------------------------------------------------------

def _prefer(request: Request) -> set[str]:
    match = re.search(r'include\s*=\s*"([^"]*)"', request.headers.get("prefer", ""))
    return set(match.group(1).split()) if match else set()


@router.get("/annotations/", summary="The annotation container", response_class=Response,
            responses={200: {"description": "The container or one of its pages", **LD_CONTENT}})
@router.head("/annotations/", include_in_schema=False)
@router.api_route("/annotations", methods=["GET", "HEAD"], include_in_schema=False)
def get_container(
    request: Request, store: StoreDep, settings: SettingsDep,
    page: Annotated[int | None, Query(ge=0, le=1_000_000, description="Page number (from 0)")] = None,
    iris: Annotated[int, Query(ge=0, le=1, description="1: items as IRIs only")] = 0,
    target: Annotated[str | None, Query(max_length=2048, description="Only annotations on this IRI")] = None,
    motivation: Annotated[str | None, Query(max_length=100, description="e.g. commenting")] = None,
    creator: Annotated[str | None, Query(max_length=2048, description="Creator (person) IRI")] = None,
) -> Response:
    if _wants(request) != "jsonld":
        raise NotAcceptable(f"The container is served as {PROFILE}")
    filters = {k: v for k, v in (("target", target), ("motivation", motivation), ("creator", creator)) if v}
    found = anno.listing(store, target=target, motivation=motivation, creator=creator)
    size = settings.annotation_page_size
    base = anno.container_iri(settings)
    container_id = base + ("?" + urlencode(filters) if filters else "")
    last = max(0, (len(found) - 1) // size)

    def page_url(number: int, as_iris: int) -> str:
        return base + "?" + urlencode({**filters, "iris": as_iris, "page": number})

    def page_doc(number: int, as_iris: int) -> dict[str, Any]:
        chunk = found[number * size:(number + 1) * size]
        items: list[Any] = list(chunk) if as_iris else [
            {k: v for k, v in d.items() if k != "@context"}
            for d in anno.read_many(store, settings, chunk).values()]
        doc: dict[str, Any] = {"id": page_url(number, as_iris), "type": "AnnotationPage",
                               "startIndex": number * size, "items": items}
        if number < last:
            doc["next"] = page_url(number + 1, as_iris)
        if number > 0:
            doc["prev"] = page_url(number - 1, as_iris)
        return doc

    headers = {"Allow": CONTAINER_ALLOW, "Vary": "Accept, Prefer", "Accept-Post": PROFILE,
               "Link": f'<{LDP}BasicContainer>; rel="type", '
                       '<http://www.w3.org/TR/annotation-protocol/>; rel="http://www.w3.org/ns/ldp#constrainedBy"'}
    if page is not None:
        if page > last or (not found and page > 0):
            raise NotFound(f"No page {page}: the last page is {last}")
        body: dict[str, Any] = {"@context": anno.ANNO_CONTEXT, **page_doc(page, iris),
                                "partOf": {"id": container_id, "total": len(found)}}
    else:
        include = _prefer(request)
        minimal = LDP + "PreferMinimalContainer" in include
        as_iris = 1 if LDP + "PreferContainedIRIs" in include and LDP + "PreferContainedDescriptions" not in include \
            else iris
        body = {"@context": [anno.ANNO_CONTEXT, "http://www.w3.org/ns/ldp.jsonld"], "id": container_id,
                "type": ["BasicContainer", "AnnotationCollection"], "label": "Plaatsen van Betekenis annotations",
                "total": len(found)}
        if found:
            body["first"] = page_url(0, as_iris) if minimal else page_doc(0, as_iris)
            body["last"] = page_url(last, as_iris)
        if request.headers.get("prefer"):
            headers["Preference-Applied"] = "return=representation"
    text = json.dumps(body, ensure_ascii=False)
    headers["ETag"] = '"' + hashlib.sha256(text.encode()).hexdigest()[:32] + '"'
    return Response("" if request.method == "HEAD" else text, headers=headers, media_type=PROFILE)


@router.post("/annotations/", status_code=201, summary="Create an annotation", response_class=Response,
             responses={201: {"description": "The stored annotation", **LD_CONTENT}},
             openapi_extra={"requestBody": {"required": True, "content": {PROFILE: {"schema": {"type": "object"}}}}})
@router.post("/annotations", status_code=201, include_in_schema=False)
async def post_annotation(request: Request, user: CurrentUser, store: StoreDep, settings: SettingsDep) -> Response:
    """Body: a Web Annotation in JSON-LD (`@context` http://www.w3.org/ns/anno.jsonld). The server sets
    `id`, `creator`, `created` and `generator`; staff add `"speaksFor": "<institution IRI>"`."""
    raw = await _read_body(request, settings.annotation_max_bytes)
    written = await run_in_threadpool(anno.create, store, settings, user, raw, _address(request))
    response = _annotation_response(request, written.document, written.revision, status=201, location=written.iri)
    if written.held:
        response.headers["PVB-Moderation"] = "held"
    return response


@router.options("/annotations/", include_in_schema=False)
@router.options("/annotations", include_in_schema=False)
def options_container() -> Response:
    return Response(status_code=204, headers={"Allow": CONTAINER_ALLOW, "Accept-Post": PROFILE})


# One annotation --------------------------------------------------------------------------------

@router.get("/annotations/{key}", summary="One annotation", response_class=Response,
            responses={200: {"description": "The annotation", **LD_CONTENT}})
@router.head("/annotations/{key}", include_in_schema=False)
def get_annotation(key: str, request: Request, store: StoreDep, settings: SettingsDep,
                   viewer: OptionalUser) -> Response:
    iri = _iri(settings, key)
    wants = _wants(request)
    found = anno.visible(store, iri, viewer)
    doc = anno.read(store, settings, iri, found.graph)
    turtle = anno.as_graph(doc, found, store).serialize(format="turtle") if wants == "turtle" else None
    response = _annotation_response(request, doc, found.revision, turtle=turtle)
    if not found.public:
        response.headers["PVB-Moderation"] = found.status or "hidden"
    return response


@router.put("/annotations/{key}", summary="Replace an annotation (If-Match required)", response_class=Response,
            responses={200: {"description": "The stored annotation", **LD_CONTENT}})
async def put_annotation(key: str, request: Request, user: CurrentUser, store: StoreDep,
                         settings: SettingsDep) -> Response:
    iri = _iri(settings, key)
    raw = await _read_body(request, settings.annotation_max_bytes)
    written = await run_in_threadpool(anno.replace, store, settings, user, iri, raw,
                                      request.headers.get("if-match"), _address(request))
    return _annotation_response(request, written.document, written.revision)


@router.delete("/annotations/{key}", status_code=204, summary="Delete your annotation")
def delete_annotation(key: str, request: Request, user: CurrentUser, store: StoreDep,
                      settings: SettingsDep) -> Response:
    anno.delete(store, user, _iri(settings, key), request.headers.get("if-match"))
    return Response(status_code=204)


@router.options("/annotations/{key}", include_in_schema=False)
def options_annotation(key: str) -> Response:
    return Response(status_code=204, headers={"Allow": ANNOTATION_ALLOW})


# Moderation ------------------------------------------------------------------------------------

@router.post("/annotations/{key}/flags", status_code=201, summary="Flag an annotation for moderators")
def flag_annotation(key: str, request: Request, user: CurrentUser, store: StoreDep, settings: SettingsDep,
                    body: Annotated[Reason | None, Body()] = None) -> dict:
    return moderation.flag(store, settings, user, _iri(settings, key), body.reason if body else None,
                           _address(request))


@router.post("/annotations/{key}/hide", status_code=204, summary="Hide an annotation (kept, auditable)")
def hide_annotation(key: str, user: CurrentUser, store: StoreDep, settings: SettingsDep,
                    body: Annotated[Reason | None, Body()] = None) -> Response:
    moderation.hide(store, settings, user, _iri(settings, key), body.reason if body else None)
    return Response(status_code=204)


@router.post("/annotations/{key}/restore", status_code=204, summary="Restore a hidden or held annotation")
def restore_annotation(key: str, user: CurrentUser, store: StoreDep, settings: SettingsDep,
                       body: Annotated[Reason | None, Body()] = None) -> Response:
    moderation.restore(store, settings, user, _iri(settings, key), body.reason if body else None)
    return Response(status_code=204)


@router.get("/moderation/queue", summary="Held, hidden and flagged annotations (moderators)")
def moderation_queue(user: CurrentUser, store: StoreDep, settings: SettingsDep) -> list[dict]:
    return moderation.queue(store, settings, user)


@router.get("/me/bookmarks", summary="The places you bookmarked")
def my_bookmarks(user: CurrentUser, store: StoreDep, settings: SettingsDep, languages: LanguagesDep) -> list[dict]:
    return anno.bookmarks(store, settings, user, languages)
