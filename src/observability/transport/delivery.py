"""One batch on its way, and which of its lines are not settled yet.

`Delivery` records what each send did to each envelope: accepted, to retry, rejected, or
too large (then it is halved and the halves go again at once). `Flight` is what makes a
bounded `close` exact: the worker publishes the lines it holds that are neither
delivered, rejected nor spilled, under one lock; at the deadline the closer takes them
and marks the flight abandoned, and the worker, when its request finally returns, finds
that out under the same lock and stops. Each line is settled by exactly one of them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TypeAlias

from observability.core.schema import Kind
from observability.transport.aggregate import Packed, halves
from observability.transport.base import Outcome, SendResult

Item: TypeAlias = tuple[Kind, str, bytes]


class Abandoned(Exception):  # noqa: N818 - a message between two threads, not an error
    """The closer took the worker's unsettled lines at the deadline; the worker stops."""


class Flight:
    """The lines a worker holds, unsettled; guard every settling step with `lock`."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.abandoned = False
        self.items: list[Item] = []
        self.parts: list[Packed] = []

    def check(self) -> None:
        """Raise `Abandoned` if the closer took over (call with `lock` held)."""
        if self.abandoned:
            raise Abandoned

    def hold(self, items: list[Item]) -> None:
        """The worker took these lines from the queue."""
        with self.lock:
            self.check()
            self.items, self.parts = items, []

    def take(self) -> tuple[list[Item], list[Packed]]:
        """The closer's side: everything unsettled, and no more settling by the worker."""
        with self.lock:
            self.abandoned = True
            taken = self.items, self.parts
            self.items, self.parts = [], []
        return taken


@dataclass(slots=True)
class Delivery:
    """A batch's envelopes (halves appended as they are made) and where each one is."""

    parts: list[Packed]
    accepted: int = 0
    #: Indexes into `parts` still to retry, with the reason of their last failure.
    retry: list[int] = field(default_factory=list)
    reasons: dict[int, str] = field(default_factory=dict)
    undelivered: list[tuple[Packed, str]] = field(default_factory=list)

    def classify(
        self, sent: list[int], result: SendResult
    ) -> tuple[list[int], list[tuple[Packed, str]]]:
        """Record the outcome of sending `sent`: the halves to send at once, and the
        envelopes refused for good with their reasons."""
        parts = self.parts
        resend: list[int] = []
        refused: list[tuple[Packed, str]] = []
        for position, outcome in enumerate(result.outcomes):
            index = sent[position]
            part = parts[index]
            if outcome is Outcome.ACCEPTED:
                self.accepted += part.envelope.count
            elif outcome is Outcome.TOO_LARGE and len(part.lines) > 1:
                for half in halves(part):
                    parts.append(half)
                    resend.append(len(parts) - 1)
            elif outcome in (Outcome.REJECTED, Outcome.TOO_LARGE):
                refused.append((part, result.reasons.get(position, "rejected by the destination")))
            else:
                self.retry.append(index)
                self.reasons[index] = result.reasons.get(position, "retryable")
        return resend, refused
