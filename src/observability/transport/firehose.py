"""Kinesis Data Firehose Direct PUT: `put_record_batch` within the service limits.

The sink sends once and classifies every envelope, index-aligned with the batch:
entries that come back with an `ErrorCode` and calls refused as a whole for capacity or
connectivity are RETRYABLE; oversized envelopes and other client errors are REJECTED
with the reason. Backoff lives in `retry.py`, spilling in `background.py`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from observability.core.metrics import Metrics
from observability.core.schema import Kind
from observability.transport.base import Envelope, Outcome, SendResult

if TYPE_CHECKING:
    from mypy_boto3_firehose import FirehoseClient
    from mypy_boto3_firehose.type_defs import RecordTypeDef

#: PutRecordBatch service limits.
MAX_BATCH_RECORDS: Final = 500
MAX_BATCH_BYTES: Final = 4 * 1024 * 1024
MAX_RECORD_BYTES: Final = 1_000 * 1024

#: Whole-call error codes that mean "try again later", not "this data is wrong".
RETRYABLE_CODES: Final = frozenset(
    {
        "ServiceUnavailableException",
        "ThrottlingException",
        "Throttling",
        "LimitExceededException",
        "InternalFailure",
        "InternalServerError",
        "ServiceFailure",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)


class FirehoseSink:
    """Sends envelopes to one delivery stream per record kind."""

    name = "firehose"
    max_envelope_bytes = MAX_RECORD_BYTES
    max_envelope_lines: int | None = None

    def __init__(
        self,
        client: FirehoseClient,
        stream_for_kind: Mapping[Kind, str],
        metrics: Metrics,
    ) -> None:
        self._client = client
        self._streams = dict(stream_for_kind)
        self._metrics = metrics

    def send(self, batch: Sequence[Envelope], timeout: float | None = None) -> SendResult:
        """One attempt per chunk; never raises for a service or connection error.

        A call in flight is bounded by the client's own timeouts, not by `timeout`; past
        a shutdown deadline no further call is made (the rest is RETRYABLE, then spilled).
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        result = SendResult([Outcome.ACCEPTED] * len(batch))
        by_kind: dict[Kind, list[int]] = {}
        for index, envelope in enumerate(batch):
            if len(envelope.data) > MAX_RECORD_BYTES:
                result.outcomes[index] = Outcome.REJECTED
                result.reasons[index] = (
                    f"too_large: {len(envelope.data)} bytes is over the "
                    f"{MAX_RECORD_BYTES}-byte Firehose record limit"
                )
                continue
            by_kind.setdefault(envelope.kind, []).append(index)
        for kind, indexes in by_kind.items():
            stream = self._streams.get(kind)
            if stream is None:
                self._mark(result, indexes, Outcome.REJECTED, f"no delivery stream for {kind}s")
                continue
            for chunk in chunks(indexes, batch):
                if deadline is not None and time.monotonic() >= deadline:
                    self._mark(result, chunk, Outcome.RETRYABLE, "shutdown deadline passed")
                    continue
                self._put(stream, chunk, batch, result)
        return result

    def _put(
        self, stream: str, chunk: list[int], batch: Sequence[Envelope], result: SendResult
    ) -> None:
        records: list[RecordTypeDef] = [{"Data": batch[i].data} for i in chunk]
        try:
            response = self._client.put_record_batch(DeliveryStreamName=stream, Records=records)
        except ClientError as exc:
            code, message = _error_of(exc)
            retryable = code in RETRYABLE_CODES or _status(exc) >= 500
            outcome = Outcome.RETRYABLE if retryable else Outcome.REJECTED
            self._count("throttled" if retryable else "error")
            self._mark(result, chunk, outcome, f"{code}: {message}")
            return
        except (BotoConnectionError, HTTPClientError) as exc:
            self._count("unreachable")
            self._mark(result, chunk, Outcome.RETRYABLE, f"connection: {exc}")
            return
        except BotoCoreError as exc:
            self._count("error")
            self._mark(result, chunk, Outcome.REJECTED, f"{type(exc).__name__}: {exc}")
            return
        entries = response.get("RequestResponses", [])
        if len(entries) != len(chunk):
            # Cannot align outcomes; a resend may duplicate, but nothing is lost.
            self._count("misaligned")
            self._mark(
                result,
                chunk,
                Outcome.RETRYABLE,
                f"response has {len(entries)} entries for {len(chunk)} records",
            )
            return
        failed = 0
        for index, entry in zip(chunk, entries, strict=True):
            entry_code = entry.get("ErrorCode")
            if entry_code:
                failed += 1
                result.outcomes[index] = Outcome.RETRYABLE
                result.reasons[index] = f"{entry_code}: {entry.get('ErrorMessage', '')}"
        self._count("partial" if failed else "ok")

    def _mark(self, result: SendResult, indexes: list[int], outcome: Outcome, reason: str) -> None:
        for index in indexes:
            result.outcomes[index] = outcome
            result.reasons[index] = reason

    def _count(self, outcome: str) -> None:
        self._metrics.sink_requests.labels(self.name, outcome).inc()


def chunks(indexes: list[int], batch: Sequence[Envelope]) -> list[list[int]]:
    """Split envelope indexes into calls of at most 500 records and 4 MiB of data."""
    calls: list[list[int]] = []
    current: list[int] = []
    size = 0
    for index in indexes:
        length = len(batch[index].data)
        if current and (len(current) >= MAX_BATCH_RECORDS or size + length > MAX_BATCH_BYTES):
            calls.append(current)
            current, size = [], 0
        current.append(index)
        size += length
    if current:
        calls.append(current)
    return calls


def _error_of(exc: ClientError) -> tuple[str, str]:
    error: Any = exc.response.get("Error", {})
    return str(error.get("Code", "Unknown")), str(error.get("Message", ""))


def _status(exc: ClientError) -> int:
    meta: Any = exc.response.get("ResponseMetadata", {})
    return int(meta.get("HTTPStatusCode", 0) or 0)
