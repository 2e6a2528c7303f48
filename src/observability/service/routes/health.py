"""`/healthz` (the process is up), `/readyz` (journal replayed, store writable), `/metrics`."""

from __future__ import annotations

import secrets

import orjson
from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from observability.service.deps import AppState, StateDep
from observability.service.errors import NotReadyError

router = APIRouter(tags=["health"])

PROBE_PREFIX = "_probe/"


@router.get("/healthz", response_class=Response)
async def healthz() -> Response:
    """Answer as long as the process serves requests."""
    return Response(b'{"status":"ok"}', media_type="application/json")


@router.get("/readyz", response_class=Response)
async def readyz(state: StateDep) -> Response:
    """Ready once the journal is replayed and a probe object can be written to the store."""
    if not state.collector.ready:
        raise NotReadyError("the collector is replaying its journal or shutting down")
    await run_in_threadpool(_probe_store, state)
    body = {"status": "ready", "store": state.deps.store.url}
    return Response(orjson.dumps(body), media_type="application/json")


@router.get("/metrics", response_class=Response)
async def metrics(state: StateDep) -> Response:
    """Prometheus text exposition of the injected registry."""
    state.deps.metrics.collector_buffered_bytes.set(state.collector.buffered_bytes())
    return Response(generate_latest(state.deps.metrics.registry), media_type=CONTENT_TYPE_LATEST)


def _probe_store(state: AppState) -> None:
    """Write and delete a small object; a store failure surfaces as a 503."""
    key = f"{PROBE_PREFIX}readyz-{secrets.token_hex(6)}"
    store = state.deps.store
    try:
        store.put(key, b"ok")
        store.delete(key)
    except Exception as exc:
        raise NotReadyError(f"the store at {store.url} is not writable: {exc}") from exc
