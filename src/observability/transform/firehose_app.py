"""The Firehose transform with its side effects: rejections to `errors/`, counters, a log line.

The Lambda handler builds one `FirehoseTransformer` per cold start and calls `handle`.

Errors are never lost, even when `errors/` cannot be written: the rejections of a record
are written (one file per reason); if a write fails, every record with a rejection of
that reason becomes `ProcessingFailed`, and Firehose delivers its original, good lines and
bad, to the stream's error prefix instead. A line may then sit in both places (when its
other reasons were written): a duplicate, never a loss.

Lines of a record that belong to other partitions than the record's (CloudWatch Logs
events of several hours or services, a foreign producer's mixed NDJSON) are written by
the transformer to their own partitions, one gzip NDJSON file per record and partition
under `keys.rerouted_key` (a retry overwrites it). A failed write fails the record the
same way.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from observability.core.errors import Reason, Rejection, StoreError
from observability.core.keys import rerouted_key
from observability.core.metrics import Metrics
from observability.core.schema import Kind
from observability.core.settings import Settings
from observability.store.base import ObjectStore
from observability.store.errors import ErrorWriter
from observability.store.files import encode_ndjson_gz
from observability.transform.cloudwatch import LogGroupMapping
from observability.transform.firehose import OK, EventResult, transform_event

if TYPE_CHECKING:
    from observability.runtime import Runtime

STAGE: Final = "transform"
#: Reasons counted (records, not written by us) when whole records go back to Firehose,
#: which keeps their originals under its error prefix.
RESPONSE_LIMIT: Final = Reason.RESPONSE_LIMIT.value
ERRORS_UNWRITABLE: Final = Reason.DELIVERY_FAILED.value

log = logging.getLogger(__name__)


def stream_kinds(settings: Settings) -> dict[str, Kind]:
    """Delivery stream name -> the kind it carries, from the configured stream names (the
    CloudWatch Logs stream carries logs)."""
    kinds = {settings.firehose_stream(kind): kind for kind in Kind}
    return {settings.firehose_stream_cloudwatch: Kind.LOG, **kinds}


def transformer_from(runtime: Runtime) -> FirehoseTransformer:
    """The transformer of a runtime: its errors, counters, store and settings."""
    settings = runtime.settings
    return FirehoseTransformer(
        runtime.errors,
        runtime.metrics,
        stream_kinds(settings),
        store=runtime.store,
        log_groups=LogGroupMapping.from_settings(settings),
    )


class FirehoseTransformer:
    """Transforms events, persists their rejections and counts the outcome."""

    def __init__(
        self,
        errors: ErrorWriter,
        metrics: Metrics,
        kinds: Mapping[str, Kind] | None = None,
        *,
        store: ObjectStore | None = None,
        log_groups: LogGroupMapping | None = None,
    ) -> None:
        """`store` takes rerouted lines (without one, their records fail back to Firehose);
        `log_groups` maps CloudWatch log groups to services."""
        self._errors = errors
        self._metrics = metrics
        self._kinds = dict(kinds or {})
        self._store = store
        self._log_groups = log_groups or LogGroupMapping()

    def expected_kind(self, stream_arn: object) -> Kind | None:
        """The kind of the stream named by the event's ARN; None for an unknown stream."""
        if not isinstance(stream_arn, str):
            return None
        return self._kinds.get(stream_arn.rpartition("/")[2])

    def handle(self, event: Mapping[str, Any], ingested_at: str | None = None) -> dict[str, Any]:
        """The Firehose response for `event`, after its rejections are safely stored."""
        stream_arn = event.get("deliveryStreamArn")
        expected = self.expected_kind(stream_arn)
        result = transform_event(
            event, expected, ingested_at=ingested_at, log_groups=self._log_groups
        )
        unwritable = self._write_rejections(result)
        unwritable += self._write_rerouted(result, str(stream_arn).rpartition("/")[2], event)
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

    def _write_rerouted(self, result: EventResult, stream: str, event: Mapping[str, Any]) -> int:
        """Write each still-Ok record's lines of other partitions; fail the records whose
        lines could not be written. Returns their count."""
        records = result.response["records"]
        failed: set[int] = set()
        for position, partition, lines in result.rerouted:
            entry = records[position]
            if entry["result"] != OK or position in failed:
                continue
            key = rerouted_key(partition, stream, str(entry["recordId"]))
            try:
                if self._store is None:
                    raise StoreError("no store to write lines of other partitions to")
                self._store.put(key, encode_ndjson_gz(lines))
            # As for errors/: the original goes back to Firehose whole; logged, not swallowed.
            except Exception:
                log.exception(
                    "could not write %d lines to %s",
                    len(lines),
                    partition.prefix,
                    extra={"invocation_id": event.get("invocationId")},
                )
                failed.add(position)
                continue
            result.accepted[partition.kind] = result.accepted.get(partition.kind, 0) + len(lines)
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
