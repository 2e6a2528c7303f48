"""Five-field cron (models.yaml) -> EventBridge Scheduler `cron(...)` expressions.

Scheduler's cron has six fields (minutes hours day-of-month month day-of-week year), one
of day-of-month and day-of-week must be `?`, and weekdays count from 1 (Sunday). A Unix
expression that restricts both days means "either" (Vixie cron), which one Scheduler
expression cannot say, so it becomes two schedules: one per day field. Fields are written
from the parsed sets of `analyze/cron.py`, so both readings come from one parser.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from observability.analyze.cron import Cron

_WEEKDAYS: Final = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


def _field(values: Iterable[int], low: int, high: int) -> str:
    chosen = sorted(set(values))
    if chosen == list(range(low, high + 1)):
        return "*"
    return ",".join(str(value) for value in chosen)


def _weekdays(values: Iterable[int]) -> str:
    chosen = sorted(set(values))
    if chosen == list(range(7)):
        return "*"
    return ",".join(_WEEKDAYS[value] for value in chosen)


def scheduler_expressions(cron: Cron) -> list[str]:
    """One expression, or two when the cron restricts both day fields (either matches)."""
    minutes = _field(cron.minutes, 0, 59)
    hours = _field(cron.hours, 0, 23)
    months = _field(cron.months, 1, 12)
    days = _field(cron.days, 1, 31)
    weekdays = _weekdays(cron.weekdays)
    head = f"{minutes} {hours}"
    if cron.any_day and cron.any_weekday:
        return [f"cron({head} * {months} ? *)"]
    if cron.any_day:
        return [f"cron({head} ? {months} {weekdays} *)"]
    if cron.any_weekday:
        return [f"cron({head} {days} {months} ? *)"]
    return [f"cron({head} {days} {months} ? *)", f"cron({head} ? {months} {weekdays} *)"]
