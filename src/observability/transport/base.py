"""The transport contracts: `Sink` delivers batches, `LineSink` takes lines from the SDK.

A `Sink` only classifies: for each envelope of a batch it says accepted, retryable or
rejected. Backoff, aggregation, queueing and spilling live in one place around it
(`transport/background.py` and `transport/retry.py`), so every sink behaves the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from observability.core.schema import Kind


@dataclass(frozen=True, slots=True)
class Envelope:
    """One unit of delivery: NDJSON lines of one kind and one partition, newline-joined.

    With aggregation an envelope holds many lines (one Firehose record); without it, one.
    """

    kind: Kind
    data: bytes
    count: int = 1


class Outcome(StrEnum):
    """What happened to one envelope of a batch."""

    ACCEPTED = "accepted"
    RETRYABLE = "retryable"
    REJECTED = "rejected"


@dataclass(slots=True)
class SendResult:
    """Per-envelope outcomes, index-aligned with the batch that was sent."""

    outcomes: list[Outcome]
    #: Reason per index for RETRYABLE or REJECTED envelopes (the service's error code/message).
    reasons: dict[int, str] = field(default_factory=dict)

    @property
    def all_accepted(self) -> bool:
        """True when nothing needs a retry or a spill."""
        return all(outcome is Outcome.ACCEPTED for outcome in self.outcomes)


class Sink(Protocol):
    """A destination that sends one batch synchronously and classifies each envelope."""

    name: str
    #: Largest envelope the destination takes (Firehose: 1,000 KiB).
    max_envelope_bytes: int

    def send(self, batch: Sequence[Envelope]) -> SendResult:
        """Send once, without retrying; raise only for errors that cover the whole batch."""
        ...


class LineSink(Protocol):
    """What the SDK writes rendered lines to; `submit` is on the logging hot path."""

    def submit(self, kind: Kind, group: str, line: bytes) -> None:
        """Hand over one NDJSON line (no newline); never blocks beyond a small budget.

        `group` is `partitioning.group_key(...)`: lines with equal groups share a partition
        and may be aggregated into one envelope.
        """
        ...

    def flush(self, timeout: float | None = None) -> bool:
        """Deliver (or spill) everything submitted so far; True if nothing is left."""
        ...

    def close(self) -> None:
        """Flush and stop; idempotent."""
        ...
