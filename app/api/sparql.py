"""/sparql: the SPARQL 1.1 Protocol (query operation), its service description and the query page."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from .. import graphstore
from ..accounts import User
from ..errors import BadRequest, PayloadTooLarge, UnsupportedMediaType
from ..sparql import (
    GRAPH_MEDIA_TYPES,
    RESULT_MEDIA_TYPES,
    QueryRequest,
    SparqlEndpoint,
    negotiate,
    refuse_update,
    serialize_graph,
    service_description,
)
from ..web import sparql_page
from .deps import OptionalUser

router = APIRouter(tags=["sparql"])
FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
_CONTENT = {200: {"description": "Query results, the service description, or the query page",
                  "content": {t: {} for t in (*RESULT_MEDIA_TYPES, *GRAPH_MEDIA_TYPES, "text/html")}}}
_DOC = """SPARQL 1.1 Protocol query operation over the public graphs. `query` by GET, form POST or
`application/sparql-query` POST; `default-graph-uri` / `named-graph-uri`; result format by `Accept`.
Without a query: the service description (RDF), or the query page for browsers."""


def _single(values: list[str], name: str) -> str | None:
    if len(values) > 1:
        raise BadRequest(f"Exactly one `{name}` parameter is allowed; got {len(values)}.")
    return values[0] if values else None


async def _body(request: Request) -> bytes:
    limit = request.app.state.settings.max_body_bytes
    body = await request.body()
    if len(body) > limit:
        raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
    return body


def _utf8(data: bytes, charset: str | None) -> str:
    if charset and charset.lower() not in ("utf-8", "utf8"):
        raise BadRequest(f"The body must be UTF-8 (charset={charset} given).", title="Unsupported Encoding")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("The body is not valid UTF-8.", title="Unsupported Encoding") from exc


def _media_type(request: Request) -> tuple[str, str | None]:
    media, *params = (p.strip() for p in request.headers.get("content-type", "").split(";"))
    charset = next((p.split("=", 1)[1].strip('"') for p in params if p.lower().startswith("charset=")), None)
    return media.lower(), charset


async def _run(request: Request, query: str, default: list[str], named: list[str]) -> Response:
    endpoint: SparqlEndpoint = request.app.state.sparql
    media_type, body = await run_in_threadpool(
        endpoint.run, request.app.state.store,
        QueryRequest(query, default, named, request.headers.get("accept"), str(request.url_for("sparql_get"))))
    return Response(body, media_type=media_type, headers={"Vary": "Accept"})


async def _update(request: Request, user: User | None, text: str | None) -> Response:
    if user is None:
        refuse_update()
    await run_in_threadpool(graphstore.run_update, request.app.state.store, user, text or "")
    return Response(status_code=204)


async def _describe_service(request: Request) -> Response:
    accept = request.headers.get("accept")
    if "text/html" in (accept or "") and negotiate(accept, ("text/html", *GRAPH_MEDIA_TYPES)) == "text/html":
        return HTMLResponse(sparql_page(request.app.state.settings.base_iri), headers={"Vary": "Accept"})
    media_type = negotiate(accept, GRAPH_MEDIA_TYPES) or "text/turtle"
    settings = request.app.state.settings
    graph = await run_in_threadpool(service_description, request.app.state.store, str(request.url_for("sparql_get")),
                                    bool(settings.service_allowlist))
    return Response(serialize_graph(graph, media_type), media_type=media_type, headers={"Vary": "Accept"})


@router.get("/sparql", name="sparql_get", summary="SPARQL query (GET), service description, or query page",
            description=_DOC, response_class=Response, responses=_CONTENT)
async def sparql_get(request: Request) -> Response:
    params = request.query_params
    if "update" in params:
        raise BadRequest("An update cannot be sent with GET (SPARQL 1.1 Protocol 2.2).")
    query = _single(params.getlist("query"), "query")
    if query is None:
        return await _describe_service(request)
    return await _run(request, query, params.getlist("default-graph-uri"), params.getlist("named-graph-uri"))


@router.post("/sparql", summary="SPARQL query (POST, form-encoded or application/sparql-query)", description=_DOC,
             response_class=Response, responses=_CONTENT)
async def sparql_post(request: Request, user: OptionalUser) -> Response:
    """With a curator's bearer token, SPARQL Update is accepted too, scoped to their institution's graphs."""
    media, charset = _media_type(request)
    params = request.query_params
    default, named = params.getlist("default-graph-uri"), params.getlist("named-graph-uri")
    if media == FORM:
        text = _utf8(await _body(request), charset)
        try:
            fields = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
        except UnicodeDecodeError as exc:
            raise BadRequest("The form is not valid UTF-8.", title="Unsupported Encoding") from exc
        queries = [v for k, v in fields if k == "query"]
        updates = [v for k, v in fields if k == "update"]
        if queries and updates:
            raise BadRequest("Send either `query` or `update`, not both.")
        if updates:
            return await _update(request, user, _single(updates, "update"))
        query = _single(queries, "query")
        if query is None:
            raise BadRequest("The form has no `query` field.")
        default += [v for k, v in fields if k == "default-graph-uri"]
        named += [v for k, v in fields if k == "named-graph-uri"]
        return await _run(request, query, default, named)
    if media == SPARQL_QUERY:
        return await _run(request, _utf8(await _body(request), charset), default, named)
    if media == SPARQL_UPDATE:
        return await _update(request, user, _utf8(await _body(request), charset))
    raise UnsupportedMediaType(f"POST to /sparql takes {FORM} or {SPARQL_QUERY}"
                               + (f", not {media}" if media else "; no Content-Type was given") + ".")
