"""The five-field cron matcher that schedules drift windows (UTC)."""

from __future__ import annotations

from datetime import datetime

import pytest

from observability.analyze.cron import Cron, CronError


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
