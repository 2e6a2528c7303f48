"""The retry policy: attempts, deadline, full-jitter bounds, interruption."""

from __future__ import annotations

import random

import pytest

from observability.transport.retry import RetryPolicy, Stop


class FakeTime:
    """A clock that only moves when the policy sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def policy(fake: FakeTime, **overrides: float) -> RetryPolicy:
    values: dict[str, float] = {
        "base_delay": 0.1,
        "max_delay": 1.0,
        "max_attempts": 5,
        "deadline_seconds": 60.0,
    }
    values.update(overrides)
    return RetryPolicy(
        base_delay=values["base_delay"],
        max_delay=values["max_delay"],
        max_attempts=int(values["max_attempts"]),
        deadline_seconds=values["deadline_seconds"],
        sleep=fake.sleep,
        clock=fake.clock,
        random=lambda: 1.0,
    )


def test_stops_as_soon_as_nothing_is_retryable() -> None:
    """An attempt that reports no retryable work ends the run without sleeping."""
    fake = FakeTime()
    outcomes = iter([True, True, False])
    run = policy(fake).run(lambda: next(outcomes))
    assert run.stop is Stop.DONE and run.done
    assert run.attempts == 3
    assert fake.sleeps == [0.1, 0.2]


def test_gives_up_after_max_attempts() -> None:
    """A permanently retryable attempt is called exactly max_attempts times."""
    fake = FakeTime()
    calls: list[int] = []

    def attempt() -> bool:
        calls.append(1)
        return True

    run = policy(fake, max_attempts=4).run(attempt)
    assert run.stop is Stop.ATTEMPTS
    assert len(calls) == 4
    assert fake.sleeps == [0.1, 0.2, 0.4]


def test_delay_is_capped_by_max_delay() -> None:
    """Exponential growth stops at max_delay."""
    fake = FakeTime()
    policy(fake, max_attempts=8).run(lambda: True)
    assert fake.sleeps == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0]


def test_deadline_stops_before_sleeping_past_it() -> None:
    """The loop never sleeps beyond the deadline; it stops instead."""
    fake = FakeTime()
    run = policy(fake, max_attempts=100, deadline_seconds=1.0).run(lambda: True)
    assert run.stop is Stop.DEADLINE
    assert sum(fake.sleeps) < 1.0
    assert fake.sleeps == [0.1, 0.2, 0.4]  # the next 0.8 would end at 1.5 s


def test_deadline_override_wins() -> None:
    """A per-run deadline (a closing sink's budget) replaces the policy's."""
    fake = FakeTime()
    run = policy(fake, max_attempts=100).run(lambda: True, deadline_seconds=0.0)
    assert run.stop is Stop.DEADLINE
    assert run.attempts == 1
    assert fake.sleeps == []


def test_interrupted_stops_before_the_next_sleep() -> None:
    """An interruption hook that says stop ends the run after the current attempt."""
    fake = FakeTime()
    calls: list[int] = []

    def attempt() -> bool:
        calls.append(1)
        return True

    run = policy(fake).run(attempt, interrupted=lambda: len(calls) >= 2)
    assert run.stop is Stop.INTERRUPTED
    assert len(calls) == 2
    assert fake.sleeps == [0.1]


def test_full_jitter_stays_within_bounds() -> None:
    """Jittered delays fall in [0, min(max_delay, base * 2**(n-1))) and actually vary."""
    generator = random.Random(3)
    jittered = RetryPolicy(base_delay=0.05, max_delay=2.0, random=generator.random)
    for retry in range(1, 12):
        cap = min(2.0, 0.05 * 2 ** (retry - 1))
        draws = [jittered.backoff(retry) for _ in range(200)]
        assert all(0.0 <= d < cap for d in draws)
        assert max(draws) > 0.8 * cap and min(draws) < 0.2 * cap


def test_huge_retry_numbers_do_not_overflow() -> None:
    """The exponent is clamped, so a long outage keeps a finite max_delay."""
    capped = RetryPolicy(base_delay=0.1, max_delay=3.0, random=lambda: 1.0)
    assert capped.backoff(10_000) == 3.0


def test_invalid_policies_are_refused() -> None:
    """Zero attempts or negative delays are configuration errors."""
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="negative"):
        RetryPolicy(deadline_seconds=-1)
