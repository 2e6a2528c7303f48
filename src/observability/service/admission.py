"""How much of the collector's memory and CPU ingest requests may take at once.

Two bounds: the decoded bytes that all requests being
read hold together (a request that would pass it is answered 503 with Retry-After, so
many large bodies arriving together cannot exhaust memory), and how many requests are
validated at once (the CPU work; the others wait their turn with their body read).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from observability.core.errors import SettingsError
from observability.core.settings import PREFIX, Settings
from observability.service.errors import OverloadedError


class ByteBudget:
    """A count of bytes held, refusing to pass `limit` (thread-safe: bodies are decoded
    in worker threads)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self.lock = threading.Lock()

    @contextmanager
    def hold(self) -> Iterator[Held]:
        """Bytes taken through the yielded `Held` are given back when the block ends."""
        held = Held(self)
        try:
            yield held
        finally:
            with self.lock:
                self.used -= held.nbytes


class Held:
    """One request's share of a `ByteBudget`."""

    def __init__(self, budget: ByteBudget) -> None:
        self._budget = budget
        self.nbytes = 0

    def take(self, nbytes: int) -> None:
        """Hold `nbytes` more, or refuse (503) when the budget would pass its limit."""
        budget = self._budget
        with budget.lock:
            if budget.used + nbytes > budget.limit:
                raise OverloadedError(
                    "the collector holds as many request bodies as it may; retry shortly"
                )
            budget.used += nbytes
            self.nbytes += nbytes


class IngestGate:
    """The byte budget of bodies being read and the slots of requests being validated."""

    def __init__(self, max_inflight_bytes: int, concurrency: int) -> None:
        self.reading = ByteBudget(max_inflight_bytes)
        self.validating = asyncio.Semaphore(concurrency)

    @classmethod
    def from_settings(cls, settings: Settings) -> IngestGate:
        """The gate for `settings`; a value that is not positive names its variable."""
        for name in ("max_inflight_bytes", "ingest_concurrency"):
            if getattr(settings, name) <= 0:
                variable = PREFIX + name.upper()
                raise SettingsError(f"{variable}: must be positive, got {getattr(settings, name)}")
        return cls(settings.max_inflight_bytes, settings.ingest_concurrency)
