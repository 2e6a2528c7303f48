"""`POST /api/v1/ingest/{logs|predictions|labels}`: a batch in, per-record results out.

The body is read under the limits of `service.body` as it arrives (over one: 413 and
nothing stored; the HTTP sink splits its envelopes under them), its decoded bytes held
against the app's `IngestGate` (503 with Retry-After when the collector holds too many
bodies). gzip is inflated in a thread; validation runs on the event loop in steps, so
`/healthz` and other requests are served in between, at most `ingest_concurrency`
batches at a time; the journal's fsync runs in a thread.

The answer is a summary, `{"accepted": n, "rejected": [...], "rejected_count": m}`, where
`rejected` lists at most `max_response_rejections` refusals (lowest indexes first): every
refusal is in errors/ with its reason. A failure of the whole batch stores nothing and
says whether to retry: 503 with Retry-After for what may clear up (the journal, the
store, memory, the disk), 422 for what would fail the same way again; never a 500 after
a partial write.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from observability.core.errors import ObservabilityError, Rejection, SettingsError
from observability.core.schema import Kind
from observability.core.settings import PREFIX, Settings
from observability.service.admission import IngestGate
from observability.service.body import (
    BodyDecoder,
    BodyLimits,
    DecodedBody,
    check_declared_length,
    explain_cuts,
)
from observability.service.collector import Collector, IngestResult, PreparedBatch
from observability.service.deps import StateDep
from observability.service.errors import (
    BatchFailedError,
    RequestTimeoutError,
    TransientError,
    UnknownKindError,
)

router = APIRouter(prefix="/api/v1/ingest", tags=["ingest"])

KINDS: Final[Mapping[str, Kind]] = {kind.plural: kind for kind in Kind}
#: Bytes sent gathered before a thread inflates them: one hop per this much.
OFFLOAD_BYTES: Final = 256 * 1024

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IngestLimits:
    """One app's request limits and gate, built from its settings on first use."""

    body: BodyLimits
    gate: IngestGate
    max_rejections: int

    @classmethod
    def from_settings(cls, settings: Settings) -> IngestLimits:
        """The limits of `settings`; a value out of range names its variable."""
        if settings.max_response_rejections < 0:
            raise SettingsError(
                f"{PREFIX}MAX_RESPONSE_REJECTIONS: must be 0 or more, "
                f"got {settings.max_response_rejections}"
            )
        return cls(
            BodyLimits.from_settings(settings),
            IngestGate.from_settings(settings),
            settings.max_response_rejections,
        )


def ingest_limits(request: Request, settings: Settings) -> IngestLimits:
    """The app's `IngestLimits` (made once per app, on the event loop)."""
    limits: IngestLimits | None = getattr(request.app.state, "ingest_limits", None)
    if limits is None:
        limits = IngestLimits.from_settings(settings)
        request.app.state.ingest_limits = limits
    return limits


@router.post("/{kind}", response_class=Response)
async def ingest(kind: str, request: Request, state: StateDep) -> Response:
    """Store the good records of a batch, report the bad ones with their index and reason.

    The 200 is sent only after the accepted lines are in the fsync'ed journal and the
    refused ones are in errors/.
    """
    record_kind = KINDS.get(kind)
    if record_kind is None:
        raise UnknownKindError(f"unknown record kind {kind!r}: use logs, predictions or labels")
    limits = ingest_limits(request, state.settings)
    headers = request.headers
    check_declared_length(headers.get("content-length"), limits.body)
    with limits.gate.reading.hold() as held:
        decoder = BodyDecoder(
            headers.get("content-type"), headers.get("content-encoding"), limits.body, held.take
        )
        try:
            body = await _read(request, decoder)
            async with limits.gate.validating:
                batch = await _prepare(state.collector, record_kind, body)
            explain_cuts(batch.rejected, body.cut)
            del body
            result = await run_in_threadpool(state.collector.commit, batch)
        except ObservabilityError:
            raise
        except (OSError, MemoryError) as exc:
            log.error("ingest failed; nothing was stored", exc_info=exc)
            raise TransientError(
                "the collector could not take this batch now; nothing was stored, retry shortly"
            ) from exc
        except Exception as exc:  # a bug: the same batch would fail again
            log.error("ingest failed; nothing was stored", exc_info=exc)
            raise BatchFailedError(
                f"the collector could not process this batch ({type(exc).__name__}); "
                "nothing was stored"
            ) from exc
    if state.collector.flush_due():
        state.flusher.kick()
    answer = _result_body(result, limits.max_rejections)
    return Response(orjson.dumps(answer), media_type="application/json")


async def _read(request: Request, decoder: BodyDecoder) -> DecodedBody:
    """The body, decoded as it arrives; inflating and JSON scanning run in a thread."""
    pending: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            if not decoder.offload:
                decoder.feed(chunk)
                continue
            pending.append(chunk)
            size += len(chunk)
            if size >= OFFLOAD_BYTES:
                await run_in_threadpool(decoder.feed, b"".join(pending))
                pending.clear()
                size = 0
    except ClientDisconnect:
        raise RequestTimeoutError("the client went away before the body ended") from None
    if not decoder.offload:
        return decoder.finish()
    if pending:
        await run_in_threadpool(decoder.feed, b"".join(pending))
    return await run_in_threadpool(decoder.finish)


async def _prepare(collector: Collector, kind: Kind, body: DecodedBody) -> PreparedBatch:
    """`Collector.prepare_steps` on the loop, yielding to other tasks between steps."""
    steps = collector.prepare_steps(kind, body.lines)
    while True:
        try:
            next(steps)
        except StopIteration as done:
            batch: PreparedBatch = done.value
            return batch
        await asyncio.sleep(0)


def _result_body(result: IngestResult, max_rejections: int) -> dict[str, object]:
    shown = result.rejected[:max_rejections]
    return {
        "accepted": result.accepted,
        "rejected": [_rejected(r) for r in shown],
        "rejected_count": len(result.rejected),
    }


def _rejected(rejection: Rejection) -> dict[str, object]:
    return {
        "index": rejection.index,
        "reason": rejection.reason.value,
        "error": rejection.message,
        "field": rejection.field,
    }
