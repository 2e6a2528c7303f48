"""The pure per-line transform shared by the Firehose Lambda, the collector and backfills."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import orjson

from observability.core.errors import RecordError, Rejection
from observability.core.partitioning import Partition, partition_of
from observability.core.schema import Kind, parse_json_line, validate


@dataclass(slots=True)
class Accepted:
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
    kind = Kind(record["kind"])
    return Accepted(partition_of(kind, record), orjson.dumps(record), record["record_id"])


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
