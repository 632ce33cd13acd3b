"""/datasets: curators upload, validate, version and link their institution's data."""

from __future__ import annotations

import tempfile
from typing import IO, Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from .. import datasets as ds
from ..errors import BadRequest, NotAcceptable, PayloadTooLarge, UnsupportedMediaType
from ..linking import decide, list_suggestions
from ..uploads import media_type, read_mapping
from ..validation import Report
from .deps import CurrentUser, IndexDep, SettingsDep, StoreDep

router = APIRouter(prefix="/datasets", tags=["datasets"])
TURTLE = "text/turtle"
RDF_OUT = {"text/turtle": "turtle", "application/n-triples": "nt", "application/ld+json": "json-ld",
           "application/rdf+xml": "xml", "application/trig": "trig", "application/n-quads": "nquads"}


class Decision(BaseModel):
    relation: Literal["same", "related"] = "same"


def _wants_turtle(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return TURTLE in accept and "application/json" not in accept.split(TURTLE)[0]


def report_response(request: Request, report: Report, status: int) -> Response:
    if _wants_turtle(request):
        return Response(report.as_graph().serialize(format="turtle"), status_code=status, media_type=TURTLE)
    from fastapi.responses import JSONResponse

    return JSONResponse(report.as_json(), status_code=status)


async def _spool(request: Request, limit: int) -> IO[bytes]:
    """The raw body in a temporary file (memory up to 8 MB, then disk), refusing more than `limit`."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The upload is larger than {limit} bytes")
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - returned to the caller
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            spool.close()
            raise PayloadTooLarge(f"The upload is larger than {limit} bytes")
        spool.write(chunk)
    if size == 0:
        spool.close()
        raise BadRequest("The upload is empty")
    spool.seek(0)
    return spool


async def _read_upload(request: Request, limit: int, params: dict[str, Any]) -> tuple[IO[bytes], str, dict]:
    """(file, media type, metadata) from a raw body with query parameters, or from multipart form data."""
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit + 1_000_000:
            raise PayloadTooLarge(f"The upload is larger than {limit} bytes")
        form = await request.form(max_files=2, max_fields=20)
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise BadRequest("Send the data as the multipart field 'file'")
        if (upload.size or 0) > limit:
            raise PayloadTooLarge(f"The upload is larger than {limit} bytes")
        if not upload.size:
            raise BadRequest("The upload is empty")
        fields = {k: form.get(k) for k in ("title", "description", "license", "id", "institution", "mapping")}
        mapping = form.get("mapping")
        if isinstance(mapping, UploadFile):
            fields["mapping"] = (await mapping.read()).decode("utf-8", "replace")
        merged = {**params, **{k: v for k, v in fields.items() if isinstance(v, str) and v != ""}}
        return upload.file, media_type(upload.content_type, upload.filename), merged
    if not content_type:
        raise UnsupportedMediaType("Name the format with Content-Type (text/turtle, text/csv, …)")
    media = media_type(content_type)
    return await _spool(request, limit), media, params


Title = Annotated[str | None, Query(max_length=300)]
License = Annotated[str | None, Query(max_length=2000, description="License IRI, e.g. CC0 1.0")]
Description = Annotated[str | None, Query(max_length=10_000)]
Mapping = Annotated[str | None, Query(max_length=100_000, description="CSV mapping document (JSON)")]


@router.post("", status_code=201, summary="Upload a dataset (raw body + query parameters, or multipart)")
async def upload(request: Request, user: CurrentUser, store: StoreDep, index: IndexDep, settings: SettingsDep,
                 title: Title = None, license: License = None, description: Description = None,
                 id: Annotated[str | None, Query(max_length=64)] = None,
                 institution: Annotated[str | None, Query(max_length=2000)] = None, mapping: Mapping = None,
                 dry_run: bool = False) -> Response:
    params = {"title": title, "license": license, "description": description, "id": id,
              "institution": institution, "mapping": mapping}
    stream, media, meta = await _read_upload(request, settings.max_upload_bytes, params)
    try:
        key = meta.get("id") or ds.key_for(meta.get("title") or "")
        record, report = await _save(
            request, store, index, settings.base_iri, user, key,
            ds.Metadata(meta.get("title") or "", meta.get("license") or "", meta.get("description")),
            stream, media, mapping=read_mapping(meta.get("mapping")), institution=meta.get("institution"),
            dry_run=dry_run)
    finally:
        stream.close()
    return _saved(request, record, report)


async def _save(request: Request, *args: Any, **kwargs: Any) -> tuple[dict | None, Report]:
    """Run the blocking save in the thread pool; a failed validation can be asked for as Turtle."""
    try:
        return await run_in_threadpool(ds.save, *args, **kwargs)
    except ds.ValidationFailed as exc:
        if _wants_turtle(request):
            return None, exc.report
        raise


def _saved(request: Request, record: dict | None, report: Report) -> Response:
    if record is None:  # a dry run, or a syntax error
        return report_response(request, report, 200 if report.accepted else 422)
    from fastapi.responses import JSONResponse

    body = {**record, "report": report.as_json(limit=100)}
    return JSONResponse(body, status_code=201 if record["version"] == 1 and request.method == "POST" else 200,
                        headers={"Location": f"/datasets/{record['id']}"})


@router.put("/{key}", summary="Upload a new version (the previous one is kept for rollback)")
async def replace(key: str, request: Request, user: CurrentUser, store: StoreDep, index: IndexDep,
                  settings: SettingsDep, title: Title = None, license: License = None,
                  description: Description = None, mapping: Mapping = None, dry_run: bool = False) -> Response:
    params = {"title": title, "license": license, "description": description, "mapping": mapping}
    stream, media, meta = await _read_upload(request, settings.max_upload_bytes, params)
    try:
        record, report = await _save(
            request, store, index, settings.base_iri, user, key,
            ds.Metadata(meta.get("title") or "", meta.get("license") or "", meta.get("description")),
            stream, media, mapping=read_mapping(meta.get("mapping")), replace=True, dry_run=dry_run)
    finally:
        stream.close()
    return _saved(request, record, report)


@router.get("", summary="Every dataset in the catalogue")
def list_datasets(store: StoreDep) -> dict:
    items = ds.records(store)
    return {"items": items, "total": len(items)}


@router.get("/{key}", summary="One dataset's catalogue record")
def read_dataset(key: str, store: StoreDep, settings: SettingsDep) -> dict:
    return ds.get_record(store, ds.dataset_iri(settings.base_iri, key))


@router.get("/{key}/data", summary="The dataset's data (Turtle, N-Triples, JSON-LD, RDF/XML)",
            responses={200: {"content": {m: {} for m in RDF_OUT}}})
def read_data(key: str, request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    accept = request.headers.get("accept", TURTLE)
    media = next((m for m in RDF_OUT if m in accept), TURTLE if ("*/*" in accept or not accept) else None)
    if media is None:
        raise NotAcceptable(f"Ask for one of: {', '.join(RDF_OUT)}")
    graph = ds.export(store, ds.dataset_iri(settings.base_iri, key))
    fmt = RDF_OUT[media]
    if fmt in ("trig", "nquads"):
        fmt, media = "nt", "application/n-triples"
    return Response(graph.serialize(format=fmt), media_type=media)


@router.post("/{key}/rollback", summary="Restore the previous version")
def rollback(key: str, user: CurrentUser, store: StoreDep, index: IndexDep, settings: SettingsDep) -> dict:
    return ds.rollback(store, index, settings.base_iri, user, key)


@router.delete("/{key}", status_code=204, summary="Remove a dataset (its places vanish at once)")
def delete(key: str, user: CurrentUser, store: StoreDep, index: IndexDep, settings: SettingsDep) -> Response:
    ds.delete(store, settings.base_iri, user, key)
    index.current()  # see datasets.save
    return Response(status_code=204)


@router.get("/{key}/link-suggestions", summary="Places of this dataset that are probably places of others")
def suggestions(key: str, store: StoreDep, settings: SettingsDep,
                status: Literal["open", "accepted", "rejected"] | None = None) -> dict:
    dataset = ds.dataset_iri(settings.base_iri, key)
    ds.get_record(store, dataset)
    items = list_suggestions(store, dataset, status)
    return {"items": items, "total": len(items)}


def _decide(key: str, suggestion: str, user, store, settings, accept: bool, relation: str) -> dict:
    dataset = ds.dataset_iri(settings.base_iri, key)
    record = ds.get_record(store, dataset)
    ds.may_change(user, record["publisher"]["id"] if record["publisher"] else None)
    return decide(store, dataset, suggestion, user.agent, accept, relation)


@router.post("/{key}/link-suggestions/{suggestion}/accept", summary="Link the two records (owl:sameAs)")
def accept(key: str, suggestion: str, user: CurrentUser, store: StoreDep, settings: SettingsDep,
           body: Decision | None = None) -> dict:
    return _decide(key, suggestion, user, store, settings, True, (body or Decision()).relation)


@router.post("/{key}/link-suggestions/{suggestion}/reject", summary="Not the same place")
def reject(key: str, suggestion: str, user: CurrentUser, store: StoreDep, settings: SettingsDep) -> dict:
    return _decide(key, suggestion, user, store, settings, False, "same")
