"""The pure per-line transform shared by the Firehose Lambda, the collector and backfills."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final, NamedTuple

import orjson

from observability.core.errors import Reason, RecordError, Rejection
from observability.core.partitioning import Partition, partition_of
from observability.core.schema import Kind, parse_json_line, validate

#: `Kind(value)` goes through Enum's Python-level lookup; a dict is several times cheaper.
_KINDS: Final = {kind.value: kind for kind in Kind}
_new: Final = tuple.__new__
_dumps: Final = orjson.dumps


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


def transform_line(line: bytes, expected_kind: Kind | None, ingested_at: str) -> Accepted:
    """Parse, validate and normalise one line; raises RecordError with the reason."""
    record = validate(parse_json_line(line), expected_kind, ingested_at)
    partition = partition_of(_KINDS[record["kind"]], record)
    try:
        rendered = _dumps(record)
    except orjson.JSONEncodeError as error:  # nesting orjson reads (1,024) but will not write
        raise RecordError(Reason.INVALID_VALUE, f"record cannot be encoded: {error}") from None
    # tuple.__new__ skips NamedTuple's Python-level constructor: this runs once per line.
    return _new(Accepted, (partition, rendered, record["record_id"]))


def transform_lines(
    lines: Iterable[bytes], expected_kind: Kind | None, ingested_at: str
) -> Processed:
    """Transform many lines; a bad line is rejected with its index, its neighbours go on."""
    out = Processed()
    accepted = out.accepted.append
    rejected = out.rejected.append
    for index, line in enumerate(lines):
        try:
            accepted(transform_line(line, expected_kind, ingested_at))
        except RecordError as error:
            rejected(Rejection.from_error(error, line, index))
    return out


def split_lines(payload: bytes) -> list[bytes]:
    """NDJSON payload -> non-blank lines; a trailing newline or CRLF is tolerated."""
    return [line.rstrip(b"\r") for line in payload.split(b"\n") if line.strip()]
