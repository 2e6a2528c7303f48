"""Packing NDJSON lines into envelopes: one envelope per kind and partition group.

Firehose bills each record rounded up to 5 KB, and botocore's per-record encoding is the
client's bottleneck, so many lines of one partition travel as one newline-joined record.
The transform and the store split them back into lines; Firehose's own multi-record
deaggregation expects exactly this shape. Lines keep their group so that a failed
envelope can be spilled line by line and re-packed later.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from observability.core.schema import Kind
from observability.transport.base import Envelope

#: Below Firehose's 1,000 KiB record limit with room to spare for the transform's stamps.
DEFAULT_AGGREGATE_BYTES: Final = 900 * 1024


@dataclass(frozen=True, slots=True)
class Packed:
    """An envelope together with the lines it carries, for retrying or spilling them."""

    envelope: Envelope
    group: str
    lines: list[bytes]


def pack(
    items: Iterable[tuple[Kind, str, bytes]], max_bytes: int | None, max_lines: int | None = None
) -> list[Packed]:
    """Group `(kind, group, line)` items and pack each group into envelopes.

    `max_bytes` bounds each envelope's data (lines plus their newlines) and `max_lines` its
    line count; `max_bytes` None sends one line per envelope. A single line longer than the
    bound still gets its own envelope: callers refuse oversized lines before packing.
    """
    if max_bytes is None or max_lines == 1:
        return [
            Packed(Envelope(kind, line + b"\n", 1), group, [line]) for kind, group, line in items
        ]
    groups: dict[tuple[Kind, str], list[bytes]] = {}
    for kind, group, line in items:
        bucket = groups.get((kind, group))
        if bucket is None:
            groups[(kind, group)] = [line]
        else:
            bucket.append(line)
    packed: list[Packed] = []
    for (kind, group), lines in groups.items():
        start = 0
        size = 0
        for index, line in enumerate(lines):
            cost = len(line) + 1
            if size and (size + cost > max_bytes or index - start == max_lines):
                packed.append(_envelope(kind, group, lines[start:index]))
                start, size = index, 0
            size += cost
        packed.append(_envelope(kind, group, lines[start:]))
    return packed


def halves(packed: Packed) -> tuple[Packed, Packed]:
    """An envelope of two or more lines as two envelopes of about half the lines each."""
    middle = len(packed.lines) // 2
    if middle == 0:
        raise ValueError("an envelope of one line cannot be split")
    kind = packed.envelope.kind
    return (
        _envelope(kind, packed.group, packed.lines[:middle]),
        _envelope(kind, packed.group, packed.lines[middle:]),
    )


def _envelope(kind: Kind, group: str, lines: list[bytes]) -> Packed:
    data = b"\n".join(lines) + b"\n"
    return Packed(Envelope(kind, data, len(lines)), group, lines)
