"""The only backoff loop in the project: full-jitter exponential backoff under a deadline.

Sinks classify; this module decides how long to wait and when to give up, so every sink
(and the indexer) retries the same way. Sleep, clock and randomness are injectable so
tests check the schedule exactly instead of waiting for it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


class Stop(StrEnum):
    """Why a retry loop ended."""

    DONE = "done"
    ATTEMPTS = "attempts"
    DEADLINE = "deadline"
    INTERRUPTED = "interrupted"


@dataclass(frozen=True, slots=True)
class RetryRun:
    """How a run ended and how many attempts it made."""

    stop: Stop
    attempts: int

    @property
    def done(self) -> bool:
        """True when the attempt function reported no retryable work left."""
        return self.stop is Stop.DONE


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter (AWS's recommendation), bounded twice.

    Delay before retry `n` (1-based) is `uniform(0, min(max_delay, base_delay * 2**(n-1)))`;
    the loop stops after `max_attempts` attempts or when the next sleep would end past
    `deadline_seconds` from the start.
    """

    base_delay: float = 0.05
    max_delay: float = 5.0
    max_attempts: int = 10
    deadline_seconds: float = 30.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    random: Callable[[], float] = field(default=random.random, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay < 0 or self.max_delay < 0 or self.deadline_seconds < 0:
            raise ValueError("delays and the deadline cannot be negative")

    def backoff(self, retry: int) -> float:
        """The jittered delay before retry number `retry` (1 for the first retry)."""
        cap = min(self.max_delay, self.base_delay * 2.0 ** min(retry - 1, 62))
        return self.random() * cap

    def run(
        self,
        attempt: Callable[[], bool],
        *,
        deadline_seconds: float | None = None,
        interrupted: Callable[[], bool] | None = None,
    ) -> RetryRun:
        """Call `attempt` until it returns False (nothing retryable left) or a bound is hit.

        `interrupted` is checked before each sleep: a worker uses it to stop retrying when
        it is closing or its queue is under pressure, and to spill what is left instead.
        """
        budget = self.deadline_seconds if deadline_seconds is None else deadline_seconds
        deadline = self.clock() + budget
        attempts = 0
        while True:
            attempts += 1
            if not attempt():
                return RetryRun(Stop.DONE, attempts)
            if attempts >= self.max_attempts:
                return RetryRun(Stop.ATTEMPTS, attempts)
            if interrupted is not None and interrupted():
                return RetryRun(Stop.INTERRUPTED, attempts)
            delay = self.backoff(attempts)
            if self.clock() + delay >= deadline:
                return RetryRun(Stop.DEADLINE, attempts)
            self.sleep(delay)
