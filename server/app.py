"""The app factory: `create_app(settings)` builds engine, catalogue, templates and routers.

Nothing is built at import time, so tests create as many apps as they like, each on its own database.
"""

from __future__ import annotations

import csv
import gc
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlmodel import Session
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import Scope

from server import apidoc, ratelimit
from server.catalog import load_catalog
from server.db import make_engine, migrate
from server.errors import HANDLERS
from server.limits import BodyLimit
from server.render import STATIC, make_templates
from server.routes import cases as case_routes
from server.routes import console, console_api, docs, drafts, health, home, questionnaires, responses, versions
from server.routes import evaluations as evaluation_routes
from server.routes import exports as export_routes
from server.routes import field_api as field_routes
from server.routes import field_app as field_shell
from server.routes import results as results_routes
from server.routes import reviews as review_routes
from server.routes import waves as wave_routes
from server.security import SecurityHeaders
from server.settings import Settings
from server.startup_errors import StartErr
from server.store import drafts as drafts_store
from server.store import units
from server.units_import import import_files
from surveys.problem import Problem


class CachedStatic(StaticFiles):
    """Static files with a one-year cache: URLs carry a content fingerprint (see render.static_url)."""

    async def get_response(self, path: str, scope: Scope):  # type: ignore[no-untyped-def]
        response = await super().get_response(path, scope)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def _load_units(session: Session, settings: Settings) -> None:
    """The unit tree and population from the configured files (the bundled county by default), imported
    at the first start (when the file's first unit is not yet known); later changes go through
    `cunsheng units import`, which reports what it changed."""
    for path in (settings.units_csv, settings.population_csv):
        if not path.is_file():
            raise Problem(StartErr.UNITS_MISSING, path=path)
    with settings.units_csv.open(encoding="utf-8-sig", newline="") as fh:
        first = next(csv.DictReader(fh), None)
    if first is not None and units.get_unit(session, (first.get("code") or "").strip()) is None:
        import_files(session, settings.units_csv, settings.population_csv)


def prepare_database(settings: Settings):  # type: ignore[no-untyped-def]
    """Migrate the schema, load villages and publish the questionnaires; returns (engine, catalog)."""
    engine = make_engine(settings.database_url, pool_size=settings.threads)
    try:
        migrate(engine)
        with Session(engine) as session:
            _load_units(session, settings)
            catalog = load_catalog(session, settings.definitions_dir)
            drafts_store.purge_expired(session, settings.draft_days)  # retention: expired drafts are deleted
    except BaseException:
        engine.dispose()
        raise
    return engine, catalog


@asynccontextmanager
async def _threads(app: FastAPI) -> AsyncIterator[None]:
    """As many handler threads as pooled connections: no thread waits for one, none is opened per request."""
    anyio.to_thread.current_default_thread_limiter().total_tokens = app.state.settings.threads
    yield


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build a ready application for `settings` (defaults: embedded SQLite, bundled questionnaires)."""
    settings = settings or Settings()
    secret = settings.resolved_secret()  # before connecting: a missing shared secret fails fast
    rate_limits = ratelimit.parse(settings.rate_limits)
    engine, catalog = prepare_database(settings)
    app = FastAPI(title="村声 cunsheng", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json",
                  exception_handlers=HANDLERS, lifespan=_threads)
    app.state.settings = settings
    app.state.engine = engine
    app.state.catalog = catalog
    app.state.templates = make_templates()
    app.state.rate_limits = rate_limits
    app.state.villages = units.KnownVillages()
    app.state.secret = secret
    app.state.clock = time.time  # sign-in lockouts and session idling read this (tests replace it)
    app.state.purged_at = time.time()  # prepare_database just swept expired drafts
    app.add_middleware(GZipMiddleware, minimum_size=500)
    app.add_middleware(BodyLimit, limit=settings.max_body_kb * 1024)
    app.add_middleware(SecurityHeaders)
    app.router.redirect_slashes = False  # its redirects are built from the Host header
    app.mount("/static", CachedStatic(directory=STATIC), name="static")
    for router in (home.router, drafts.router, versions.router, responses.router, console_api.router, docs.router,
                   health.router, console.router, questionnaires.router, results_routes.router):
        app.include_router(router)
    app.include_router(export_routes.router)
    for router in (wave_routes.router, case_routes.router, review_routes.router, field_routes.router,
                   evaluation_routes.router, field_shell.router):
        app.include_router(router)
    apidoc.with_published_names(app)
    return app


def serve_app(settings: Settings | None = None) -> FastAPI:
    """The app of a `cunsheng serve` process: `create_app`, then the garbage collector tuned for serving.

    The start-up heap (the libraries, compiled questionnaires, templates: over 100,000 objects) is
    frozen out of the collector's sight, and the youngest generation collected less often. Left as
    is, a post's short-lived objects trigger a collection every few requests and a full collection of
    that heap every few thousand, each stalling every request of the process (measured by
    bench/ingest.py: most of the p99 at 50 clients). Not done by `create_app`: tests build many apps
    in one process.
    """
    app = create_app(settings)
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNGEST, *gc.get_threshold()[1:])
    return app


GC_YOUNGEST = 20_000  # allocations between collections of the youngest generation (CPython's default: 700)
