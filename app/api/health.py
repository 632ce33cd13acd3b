"""/health: is the store reachable, and how much does it hold."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from ..models import Health
from .deps import IndexDep, SettingsDep, StoreDep

router = APIRouter(tags=["operations"])


@router.get("/health", response_model=Health)
async def get_health(store: StoreDep, index: IndexDep, settings: SettingsDep) -> dict:
    await run_in_threadpool(store.ping)
    triples = await run_in_threadpool(store.quad_count)
    places = len(await run_in_threadpool(index.current))
    return {"status": "ok", "store": "remote" if settings.store_is_remote else "embedded",
            "triples": triples, "places": places}
