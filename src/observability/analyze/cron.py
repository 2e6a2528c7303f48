"""A five-field cron matcher (minute hour day-of-month month day-of-week), UTC.

Supports `*`, numbers, ranges `a-b`, steps `*/n` and `a-b/n`, lists `a,b`, and month and
weekday names (`jan`, `mon`). As in Vixie cron, when both day-of-month and day-of-week are
restricted a day matches if either does; 0 and 7 are both Sunday.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

_MONTHS: Final = {
    name: i + 1
    for i, name in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_DAYS: Final = {name: i for i, name in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
#: (name, lowest, highest, names) per field, in cron order.
_FIELDS: Final[tuple[tuple[str, int, int, dict[str, int]], ...]] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 7, _DAYS),
)
#: A schedule that matches nothing for this long (e.g. `0 0 31 2 *`) is refused.
_SEARCH_LIMIT: Final = timedelta(days=366 * 5)


class CronError(ValueError):
    """A cron expression that cannot be parsed; the message names the field."""


@dataclass(frozen=True, slots=True)
class Cron:
    """A parsed expression; `matches(t)` checks one minute, `next_after(t)` finds the next."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, expression: str) -> Cron:
        """Parse five whitespace-separated fields; CronError names the bad field."""
        parts = expression.split()
        if len(parts) != len(_FIELDS):
            raise CronError(f"cron {expression!r}: expected 5 fields, got {len(parts)}")
        sets = [_parse_field(part, *spec) for part, spec in zip(parts, _FIELDS, strict=True)]
        cron = cls(
            expression,
            minutes=sets[0],
            hours=sets[1],
            days=sets[2],
            months=sets[3],
            weekdays=frozenset(d % 7 for d in sets[4]),
            any_day=parts[2] == "*",
            any_weekday=parts[4] == "*",
        )
        if cron.next_after(datetime(2000, 1, 1)) is None:
            raise CronError(f"cron {expression!r}: never matches")
        return cron

    def matches(self, moment: datetime) -> bool:
        """Whether the minute containing `moment` is scheduled."""
        if moment.minute not in self.minutes or moment.hour not in self.hours:
            return False
        return moment.month in self.months and self._day_matches(moment)

    def next_after(self, moment: datetime) -> datetime | None:
        """The first scheduled minute strictly after `moment` (None if there is none)."""
        candidate = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        limit = candidate + _SEARCH_LIMIT
        while candidate < limit:
            if candidate.month not in self.months:
                candidate = _first_of_next_month(candidate)
                continue
            if not self._day_matches(candidate):
                candidate = candidate.replace(hour=0, minute=0) + timedelta(days=1)
                continue
            if candidate.hour not in self.hours:
                candidate = candidate.replace(minute=0) + timedelta(hours=1)
                continue
            if candidate.minute in self.minutes:
                return candidate
            candidate += timedelta(minutes=1)
        return None

    def _day_matches(self, moment: datetime) -> bool:
        day_ok = moment.day in self.days
        weekday_ok = (moment.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return day_ok and weekday_ok
        return day_ok or weekday_ok


def _first_of_next_month(moment: datetime) -> datetime:
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return moment.replace(year=year, month=month, day=1, hour=0, minute=0)


def _parse_field(
    text: str, name: str, low: int, high: int, names: dict[str, int]
) -> frozenset[int]:
    values: set[int] = set()
    for item in text.lower().split(","):
        base, _, step_text = item.partition("/")
        step = _number(step_text, name, names) if step_text else 1
        if step < 1:
            raise CronError(f"cron {name}: step must be at least 1 in {item!r}")
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = _number(first, name, names), _number(last, name, names)
        else:
            start = _number(base, name, names)
            end = high if step_text else start
        if not low <= start <= end <= high:
            raise CronError(f"cron {name}: {item!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


def _number(text: str, name: str, names: dict[str, int]) -> int:
    if text in names:
        return names[text]
    if not text.isdigit():
        raise CronError(f"cron {name}: {text!r} is not a number")
    return int(text)
