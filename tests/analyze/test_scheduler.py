"""Cron matching and the in-process scheduler, driven by a fake clock (no sleeping)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from observability.analyze.cron import Cron, CronError
from observability.analyze.results import DriftResult, Status
from observability.analyze.scheduler import DriftScheduler
from observability.core.errors import ObservabilityError
from tests.analyze.generated import model_config

T0 = datetime(2026, 11, 2, 23, 58, tzinfo=UTC)  # a Monday


class FakeClock:
    """Time moves only when the scheduler waits; stops after `limit`."""

    def __init__(self, start: datetime, limit: datetime) -> None:
        self.current = start
        self.limit = limit
        self.waits = 0

    def now(self) -> datetime:
        return self.current

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        self.waits += 1
        self.current += timedelta(seconds=seconds)
        if self.current >= self.limit:
            stop.set()
        return stop.is_set()


class Recorder:
    """Runs nothing but records each requested window and returns a real result object."""

    def __init__(self, fail: str | None = None) -> None:
        self.calls: list[tuple[str, datetime, datetime]] = []
        self.fail = fail

    def __call__(self, name: str, start: datetime, end: datetime) -> DriftResult:
        self.calls.append((name, start, end))
        if name == self.fail:
            raise ObservabilityError("reference unreadable")
        return DriftResult(name, start, end, Status.NO_DATA, [], 0, 0)


def test_cron_fields() -> None:
    """Steps, ranges, lists, names and the day-of-month/day-of-week OR rule."""
    cron = Cron.parse("*/15 9-17 * * mon-fri")
    assert cron.matches(datetime(2026, 11, 2, 9, 45))
    assert not cron.matches(datetime(2026, 11, 2, 9, 46))
    assert not cron.matches(datetime(2026, 11, 1, 9, 45))  # Sunday
    either = Cron.parse("0 0 1 * 0")
    assert either.matches(datetime(2026, 11, 1))  # the 1st, also a Sunday
    assert either.matches(datetime(2026, 11, 8))  # a Sunday
    assert either.matches(datetime(2026, 12, 1))  # a 1st
    assert not either.matches(datetime(2026, 11, 9))
    assert Cron.parse("0 0 * * 7").matches(datetime(2026, 11, 8))
    assert Cron.parse("30 2 29 2 *").next_after(datetime(2026, 3, 1)) == datetime(
        2028, 2, 29, 2, 30
    )


@pytest.mark.parametrize(
    "text", ["* * * *", "60 * * * *", "*/0 * * * *", "x * * * *", "0 0 31 2 *"]
)
def test_cron_errors(text: str) -> None:
    """Malformed or never-matching expressions are refused."""
    with pytest.raises(CronError):
        Cron.parse(text)


def test_tick_runs_the_window_that_just_closed() -> None:
    """At a scheduled minute each due model runs its last closed window; others do not run."""
    hourly = model_config(name="hourly", schedule="5 * * * *")
    daily = model_config(name="daily", schedule="10 0 * * *", window="1d")
    recorder = Recorder()
    scheduler = DriftScheduler({"hourly": hourly, "daily": daily}, recorder)
    scheduler.tick(datetime(2026, 11, 3, 0, 5, 30, tzinfo=UTC))
    scheduler.tick(datetime(2026, 11, 3, 0, 10, tzinfo=UTC))
    scheduler.tick(datetime(2026, 11, 3, 0, 11, tzinfo=UTC))
    assert recorder.calls == [
        ("hourly", datetime(2026, 11, 2, 23, tzinfo=UTC), datetime(2026, 11, 3, 0, tzinfo=UTC)),
        ("daily", datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC)),
    ]


def test_thread_with_fake_clock_fires_each_scheduled_minute_once() -> None:
    """Over 2h10m of fake time each model runs three times, and a failing model is recorded."""
    models = {
        "hourly": model_config(name="hourly", schedule="5 * * * *"),
        "broken": model_config(name="broken", schedule="0 * * * *"),
    }
    recorder = Recorder(fail="broken")
    clock = FakeClock(T0, T0 + timedelta(hours=2, minutes=10))
    scheduler = DriftScheduler(models, recorder, clock)
    scheduler.start()
    assert scheduler._thread is not None
    scheduler._thread.join(timeout=10)
    scheduler.stop()
    ran = [(r.model, r.window_end, r.error) for r in scheduler.history]
    assert ran == [
        ("broken", datetime(2026, 11, 3, 0, tzinfo=UTC), "reference unreadable"),
        ("hourly", datetime(2026, 11, 3, 0, tzinfo=UTC), None),
        ("broken", datetime(2026, 11, 3, 1, tzinfo=UTC), "reference unreadable"),
        ("hourly", datetime(2026, 11, 3, 1, tzinfo=UTC), None),
        ("broken", datetime(2026, 11, 3, 2, tzinfo=UTC), "reference unreadable"),
        ("hourly", datetime(2026, 11, 3, 2, tzinfo=UTC), None),
    ]
    assert clock.waits >= 130
