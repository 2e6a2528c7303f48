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
    #: Refused for its size as a whole (HTTP 413): halves may pass, so it is split and resent
    #: at once; only a single line still refused this way is REJECTED.
    TOO_LARGE = "too_large"


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
    #: Most lines in one envelope (the collector's lines per request); None: no bound.
    max_envelope_lines: int | None

    def send(self, batch: Sequence[Envelope], timeout: float | None = None) -> SendResult:
        """Send once, without retrying; raise only for errors that cover the whole batch.

        `timeout` is what is left of a shutdown deadline: a sink that can bound its calls
        does so and answers RETRYABLE for what it had no time to send. None: its own timeouts.
        """
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

    def in_use_here(self) -> bool:
        """True while the current thread is inside one of this sink's critical sections:
        a signal handler that interrupted it must let it finish before closing the sink."""
        ...

    def close(self, timeout: float | None = None) -> bool:
        """Deliver what was submitted within `timeout` (None: the sink's own shutdown
        deadline), keep the rest where the next process finds it, and stop. Idempotent.

        Lines submitted afterwards are kept at once (written through, or spilled): the
        process may end right after, without running any more code (a signal's default
        action). Returns True when nothing had to be left undelivered.
        """
        ...
