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
- The response itself (its entries, empty `data` of `ProcessingFailed` records, and the
  6 MB response limit) is built by `transform/response.py`.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Mapping, Sequence
from functools import partial
from operator import add, itemgetter
from typing import Any, Final, NamedTuple

from observability.core.errors import Reason, RecordError, Rejection
from observability.core.partitioning import Partition
from observability.core.schema import Kind, utc_now_iso
from observability.transform import cloudwatch, typed
from observability.transform.cloudwatch import GZIP_MAGIC, LogGroupMapping
from observability.transform.lines import split_lines, transform_line
from observability.transform.response import (
    DROPPED,
    LAMBDA_RESPONSE_LIMIT_BYTES,
    OK,
    PROCESSING_FAILED,
    RESPONSE_BUDGET_BYTES,
    Entry,
    EventResult,
    ResponseBuilder,
)

#: The response's names are re-exported: callers import them with `transform_event`.
__all__ = [
    "DROPPED",
    "LAMBDA_RESPONSE_LIMIT_BYTES",
    "OK",
    "PROCESSING_FAILED",
    "RESPONSE_BUDGET_BYTES",
    "Entry",
    "EventResult",
    "transform_event",
]

_NO_REJECTIONS: Final[list[Rejection]] = []
_NO_OTHERS: Final[dict[Partition, list[bytes]]] = {}
_DEFAULT_LOG_GROUPS: Final = LogGroupMapping()
_a2b_strict: Final = partial(binascii.a2b_base64, strict_mode=True)
_b2a_line: Final = partial(binascii.b2a_base64, newline=False)
_STR: Final = frozenset({str})
#: A base64 string but its last group of 4, and that group.
_full_groups: Final = itemgetter(slice(None, -4))
_last_group: Final = itemgetter(slice(-4, None))


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

    One-line records in stored form are judged all at once (`typed.accept_many`) and their
    entries built a run at a time; every other record goes on its own (`_record`).
    """
    records: Sequence[Mapping[str, Any]] = event["records"]
    now = ingested_at or utc_now_iso()
    job = _Job(expected_kind, now, typed.stamp(now), log_groups)
    out = ResponseBuilder(records, budget)
    if job.suffix is None:
        for position in range(len(records)):
            if not _record(out, job, position):
                break
        return out.finish()
    datas, payloads = _payloads(records)
    partitions, declined = typed.accept_many(payloads, expected_kind)
    ended = job.suffix + b"\n"
    start = 0
    for position in (*declined, len(records)):
        kept = partitions[start:position]
        if kept and not out.add_run(start, kept, _reframed(datas[start:position], ended)):
            break
        if position == len(records) or not _record(out, job, position):
            break
        start = position + 1
    return out.finish()


class _Job(NamedTuple):
    """What every record of an event is judged with."""

    expected_kind: Kind | None
    now: str
    #: `typed.stamp(now)`; None when `now` cannot be written, and only the generic path runs.
    suffix: bytes | None
    log_groups: LogGroupMapping


def _payloads(records: Sequence[Mapping[str, Any]]) -> tuple[list[Any], list[bytes]]:
    """Each record's data, and that decoded: empty (which the typed path declines) where it
    is not a base64 string, and `_record` then names the problem."""
    datas = [record.get("data") for record in records]
    try:
        if set(map(type, datas)) <= _STR:
            return datas, list(map(_a2b_strict, datas))
    except (ValueError, TypeError):  # binascii.Error, non-ASCII
        pass
    return datas, list(map(_payload, datas))


def _payload(data: Any) -> bytes:
    if type(data) is not str:
        return b""
    try:
        return _a2b_strict(data)
    except (ValueError, TypeError):
        return b""


def _reframed(datas: list[str], ended: bytes) -> list[str]:
    """The data of kept lines (`typed.kept`), made from the data of the lines themselves.

    Base64 writes each 3 bytes as 4 characters of their own. A line's data (strict base64:
    nothing else in it) is full groups, then one last group of 4 holding the line's last
    1-3 bytes, the `}` last. The kept line drops that `}` and appends `ended`: its data is
    the same full groups, then the encoding of the last group's other bytes and `ended`,
    which is the same for every line with that last group.
    """
    lasts = list(map(_last_group, datas))
    ends = {
        last: str(_b2a_line(typed.kept(_a2b_strict(last), ended)), "ascii") for last in set(lasts)
    }
    return list(map(add, map(_full_groups, datas), map(ends.__getitem__, lasts)))


def _record(out: ResponseBuilder, job: _Job, position: int) -> bool:
    """One record by the generic path; False when the response limit ended the event."""
    record_id = out.ids[position]
    data: Any = out.records[position].get("data")
    try:
        payload = _a2b_strict(data)
    except (ValueError, TypeError) as error:  # binascii.Error, non-ASCII, not a string
        out.refuse(position, record_id, [_bad_encoding(data, error)])
        return True
    bad, others = _NO_REJECTIONS, _NO_OTHERS
    if payload[:2] == GZIP_MAGIC:  # a CloudWatch Logs subscription record
        good, bad, partition, others = _subscription(payload, job)
    elif b"\n" in payload:
        good, bad, partition, others = _transform_lines(split_lines(payload), job)
    else:
        partition, text, bad = _one_line(payload, job.expected_kind, job.now)
        good = None
    if partition is None:
        out.refuse(position, record_id, bad)
        return True
    if good is None:
        count = 1
    else:
        count = len(good)
        good.append(b"")  # the join then ends the last line with a newline too
        text = b"\n".join(good)
    if not out.add(position, partition, _b2a_line(text).decode("ascii"), count):
        return False
    if bad or others:
        out.keep(position, bad, (partition.kind, count), others)
    return True


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


def _subscription(
    payload: bytes, job: _Job
) -> tuple[list[bytes], list[Rejection], Partition | None, dict[Partition, list[bytes]]]:
    """A CloudWatch Logs subscription record's lines, as `_transform_lines` gives them.

    Data that is no subscription message is one rejection (the record fails); a control
    message gives nothing at all (the record is dropped).
    """
    try:
        lines = cloudwatch.decode(payload, job.log_groups)
    except RecordError as error:
        return [], [Rejection.from_error(error, payload, None)], None, {}
    if lines is None:
        return [], [], None, {}
    return _transform_lines(lines, job)


def _transform_lines(
    lines: list[bytes], job: _Job
) -> tuple[list[bytes], list[Rejection], Partition | None, dict[Partition, list[bytes]]]:
    """Normalised good lines of the partition set by the first good line, rejections, that
    partition, and the good lines of other partitions by partition.

    Lines in stored form take the typed fast path, all at once.
    """
    good: list[bytes] = []
    bad: list[Rejection] = []
    partition: Partition | None = None
    others: dict[Partition, list[bytes]] = {}
    suffix = job.suffix
    typed_partitions = (
        [None] * len(lines) if suffix is None else typed.accept_many(lines, job.expected_kind)[0]
    )
    for index, line in enumerate(lines):
        found = typed_partitions[index]
        if found is not None and suffix is not None:
            text = typed.kept(line, suffix)
        else:
            try:
                accepted = transform_line(line, job.expected_kind, job.now)
            except RecordError as error:
                bad.append(Rejection.from_error(error, line, index))
                continue
            found, text = accepted.partition, accepted.line
        if partition is None:
            partition = found
        elif found != partition:
            others.setdefault(found, []).append(text)
            continue
        good.append(text)
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
