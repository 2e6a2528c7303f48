"""The background task that flushes the collector's buffers by size and by age."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Final

from starlette.concurrency import run_in_threadpool

from observability.service.collector.core import Collector

#: Check at least this often, and at least four times per `buffer_max_seconds`.
MAX_CHECK_SECONDS: Final = 1.0
MIN_CHECK_SECONDS: Final = 0.02

log = logging.getLogger(__name__)


class Flusher:
    """Wakes on a timer or when a request fills the buffers, and flushes off the loop."""

    def __init__(self, collector: Collector) -> None:
        self._collector = collector
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        seconds = collector.policy.max_seconds / 4
        self._interval = min(MAX_CHECK_SECONDS, max(MIN_CHECK_SECONDS, seconds))

    def start(self) -> None:
        """Run the loop on the current event loop."""
        self._task = asyncio.create_task(self._run(), name="collector-flusher")

    def kick(self) -> None:
        """Ask for a check now (the buffers may have reached their size bound)."""
        self._wake.set()

    async def stop(self) -> None:
        """Cancel the loop; the caller then does the final flush."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)
            self._wake.clear()
            if not self._collector.flush_due():
                continue
            try:
                await run_in_threadpool(self._collector.flush)
            except Exception:  # the sealed segment stays journaled and is retried
                log.exception("collector flush failed; will retry")
                await asyncio.sleep(self._interval)
