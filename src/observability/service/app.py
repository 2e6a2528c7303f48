"""`create_app(runtime, roles)`: the FastAPI app, composed of the roles it runs.

- collector: the ingest routes; the lifespan replays the journal before the first request
  is served, runs the flush task, and flushes everything on shutdown;
- api: the dashboard API's read routes, silences, search, and the UI at `/`;
- worker: scheduled jobs (drift per model's cron, compaction of closed hours) in a
  background thread, isolated from each other and from the request path.
`/healthz`, `/readyz` and `/metrics` answer in every composition.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.middleware.gzip import GZipMiddleware

from observability.auth.middleware import install_auth
from observability.runtime import Runtime
from observability.service.collector import BufferPolicy, Collector, Flusher
from observability.service.deps import AppState, BackgroundWorker
from observability.service.errors import install_error_handlers
from observability.service.roles import ALL_ROLES, Role
from observability.service.routes import (
    alerts,
    health,
    ingest,
    jobs,
    models,
    queries,
    reports,
    search,
    services,
    silences,
    whoami,
)
from observability.service.routes.reads import GZIP_LEVEL, GZIP_MINIMUM
from observability.service.timing import RequestTiming
from observability.service.ui import install_ui

log = logging.getLogger(__name__)

WorkerFactory = Callable[[Runtime], BackgroundWorker]


def create_app(
    runtime: Runtime,
    roles: frozenset[Role] = ALL_ROLES,
    *,
    worker_factory: WorkerFactory | None = None,
) -> FastAPI:
    """The app; nothing touches disk until its lifespan starts."""
    settings = runtime.settings
    policy = BufferPolicy(settings.buffer_max_bytes, settings.buffer_max_seconds)
    collector = Collector(
        settings.journal_dir,
        runtime.store,
        runtime.metrics,
        runtime.errors,
        policy,
        on_written=runtime.on_written() if Role.COLLECTOR in roles else None,
    )
    state = AppState(runtime, roles, collector, Flusher(collector))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if Role.COLLECTOR in roles:
            await run_in_threadpool(collector.start)
            state.flusher.start()
        if Role.WORKER in roles:
            state.worker = (worker_factory or _default_worker)(runtime)
            state.worker.start()
        try:
            yield
        finally:
            if state.worker is not None:
                await run_in_threadpool(state.worker.stop)
            if Role.COLLECTOR in roles:
                await state.flusher.stop()
                await run_in_threadpool(collector.close)
            await run_in_threadpool(runtime.close)

    app = FastAPI(title="observability", lifespan=lifespan)
    app.state.observability = state
    install_error_handlers(app)
    install_auth(app, runtime)  # every route, now and later: see auth/policy.py
    # Answers over 1 KiB to clients that accept gzip; level 6: most of 9's ratio, ~3x faster.
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM, compresslevel=GZIP_LEVEL)
    # Outermost: the request histogram sees every answer, refusals by auth included.
    app.add_middleware(RequestTiming, histogram=runtime.metrics.request_seconds)
    app.include_router(health.router)
    if Role.COLLECTOR in roles:
        app.include_router(ingest.router)
    if Role.API in roles:
        install_ui(app)  # the built ui/ at `/` and its views (service/ui.py)
        app.include_router(whoami.router)
        app.include_router(search.router)
        for resource in (models, reports, services, queries, jobs, alerts, silences):
            app.include_router(resource.router)
    return app


def _default_worker(runtime: Runtime) -> BackgroundWorker:
    from observability.worker import build_worker

    return build_worker(runtime)
