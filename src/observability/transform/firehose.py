"""The Firehose data transformation: one event in, the response contract and rejections out.

Pure: no I/O, no clock unless `ingested_at` is left out. The Lambda handler and tests call
it; writing the rejections to `errors/` is the caller's job (`transform/firehose_app.py`).

The contract (Firehose "data transformation and status model"): every input `recordId`
appears exactly once, in order, with `result` `Ok`, `Dropped` or `ProcessingFailed` and a
base64 `data`; `Ok` records carry `metadata.partitionKeys` for dynamic partitioning.

Choices, each so that nothing is lost or misfiled:

- A record's data is one JSON object or NDJSON lines (an aggregated record from our sink).
  Good lines go on as one `Ok` record of normalised, newline-terminated NDJSON; each bad
  line becomes a Rejection with its reason and original bytes, and its neighbours go on.
- **Lines of other partitions.** Firehose takes one set of partition keys per output
  record, and one input record cannot become two. The record's first good line decides
  its partition; later good lines of other partitions (kind, key, day or hour) are
  returned in `EventResult.rerouted`, and the caller writes them to their own partitions
  itself (`keys.rerouted_key`: named after the stream and record id, so a retried batch
  overwrites them). Our sink aggregates by partition and never makes such records; a
  foreign producer's mixed NDJSON and CloudWatch Logs subscription records do.
- **CloudWatch Logs subscriptions.** A gzip record is a subscription message
  (`transform/cloudwatch.py`): its log events become log lines, validated like any line;
  a control message is `Dropped`.
- A record whose every line is bad is `ProcessingFailed`: Firehose keeps the original
  under its error prefix, and the rejections are still returned so the reasons reach
  `errors/`. Undecodable base64 is `ProcessingFailed` with `bad_encoding`. Blank data holds
  nothing to deliver and is `Dropped`.
- `ProcessingFailed` records carry empty `data`: Firehose delivers the original it sent,
  not ours, and echoing it would spend the response budget twice.
- **Response limit.** Lambda refuses a response over 6 MB. The response is sized as it is
  built, as the runtime serialises it (`json.dumps`: spaced separators, ASCII escapes), and
  room is always kept for a `ProcessingFailed` entry for every record still to come. Once
  the next `Ok` record would not fit, it and every later record are `ProcessingFailed`
  with `response_limit` (counted in `over_limit`): Firehose delivers their originals to
  its error prefix, so they are not lost, and the processor buffer (1 MB in the template)
  keeps this rare.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from observability.core.errors import Reason, RecordError, Rejection
from observability.core.partitioning import Partition
from observability.core.schema import Kind, utc_now_iso
from observability.transform import cloudwatch, typed
from observability.transform.cloudwatch import GZIP_MAGIC, LogGroupMapping
from observability.transform.lines import split_lines, transform_line

OK: Final = "Ok"
DROPPED: Final = "Dropped"
PROCESSING_FAILED: Final = "ProcessingFailed"

#: Lambda's synchronous response limit ("6 MB" in the documentation; 6 MiB in practice).
LAMBDA_RESPONSE_LIMIT_BYTES: Final = 6 * 1024 * 1024
#: What the transform lets itself use: under 6,000,000 bytes whichever "MB" is meant,
#: with room for the runtime's own framing.
RESPONSE_BUDGET_BYTES: Final = 5_800_000

Entry = dict[str, Any]
_FRAMING: Final = len(json.dumps({"records": []}))
_SEPARATOR: Final = len(", ")
#: Bytes of an entry besides its recordId (`""` counted with the id), data and keys.
_OK_OVERHEAD: Final = (
    len(json.dumps({"recordId": "", "result": OK, "data": "", "metadata": {"partitionKeys": {}}}))
    - 2
    + _SEPARATOR
)
_FAILED_OVERHEAD: Final = (
    len(json.dumps({"recordId": "", "result": PROCESSING_FAILED, "data": ""})) - 2 + _SEPARATOR
)
#: What an Ok entry adds to the ProcessingFailed entry counted for it, besides data and keys.
_OK_EXTRA: Final = _OK_OVERHEAD - _FAILED_OVERHEAD
_NO_REJECTIONS: Final[list[Rejection]] = []
_NO_OTHERS: Final[dict[Partition, list[bytes]]] = {}
_DEFAULT_LOG_GROUPS: Final = LogGroupMapping()
_a2b: Final = binascii.a2b_base64
_b2a: Final = binascii.b2a_base64
_accept: Final = typed.accept


@dataclass(slots=True)
class _Bucket:
    """Per-partition state shared by the records of one event."""

    partition: Partition
    metadata: dict[str, dict[str, str]]
    keys_size: int
    accepted: int = 0


@dataclass(slots=True)
class EventResult:
    """The response to return and what the caller must persist and count."""

    response: dict[str, list[Entry]]
    #: Refused lines (and undecodable records), for `errors/transform/<reason>/`.
    rejections: list[Rejection] = field(default_factory=list)
    #: For each rejection, the position of its record in `response["records"]`.
    rejection_records: list[int] = field(default_factory=list)
    #: Lines accepted, by kind.
    accepted: dict[Kind, int] = field(default_factory=dict)
    #: Records refused whole for their content (every line bad, or bad base64).
    failed: int = 0
    #: Records with blank data, `Dropped`.
    dropped: int = 0
    #: Records `ProcessingFailed` with `response_limit`.
    over_limit: int = 0
    #: Upper bound of the serialised response, in bytes.
    response_bytes: int = 0
    #: Records that are `Ok` and also have rejections or rerouted lines: position ->
    #: (kind, lines accepted).
    partial: dict[int, tuple[Kind, int]] = field(default_factory=dict)
    #: Good lines of a record that belong to another partition than its own, for the
    #: caller to write there: (record position, partition, lines).
    rerouted: list[tuple[int, Partition, list[bytes]]] = field(default_factory=list)

    def fail_records(self, positions: Iterable[int]) -> int:
        """Turn `Ok` records into `ProcessingFailed` (their rejections could not be kept).

        Firehose then delivers each original whole to its error prefix, good lines and bad,
        instead of our `Ok` data missing its bad lines. Returns how many records changed.
        """
        changed = 0
        records = self.response["records"]
        for position in sorted(set(positions)):
            entry = records[position]
            if entry["result"] != OK:
                continue
            entry.update(result=PROCESSING_FAILED, data="")
            del entry["metadata"]
            kind, count = self.partial.pop(position)
            self.accepted[kind] -= count
            changed += 1
        return changed


def transform_event(
    event: Mapping[str, Any],
    expected_kind: Kind | None = None,
    *,
    ingested_at: str | None = None,
    budget: int = RESPONSE_BUDGET_BYTES,
    log_groups: LogGroupMapping = _DEFAULT_LOG_GROUPS,
) -> EventResult:
    """Transform a Firehose data-transformation event; never raises for any record content.

    `expected_kind` is the stream's kind: a line of another kind is rejected `wrong_kind`.
    `log_groups` maps CloudWatch log groups to services (subscription records).
    """
    records: Sequence[Mapping[str, Any]] = event["records"]
    now = ingested_at or utc_now_iso()
    suffix = typed.stamp(now)
    ended = None if suffix is None else suffix + b"\n"
    out = _Response(records, budget)
    entries = out.entries
    buckets = out.buckets
    # Every entry costs at least a ProcessingFailed entry (counted up front in `out.room`);
    # `extra` is what the Ok entries add on top, so one comparison keeps the whole bound.
    extra = 0
    # The loop is flat on purpose: at 150,000 records a second, each call is ~1% of it.
    for position, record in enumerate(records):
        record_id = record.get("recordId")
        data: Any = record.get("data")
        try:
            payload = _a2b(data, strict_mode=True)
        except (ValueError, TypeError) as error:  # binascii.Error, non-ASCII, not a string
            out.refuse(position, record_id, [_bad_encoding(data, error)])
            continue
        bad, others = _NO_REJECTIONS, _NO_OTHERS
        if payload[:2] == GZIP_MAGIC:  # a CloudWatch Logs subscription record
            good, bad, partition, others = _subscription(
                payload, expected_kind, now, suffix, log_groups
            )
        elif b"\n" in payload:
            good, bad, partition, others = _transform_lines(
                split_lines(payload), expected_kind, now, suffix
            )
        else:  # one line: the common case, without lists
            accepted = _accept(payload, expected_kind, ended) if ended else None
            if accepted is None:
                partition, text, bad = _one_line(payload, expected_kind, now)
            else:  # its line is already ended
                partition, text = accepted[0], accepted[1]
            good = None
        if partition is None:
            out.refuse(position, record_id, bad)
            continue
        if good is None:
            count = 1
        else:
            count = len(good)
            good.append(b"")  # the join then ends the last line with a newline too
            text = b"\n".join(good)
        bucket = buckets.get(partition) or out.bucket(partition)
        encoded = _b2a(text, newline=False).decode("ascii")
        added = len(encoded) + bucket.keys_size + _OK_EXTRA
        if extra + added > out.room:
            out.stop(records, position)
            break
        extra += added
        bucket.accepted += count
        entries.append(
            {"recordId": record_id, "result": OK, "data": encoded, "metadata": bucket.metadata}
        )
        if bad or others:
            out.keep(position, bad, (partition.kind, count), others)
    return out.finish(extra)


def _one_line(
    payload: bytes, expected_kind: Kind | None, now: str
) -> tuple[Partition | None, bytes, list[Rejection]]:
    """A one-line record by the generic path: its partition and ended line, or rejections
    (none for a blank record, which is dropped)."""
    try:
        accepted = transform_line(payload, expected_kind, now)
    except RecordError as error:
        blank = payload.isspace() or not payload
        return None, b"", [] if blank else [Rejection.from_error(error, payload, 0)]
    return accepted.partition, accepted.line + b"\n", _NO_REJECTIONS


class _Response:
    """The entries in order, and the bookkeeping of everything but the hot path."""

    def __init__(self, records: Sequence[Mapping[str, Any]], budget: int) -> None:
        self.result = EventResult({"records": []})
        self.entries = self.result.response["records"]
        self.buckets: dict[Partition, _Bucket] = {}
        ids = [record.get("recordId") for record in records]
        self.smallest = _FRAMING + len(ids) * _FAILED_OVERHEAD + _ids_size(ids)
        #: What Ok entries may add to the smallest possible response.
        self.room = budget - self.smallest

    def bucket(self, partition: Partition) -> _Bucket:
        """The state of a partition first seen in this event."""
        keys = partition.firehose_keys()
        bucket = _Bucket(partition, {"partitionKeys": keys}, len(json.dumps(keys)) - 2)
        self.buckets[partition] = bucket
        return bucket

    def keep(
        self,
        position: int,
        rejections: list[Rejection],
        partial: tuple[Kind, int] | None = None,
        others: Mapping[Partition, list[bytes]] = _NO_OTHERS,
    ) -> None:
        """Rejections of the record at `position`, for errors/, and its rerouted lines."""
        self.result.rejections.extend(rejections)
        self.result.rejection_records.extend([position] * len(rejections))
        if partial is not None:
            self.result.partial[position] = partial
        self.result.rerouted.extend((position, p, lines) for p, lines in others.items())

    def refuse(self, position: int, record_id: object, rejections: list[Rejection]) -> None:
        """No good line: ProcessingFailed, or Dropped when there was nothing but whitespace."""
        if not rejections:
            self.entries.append({"recordId": record_id, "result": DROPPED, "data": ""})
            self.result.dropped += 1
            return
        self.entries.append(_failed(record_id))
        self.keep(position, rejections)
        self.result.failed += 1

    def stop(self, records: Sequence[Mapping[str, Any]], position: int) -> None:
        """ProcessingFailed with response_limit for this record and every later one."""
        self.result.over_limit = len(records) - position
        self.entries.extend(_failed(record.get("recordId")) for record in records[position:])

    def finish(self, extra: int) -> EventResult:
        """Totals by kind and the size bound; the result is complete."""
        accepted = self.result.accepted
        for bucket in self.buckets.values():
            kind = bucket.partition.kind
            accepted[kind] = accepted.get(kind, 0) + bucket.accepted
        self.result.response_bytes = self.smallest + extra
        return self.result


def _subscription(
    payload: bytes,
    expected_kind: Kind | None,
    now: str,
    suffix: bytes | None,
    log_groups: LogGroupMapping,
) -> tuple[list[bytes], list[Rejection], Partition | None, dict[Partition, list[bytes]]]:
    """A CloudWatch Logs subscription record's lines, as `_transform_lines` gives them.

    Data that is no subscription message is one rejection (the record fails); a control
    message gives nothing at all (the record is dropped).
    """
    try:
        lines = cloudwatch.decode(payload, log_groups)
    except RecordError as error:
        return [], [Rejection.from_error(error, payload, None)], None, {}
    if lines is None:
        return [], [], None, {}
    return _transform_lines(lines, expected_kind, now, suffix)


def _transform_lines(
    lines: list[bytes], expected_kind: Kind | None, now: str, suffix: bytes | None
) -> tuple[list[bytes], list[Rejection], Partition | None, dict[Partition, list[bytes]]]:
    """Normalised good lines of the partition set by the first good line, rejections, that
    partition, and the good lines of other partitions by partition.

    `suffix` is `typed.stamp(now)`: lines in stored form take the typed fast path.
    """
    good: list[bytes] = []
    bad: list[Rejection] = []
    partition: Partition | None = None
    others: dict[Partition, list[bytes]] = {}
    for index, line in enumerate(lines):
        accepted = _accept(line, expected_kind, suffix) if suffix else None
        if accepted is None:
            try:
                accepted = transform_line(line, expected_kind, now)
            except RecordError as error:
                bad.append(Rejection.from_error(error, line, index))
                continue
        if partition is None:
            partition = accepted.partition
        elif accepted.partition != partition:
            others.setdefault(accepted.partition, []).append(accepted.line)
            continue
        good.append(accepted.line)
    return good, bad, partition, others


def _bad_encoding(data: object, error: Exception) -> Rejection:
    """Strict base64 failed: keep what was sent, as text when it is text."""
    if type(data) is str:
        raw = data.encode("utf-8", "surrogatepass")
        message = f"data is not base64: {error}"
    else:
        try:
            raw = b"" if data is None else json.dumps(data, default=repr).encode()
        except (ValueError, RecursionError):  # nested past the stdlib's recursion limit
            raw = b""
        message = f"record data must be a base64 string, got {type(data).__name__}"
    return Rejection(Reason.BAD_ENCODING, message, raw, None, "data")


def _failed(record_id: object) -> Entry:
    return {"recordId": record_id, "result": PROCESSING_FAILED, "data": ""}


def _ids_size(ids: list[object]) -> int:
    """Serialised size of the recordIds; Firehose's are alphanumeric, so one test covers all."""
    try:
        joined = "".join(ids)  # type: ignore[arg-type]  # a TypeError names a non-string
    except TypeError:
        joined = ""
    # Each id is alphanumeric ASCII too, or empty: `"` + id + `"`. (bytes test faster.)
    if joined.isascii() and joined.encode("ascii").isalnum():
        return len(joined) + 2 * len(ids)
    return sum(map(_json_size, ids))


def _json_size(value: object) -> int:
    """Serialised size of a recordId; Firehose's are alphanumeric, so the check is cheap."""
    if type(value) is str and value.isascii() and value.isalnum():
        return len(value) + 2
    return len(json.dumps(value))
