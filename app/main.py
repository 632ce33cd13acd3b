"""`create_app(settings)`: the FastAPI factory. The lifespan opens the store once."""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute

from .api import (
    admin,
    annotations,
    auth,
    datasets,
    docs,
    errors,
    feeds,
    graphstore,
    health,
    institutions,
    linkeddata,
    places,
    sparql,
    web,
)
from .cache import ViewCaches
from .loading import load_sample_data
from .models import PROBLEM_RESPONSES
from .observability import Metrics, RequestContext, configure_logging
from .places import warm_summaries
from .search import NameIndex
from .security import BodyLimit, IdentityBodiesOnly, SecurityHeaders
from .settings import Settings
from .sparql import SparqlEndpoint
from .spatial import PlaceIndex
from .startup import Startup
from .store import open_store
from .store.generation import ensure as ensure_generation
from .store.instrumented import InstrumentedStore
from .web import STATIC_DIR

log = logging.getLogger(__name__)

DESCRIPTION = """Places of meaning near you, and why they matter: Dutch national monuments linked to
thesaurus concepts, stories, collections and sources, as one RDF graph.

Every error is an RFC 9457 `application/problem+json` document."""
UPLOAD_PATHS = ("/datasets", "/rdf-graph-store")


ROUTERS = (places.router, auth.router, institutions.router, datasets.router, annotations.router, health.router,
           sparql.router, linkeddata.router, graphstore.router, feeds.router, web.router, admin.router, docs.router)


@cache
def _api_routes() -> tuple[BaseRoute, ...]:
    """The API's routes, built once per process and shared by every app it creates.

    `app.include_router` makes FastAPI build each route's handler, parameter and response models
    again for every app, on its first request (~0.3-0.5 s for these routers); a process that makes
    many apps (the tests make hundreds) paid it each time. The routes hold no per-app state: they
    reach the store and the settings through `request.app.state`. Included here exactly as the app
    included them (same responses, order and paths; no dependency overrides are used)."""
    api = APIRouter(responses=PROBLEM_RESPONSES)
    for router in ROUTERS:
        api.include_router(router)
    return tuple(api.routes)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    metrics = Metrics()
    if settings.log_format == "json":
        configure_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = InstrumentedStore(await run_in_threadpool(open_store, settings), metrics)
        app.state.store = store
        app.state.place_index = PlaceIndex(store)
        app.state.name_index = NameIndex(store, app.state.place_index)  # built at the first name search

        def prepare() -> None:
            if settings.load_sample_data:
                load_sample_data(store, settings.base_iri)
            ensure_generation(store)
            app.state.place_index.current()  # warm: the first visitor waits for nothing
            if settings.warm_places and warming.ident is None:
                warming.start()

        stop_warming = threading.Event()

        def warm() -> None:
            started = time.perf_counter()
            try:
                done = warm_summaries(store, app.state.place_index, settings.warm_places, stop_warming,
                                      caches=app.state.caches)
            except Exception as exc:  # noqa: BLE001 - an accelerator: requests read what it did not
                log.warning("warm-up of place summaries stopped: %s", exc)
                return
            log.info("summaries of %d places read in %.1f s", done, time.perf_counter() - started)
            # What was just read lives as long as the index snapshot: out of the collector's sight,
            # its full collections no longer walk ~100k places' objects (those were nearby's p99).
            gc.freeze()

        warming = threading.Thread(target=warm, name="pvb-warm", daemon=True)
        app.state.startup = Startup(prepare, retry=settings.store_is_remote)
        await app.state.startup.begin()
        try:
            yield
        finally:
            await app.state.startup.end()
            stop_warming.set()
            if warming.is_alive():
                await run_in_threadpool(warming.join)  # its batch finishes before the store closes
            store.close()

    app = FastAPI(title="Plaatsen van Betekenis", version="0.1.0", description=DESCRIPTION, lifespan=lifespan,
                  docs_url=None, redoc_url=None, responses=PROBLEM_RESPONSES)
    app.state.settings = settings
    app.state.sparql = SparqlEndpoint.from_settings(settings)
    app.state.metrics = metrics
    app.state.caches = ViewCaches()  # per worker; checked against the store on every request
    errors.install(app)
    app.router.routes.extend(_api_routes())
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # Innermost: responses leave compressed (level 6: most of the gain at a fraction of level 9's CPU),
    # ETags untouched (the annotation protocol's If-Match compares them strongly), streams flushed per chunk.
    app.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=6)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes, upload_limit=settings.max_upload_bytes,
                       large=UPLOAD_PATHS)
    app.add_middleware(IdentityBodiesOnly)
    app.add_middleware(RequestContext, metrics=metrics)
    # Outermost, so errors carry CORS headers too; as the Web Annotation Protocol needs, never with
    # credentials (tokens travel in a header).
    app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=False,
                       allow_methods=["GET", "HEAD", "OPTIONS", "POST", "PUT", "DELETE"],
                       allow_headers=["Content-Type", "Prefer", "If-Match", "If-None-Match", "Authorization",
                                      "Accept", "Accept-Language"],
                       expose_headers=["ETag", "Allow", "Vary", "Link", "Content-Type", "Location",
                                       "Content-Location", "Prefer", "Preference-Applied", "Accept-Post",
                                       "Retry-After"])
    return app
