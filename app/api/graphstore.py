"""/rdf-graph-store: SPARQL 1.1 Graph Store HTTP Protocol (indirect `?graph=` / `?default`, and direct)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from .. import graphstore
from ..errors import BadRequest, Forbidden, NotAcceptable
from ..sparql import GRAPH_MEDIA_TYPES, negotiate
from ..terms import iri
from .deps import CurrentUser, StoreDep

router = APIRouter(prefix="/rdf-graph-store", tags=["graph store"])
PATHS = ("", "/{path:path}")
_READ = {200: {"description": "The graph", "content": {t: {} for t in GRAPH_MEDIA_TYPES}}}
_WRITE = {201: {"description": "Created"}, 204: {"description": "Changed"}}


def _target(request: Request, path: str | None) -> str | None:
    """The graph a request names: the request URL itself (direct), `?graph=`, or None for `?default`."""
    params = request.query_params
    if path and request.url.path.rstrip("/") != "/rdf-graph-store":
        if "graph" in params or "default" in params:
            raise BadRequest("A direct graph URL takes neither ?graph= nor ?default")
        return str(request.url.replace(query=""))
    graphs = params.getlist("graph")
    if ("default" in params) == bool(graphs) or len(graphs) > 1:
        raise BadRequest("Name exactly one graph: ?graph=IRI or ?default")
    return str(iri(graphs[0])) if graphs else None


async def _payload(request: Request, graph: str) -> bytes:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "multipart/form-data":
        form = await request.form()
        parts = []
        for value in form.values():
            if hasattr(value, "read"):
                part_type = (value.content_type or "text/turtle").split(";")[0]
                parts.append(graphstore.parse(await value.read(), part_type, graph))
        return b"".join(parts)
    return graphstore.parse(await request.body(), media, graph)


def _get(request: Request, store, path: str | None, head: bool) -> Response:
    graph = _target(request, path)
    media_type = negotiate(request.headers.get("accept"), GRAPH_MEDIA_TYPES)
    if media_type is None:
        raise NotAcceptable("Graphs are sent as " + ", ".join(GRAPH_MEDIA_TYPES))
    if graph is not None:
        graphstore.check_readable(store, graph)
    body = graphstore.read(store, graph, media_type)
    headers = {"Vary": "Accept", "Content-Length": str(len(body))}
    return Response(b"" if head else body, media_type=media_type, headers=headers)


for route in PATHS:
    @router.get(route, summary="Read a graph", response_class=Response, responses=_READ)
    def get_graph(request: Request, store: StoreDep, path: str | None = None) -> Response:
        return _get(request, store, path, head=False)

    @router.head(route, summary="Whether a graph exists, and its media type", include_in_schema=False,
                 response_class=Response)
    def head_graph(request: Request, store: StoreDep, path: str | None = None) -> Response:
        return _get(request, store, path, head=True)

    @router.put(route, summary="Replace a graph (curators: their institution's graphs)", response_class=Response,
                responses=_WRITE, status_code=204)
    async def put_graph(request: Request, store: StoreDep, user: CurrentUser, path: str | None = None) -> Response:
        graph = _target(request, path)
        await run_in_threadpool(graphstore.check_writable, store, user, graph)
        payload = await _payload(request, graph)
        existed = await run_in_threadpool(graphstore.exists, store, graph)
        await run_in_threadpool(graphstore.replace, store, graph, payload)
        return Response(status_code=204 if existed else 201)

    @router.post(route, summary="Add to a graph; to the store itself: create a new graph (admins)",
                 response_class=Response, responses=_WRITE, status_code=204)
    async def post_graph(request: Request, store: StoreDep, user: CurrentUser, path: str | None = None) -> Response:
        params = request.query_params
        if request.url.path.rstrip("/") == "/rdf-graph-store" and "graph" not in params and "default" not in params:
            if not user.is_admin:
                raise Forbidden("Only admins create graphs here; curators add datasets through their institution")
            graph = str(request.url.replace(query="")).rstrip("/") + "/" + uuid.uuid4().hex
            payload = await _payload(request, graph)
            await run_in_threadpool(graphstore.add, store, graph, payload)
            return Response(status_code=201, headers={"Location": graph})
        graph = _target(request, path)
        await run_in_threadpool(graphstore.check_writable, store, user, graph)
        payload = await _payload(request, graph)
        existed = await run_in_threadpool(graphstore.exists, store, graph)
        await run_in_threadpool(graphstore.add, store, graph, payload)
        return Response(status_code=204 if existed else 201)

    @router.delete(route, summary="Delete a graph (curators: their institution's graphs)", response_class=Response,
                   responses={204: {"description": "Deleted"}}, status_code=204)
    def delete_graph(request: Request, store: StoreDep, user: CurrentUser, path: str | None = None) -> Response:
        graph = _target(request, path)
        graphstore.check_writable(store, user, graph)
        graphstore.check_readable(store, graph)
        graphstore.delete(store, graph)
        return Response(status_code=204)
