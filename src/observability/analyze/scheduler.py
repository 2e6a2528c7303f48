"""In-process drift scheduling: each model's job on its cron, for the window just closed.

One daemon thread wakes at each minute boundary, asks every model's cron whether the
minute is scheduled and runs the job for the model's last closed window. The clock is
injected (`now()` and `wait(event, seconds)`), so tests drive it without sleeping.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from observability.analyze.config import ModelConfig, load_models
from observability.analyze.job import DriftJob, last_closed_window
from observability.analyze.loader import s3_reader
from observability.analyze.results import DriftResult
from observability.core.aws import AwsClients
from observability.core.errors import ObservabilityError
from observability.core.settings import Settings

log = logging.getLogger(__name__)

RunWindow = Callable[[str, datetime, datetime], DriftResult]


class Clock(Protocol):
    """Time for the scheduler: the wall clock, or a fake one in tests."""

    def now(self) -> datetime:
        """The current instant (UTC)."""
        ...

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        """Wait up to `seconds` or until `stop` is set; True when stopped."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """datetime.now(UTC)."""
        return datetime.now(UTC)

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        """Event.wait, so stop() interrupts the wait at once."""
        return stop.wait(max(seconds, 0.0))


@dataclass(frozen=True, slots=True)
class ScheduledRun:
    """One run the scheduler started and how it ended."""

    model: str
    window_start: datetime
    window_end: datetime
    fired_at: datetime
    error: str | None = None


@dataclass
class DriftScheduler:
    """Fires each model's job on its cron; `tick(minute)` is the unit the thread repeats."""

    models: Mapping[str, ModelConfig]
    run_window: RunWindow
    clock: Clock = field(default_factory=SystemClock)
    history: list[ScheduledRun] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _last: datetime | None = None

    def tick(self, minute: datetime) -> list[ScheduledRun]:
        """Run every model whose cron matches `minute` (UTC, truncated to the minute)."""
        minute = minute.astimezone(UTC).replace(second=0, microsecond=0)
        fired = []
        for name, model in sorted(self.models.items()):
            if model.schedule is None or not model.schedule.matches(minute):
                continue
            start, end = last_closed_window(model, minute)
            error = None
            try:
                self.run_window(name, start, end)
            except ObservabilityError as exc:
                # One model's failure (bad reference, query error) must not stop the others;
                # it is kept in the history and logged with its window.
                error = str(exc)
                log.error("drift run failed", extra={"model": name, "window": f"{start}/{end}"})
            run = ScheduledRun(name, start, end, minute, error)
            fired.append(run)
            self.history.append(run)
        return fired

    def run_pending(self) -> list[ScheduledRun]:
        """Tick every minute boundary passed since the last call (none missed, none twice)."""
        now = self.clock.now().astimezone(UTC).replace(second=0, microsecond=0)
        if self._last is None:
            self._last = now - timedelta(minutes=1)
        fired = []
        while self._last < now:
            self._last += timedelta(minutes=1)
            fired.extend(self.tick(self._last))
        return fired

    def start(self) -> None:
        """Start the daemon thread."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._last = None
        self._thread = threading.Thread(target=self._loop, name="drift-scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = 10.0) -> None:
        """Stop the thread; a running job finishes first."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_pending()
            now = self.clock.now()
            until_next = 60.0 - now.second - now.microsecond / 1e6
            if self.clock.wait(self._stop, until_next):
                return


def start_scheduler(
    settings: Settings,
    models_path: Path,
    *,
    store: Any,
    engine: Any,
    clock: Clock | None = None,
) -> DriftScheduler:
    """Read `models.yaml`, build the job over the service's store and engine, start the thread.

    The service calls this in its lifespan and `stop()` on shutdown; `settings` gives the
    AWS clients that read s3:// references (made only if one is read).
    """
    models = load_models(models_path)
    aws = AwsClients(settings)
    job = DriftJob(store, engine, models, s3_reader=s3_reader(aws.s3))
    scheduler = DriftScheduler(models, job.run, clock or SystemClock())
    scheduler.start()
    return scheduler
