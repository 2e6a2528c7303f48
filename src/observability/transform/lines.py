"""The pure per-line transform shared by the Firehose Lambda, the collector and backfills.

`transform_line` raises only `RecordError`, whatever the bytes: each known failure has its
reason, and anything unforeseen (a bug) refuses that one line as `unprocessable`, logged,
so a batch never fails for one record (Powertools' batch utilities do the same per record).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final, NamedTuple

import orjson

from observability.core.checks import unencodable
from observability.core.errors import Reason, RecordError, Rejection
from observability.core.partitioning import Partition, partition_of
from observability.core.schema import Kind, parse_json_line, validate

#: `Kind(value)` goes through Enum's Python-level lookup; a dict is several times cheaper.
_KINDS: Final = {kind.value: kind for kind in Kind}
_new: Final = tuple.__new__
_dumps: Final = orjson.dumps
_join: Final = b"".join

log = logging.getLogger(__name__)


class Accepted(NamedTuple):
    """A validated record, rendered as one NDJSON line (without newline)."""

    partition: Partition
    line: bytes
    record_id: str


@dataclass(slots=True)
class Processed:
    """What became of a batch of lines: every input index lands in exactly one list."""

    accepted: list[Accepted] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)


def transform_line(
    line: bytes, expected_kind: Kind | None, ingested_at: str, *, keep: bool = False
) -> Accepted:
    """Parse, validate and normalise one line; raises RecordError with the reason.

    `keep`: the caller holds the line (a buffer): it is copied to its exact size, since
    orjson's output keeps its whole working buffer (4 KiB and up, 20x a typical line).
    """
    try:
        record = validate(parse_json_line(line), expected_kind, ingested_at)
        partition = partition_of(_KINDS[record["kind"]], record)
    except RecordError:
        raise
    # Not `log and carry on`: this line is refused (errors/, counted), the bug is logged,
    # and its neighbours go on.
    except Exception as error:
        raise _unexpected(error) from error
    try:
        rendered = _dumps(record)
    # orjson's JSONEncodeError is TypeError itself: only the dumps call is guarded by it.
    except orjson.JSONEncodeError as error:  # nesting orjson reads (1,024) but will not write
        raise unencodable(record, error) from None
    if keep:
        rendered = _join((rendered, b""))
    # tuple.__new__ skips NamedTuple's Python-level constructor: this runs once per line.
    return _new(Accepted, (partition, rendered, record["record_id"]))


def _unexpected(error: BaseException) -> RecordError:
    """An unforeseen failure on one record, logged with its traceback: `unprocessable`."""
    log.error("a record could not be processed", exc_info=error)
    return RecordError(Reason.UNPROCESSABLE, f"record could not be processed: {error!r:.200}")


def transform_lines(
    lines: Iterable[bytes], expected_kind: Kind | None, ingested_at: str
) -> Processed:
    """Transform many lines; a bad line is rejected with its index, its neighbours go on.

    For callers that buffer what they accept (the collector, backfills): lines are `keep`.
    """
    out = Processed()
    accepted = out.accepted.append
    rejected = out.rejected.append
    for index, line in enumerate(lines):
        try:
            accepted(transform_line(line, expected_kind, ingested_at, keep=True))
        except RecordError as error:
            rejected(Rejection.from_error(error, line, index))
    return out


def split_lines(payload: bytes) -> list[bytes]:
    """NDJSON payload -> non-blank lines; a trailing newline or CRLF is tolerated."""
    return [line.rstrip(b"\r") for line in payload.split(b"\n") if line.strip()]
