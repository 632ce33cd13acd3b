"""Operations: /metrics for Prometheus, /admin/dump for backups while the server runs."""

from __future__ import annotations

import os
import tempfile

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, PlainTextResponse
from starlette.background import BackgroundTask

from ..backup import dump
from ..errors import Forbidden
from .deps import CurrentUser, StoreDep

router = APIRouter(tags=["operations"])


@router.get("/metrics", response_class=PlainTextResponse, summary="Prometheus metrics of this worker")
def metrics(request: Request) -> PlainTextResponse:
    state = request.app.state
    gauges = {  # this worker's memory, without a store call
        "pvb_places_indexed": ("Places in the spatial index.", len(state.place_index.snapshot)),
        "pvb_place_descriptions_cached": ("Places whose descriptions are in memory.",
                                          len(state.place_index.snapshot.described)),
        "pvb_contexts_cached": ("Place contexts in the view cache.", len(state.caches.contexts)),
        "pvb_annotation_counts_cached": ("Places whose annotation counts are cached.", len(state.caches.counts)),
        "pvb_place_summaries_cached": ("Nearby summaries (place and languages) in the view cache.",
                                       len(state.caches.summaries)),
    }
    return PlainTextResponse(state.metrics.render(gauges), media_type="text/plain; version=0.0.4")


@router.get("/admin/dump", summary="The whole store as gzip N-Quads (admins only)",
            responses={200: {"content": {"application/gzip": {}}}})
def admin_dump(user: CurrentUser, store: StoreDep) -> FileResponse:
    if not user.is_admin:
        raise Forbidden("Only an admin may dump the store")
    handle, path = tempfile.mkstemp(suffix=".nq.gz")
    with os.fdopen(handle, "wb") as out:
        dump(store, out)
    return FileResponse(path, media_type="application/gzip", filename="pvb-dump.nq.gz",
                        background=BackgroundTask(os.unlink, path))
