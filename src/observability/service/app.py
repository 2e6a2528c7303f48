"""`create_app(settings, deps)`: the collector's FastAPI app, wired from injected parts.

The lifespan replays the journal before the first request is served, runs the flush
task, and flushes everything on shutdown.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from observability.core.settings import Settings

if TYPE_CHECKING:
    from observability.analyze.scheduler import DriftScheduler
from observability.service.collector import BufferPolicy, Collector, Flusher
from observability.service.deps import AppState, ServiceDeps
from observability.service.errors import install_error_handler
from observability.service.routes import health, ingest, search


def create_app(settings: Settings, deps: ServiceDeps) -> FastAPI:
    """The app; nothing touches disk until its lifespan starts."""
    policy = BufferPolicy(settings.buffer_max_bytes, settings.buffer_max_seconds)
    collector = Collector(
        settings.journal_dir,
        deps.store,
        deps.metrics,
        deps.errors,
        policy,
        on_written=deps.on_written,
    )
    state = AppState(settings, deps, collector, Flusher(collector))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(collector.start)
        state.flusher.start()
        scheduler = _start_drift_scheduler(settings, deps)
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.stop()
            await state.flusher.stop()
            await run_in_threadpool(collector.close)
            backend = getattr(_app.state, "search", None)
            if backend is not None:
                backend.close()

    app = FastAPI(title="observability collector", lifespan=lifespan)
    app.state.observability = state
    install_error_handler(app)
    app.include_router(ingest.router)
    app.include_router(health.router)
    app.include_router(search.router)
    return app


def _start_drift_scheduler(settings: Settings, deps: ServiceDeps) -> DriftScheduler | None:
    """Run each model's drift job on its cron when a models file exists (Evidently loads
    only then: a collector without models never imports it)."""
    if not settings.models_config.is_file():
        return None
    from observability.analyze.scheduler import start_scheduler
    from observability.query.factory import open_engine

    engine = open_engine(settings, deps.store)
    return start_scheduler(settings, settings.models_config, store=deps.store, engine=engine)
