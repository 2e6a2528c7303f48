"""`/healthz` (the process is up), `/readyz` (each role it runs can work), `/metrics`.

Answers carry no store URL, path or endpoint: a probe is public, the details of a failure
go to the server log.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime

import orjson
from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from observability.core import keys
from observability.service.deps import AppState, StateDep
from observability.service.errors import NotReadyError
from observability.service.roles import Role

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)


@router.get("/healthz", response_class=Response)
async def healthz() -> Response:
    """Answer as long as the process serves requests."""
    return Response(b'{"status":"ok"}', media_type="application/json")


@router.get("/readyz", response_class=Response)
async def readyz(state: StateDep) -> Response:
    """Ready once the journal is replayed, a probe object can be written to the store, and
    the worker (when it runs here) ticked recently."""
    if Role.COLLECTOR in state.roles and not state.collector.ready:
        raise NotReadyError("the collector is replaying its journal or shutting down")
    if state.worker is not None and state.worker.overdue(datetime.now(UTC)):
        raise NotReadyError("the worker's last tick is overdue")
    await run_in_threadpool(_probe_store, state)
    body = {"status": "ready", "roles": sorted(state.roles)}
    return Response(orjson.dumps(body), media_type="application/json")


@router.get("/metrics", response_class=Response)
async def metrics(state: StateDep) -> Response:
    """Prometheus text exposition of the runtime's registry."""
    runtime = state.runtime
    if Role.COLLECTOR in state.roles:
        runtime.metrics.collector_buffered_bytes.set(state.collector.buffered_bytes())
        runtime.metrics.collector_journal_age.set(state.collector.oldest_unflushed_age())
        runtime.metrics.collector_ready.set(1.0 if state.collector.ready else 0.0)
    return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)


def _probe_store(state: AppState) -> None:
    """Write and delete a small object; a store failure surfaces as a 503."""
    key = keys.probe_key(secrets.token_hex(6))
    store = state.runtime.store
    try:
        store.put(key, b"ok")
        store.delete(key)
    except Exception as exc:
        log.warning("readyz: the store at %s is not writable: %s", store.url, exc)
        raise NotReadyError("the store is not writable") from exc
