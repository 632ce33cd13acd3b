"""`create_app(settings)`: the FastAPI factory. The lifespan opens the store once."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from .api import auth, errors, health, institutions, places, web
from .loading import load_sample_data
from .pages import STATIC_DIR
from .search import NameIndex
from .settings import Settings
from .spatial import PlaceIndex
from .store import open_store

log = logging.getLogger(__name__)

DESCRIPTION = """Places of meaning near you, and why they matter: Dutch national monuments linked to
thesaurus concepts, stories, collections and sources, as one RDF graph.

Every error is an RFC 9457 `application/problem+json` document."""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = await run_in_threadpool(open_store, settings)
        if settings.load_sample_data:
            await run_in_threadpool(load_sample_data, store, settings.base_iri)
        app.state.store = store
        app.state.place_index = PlaceIndex(store)
        app.state.name_index = NameIndex(store, app.state.place_index)  # built at the first name search
        await run_in_threadpool(app.state.place_index.current)  # warm: the first visitor waits for nothing
        try:
            yield
        finally:
            store.close()

    app = FastAPI(title="Plaatsen van Betekenis", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    errors.install(app)
    app.include_router(places.router)
    app.include_router(auth.router)
    app.include_router(institutions.router)
    app.include_router(health.router)
    app.include_router(web.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
