"""The Firehose transform with its side effects: rejections to `errors/`, counters, a log line.

The Lambda handler builds one `FirehoseTransformer` per cold start and calls `handle`.

Errors are never lost, even when `errors/` cannot be written: the rejections of a record
are written (one file per reason); if a write fails, every record with a rejection of
that reason becomes `ProcessingFailed`, and Firehose delivers its original, good lines and
bad, to the stream's error prefix instead. A line may then sit in both places (when its
other reasons were written): a duplicate, never a loss.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from typing import Any, Final

from observability.core.errors import Reason, Rejection
from observability.core.metrics import Metrics
from observability.core.schema import Kind
from observability.core.settings import Settings
from observability.store.errors import ErrorWriter
from observability.transform.firehose import EventResult, transform_event

STAGE: Final = "transform"
#: Reasons counted (records, not written by us) when whole records go back to Firehose,
#: which keeps their originals under its error prefix.
RESPONSE_LIMIT: Final = Reason.RESPONSE_LIMIT.value
ERRORS_UNWRITABLE: Final = Reason.DELIVERY_FAILED.value

log = logging.getLogger(__name__)


def stream_kinds(settings: Settings) -> dict[str, Kind]:
    """Delivery stream name -> the kind it carries, from the configured stream names."""
    return {settings.firehose_stream(kind): kind for kind in Kind}


class FirehoseTransformer:
    """Transforms events, persists their rejections and counts the outcome."""

    def __init__(
        self, errors: ErrorWriter, metrics: Metrics, kinds: Mapping[str, Kind] | None = None
    ) -> None:
        self._errors = errors
        self._metrics = metrics
        self._kinds = dict(kinds or {})

    def expected_kind(self, stream_arn: object) -> Kind | None:
        """The kind of the stream named by the event's ARN; None for an unknown stream."""
        if not isinstance(stream_arn, str):
            return None
        return self._kinds.get(stream_arn.rpartition("/")[2])

    def handle(self, event: Mapping[str, Any], ingested_at: str | None = None) -> dict[str, Any]:
        """The Firehose response for `event`, after its rejections are safely stored."""
        expected = self.expected_kind(event.get("deliveryStreamArn"))
        result = transform_event(event, expected, ingested_at=ingested_at)
        unwritable = self._write_rejections(result)
        self._count(result, unwritable)
        log.info(
            "firehose transform: %d records, %d lines accepted, %d lines rejected, "
            "%d records failed, %d over the response limit, %d failed for unwritable errors",
            len(result.response["records"]),
            sum(result.accepted.values()),
            len(result.rejections),
            result.failed,
            result.over_limit,
            unwritable,
            extra={"invocation_id": event.get("invocationId")},
        )
        return result.response

    def _write_rejections(self, result: EventResult) -> int:
        """Write by reason; on a failed write, fail the records concerned. Returns their count."""
        by_reason: dict[str, tuple[list[Rejection], list[int]]] = defaultdict(lambda: ([], []))
        for rejection, position in zip(result.rejections, result.rejection_records, strict=True):
            group = by_reason[rejection.reason.value]
            group[0].append(rejection)
            group[1].append(position)
        failed: set[int] = set()
        for reason, (rejections, positions) in by_reason.items():
            try:
                self._errors.write(STAGE, rejections)
            # Any failure (S3, disk, credentials) is handled the same way: the originals go
            # back to Firehose, which keeps them; the error is logged, not swallowed.
            except Exception:
                log.exception("could not write %d %s rejections", len(rejections), reason)
                failed.update(positions)
        result.fail_records(failed)
        return len(failed)

    def _count(self, result: EventResult, unwritable: int) -> None:
        accepted = self._metrics.records_accepted
        for kind, count in result.accepted.items():
            if count:
                accepted.labels(stage=STAGE, kind=kind.value).inc(count)
        rejected = self._metrics.records_rejected
        if result.over_limit:
            rejected.labels(stage=STAGE, reason=RESPONSE_LIMIT).inc(result.over_limit)
        if unwritable:
            rejected.labels(stage=STAGE, reason=ERRORS_UNWRITABLE).inc(unwritable)
