"""`POST /api/v1/ingest/{logs|predictions|labels}`: a batch in, per-record results out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from observability.core.errors import Rejection
from observability.core.schema import Kind
from observability.service.body import decode_body, read_limited
from observability.service.collector import IngestResult
from observability.service.deps import StateDep
from observability.service.errors import UnknownKindError

router = APIRouter(prefix="/api/v1/ingest", tags=["ingest"])

KINDS: Final[Mapping[str, Kind]] = {kind.plural: kind for kind in Kind}


@router.post("/{kind}", response_class=Response)
async def ingest(kind: str, request: Request, state: StateDep) -> Response:
    """Store the good records of a batch, report the bad ones with their index and reason.

    The 200 is sent only after the accepted lines are in the fsync'ed journal and the
    refused ones are in errors/; the body is `{"accepted": n, "rejected": [...]}`.
    """
    record_kind = KINDS.get(kind)
    if record_kind is None:
        raise UnknownKindError(f"unknown record kind {kind!r}: use logs, predictions or labels")
    limit = state.settings.max_request_bytes
    headers = request.headers
    body = await read_limited(request.stream(), limit, headers.get("content-length"))
    lines = decode_body(body, headers.get("content-type"), headers.get("content-encoding"), limit)
    # CPU work stays on the loop; only the fsync'ed I/O goes to a thread (see `prepare`).
    batch = state.collector.prepare(record_kind, lines)
    result = await run_in_threadpool(state.collector.commit, batch)
    if state.collector.flush_due():
        state.flusher.kick()
    return Response(orjson.dumps(_result_body(result)), media_type="application/json")


def _result_body(result: IngestResult) -> dict[str, object]:
    return {"accepted": result.accepted, "rejected": [_rejected(r) for r in result.rejected]}


def _rejected(rejection: Rejection) -> dict[str, object]:
    return {
        "index": rejection.index,
        "reason": rejection.reason.value,
        "error": rejection.message,
        "field": rejection.field,
    }
