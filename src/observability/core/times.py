"""The one time grammar: every CLI option and HTTP parameter that takes a time parses here.

Instants are kept with microsecond precision within [EARLIEST, LATEST): well before 2262,
where nanosecond timestamps in pandas and OpenSearch end. A value is a duration counted
back from `now` (`30m`, `6h`, `2d`) or a date or date-time (`2026-12-03`, `2026-12-03T13`,
`2026-12-03T13:00`, `2026-12-03T13:00:00.250`) with `Z` or an offset; a value without one
is UTC. Ranges are half-open, [start, end): a bare date as an end bound is the start of that
day. `now` is always passed in, so every caller (and test) decides what it is.

Nothing here builds a datetime or a timedelta before the numbers are known to be in range,
so no input, however long or large, reaches an `OverflowError`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Final

from observability.core.errors import ObservabilityError

#: The first instant a record or a parameter may name.
EARLIEST: Final = datetime(1970, 1, 1, tzinfo=UTC)
#: The first instant past the accepted range (half-open).
LATEST: Final = datetime(2200, 1, 1, tzinfo=UTC)
#: The longest duration: the whole accepted range.
MAX_DURATION: Final = LATEST - EARLIEST

_SHAPES: Final = (
    "30m, 6h, 2d, 1w or 90s (that long before now), 2026-12-03, 2026-12-03T13, "
    "2026-12-03T13:00 or 2026-12-03T13:00:00[.ffffff], with Z or an offset like +01:00"
)
#: What the grammar accepts, in the one line every refusal carries.
FORMS: Final = f"{_SHAPES} (none: UTC), from 1970-01-01 to before 2200-01-01"
#: For `--help`: the forms, and that a value without a zone is UTC.
HELP: Final = f"A time: {_SHAPES}; a value without one is UTC."
#: For `--help` of options that take a length of time.
DURATION_HELP: Final = "A duration: a whole number and s, m, h, d or w (90s, 30m, 6h, 2d, 1w)."

#: Seconds per unit of a duration.
UNIT_SECONDS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}

_DURATION_RE: Final = re.compile(r"(\d{1,18})\s*([smhdw])", re.ASCII)
_INSTANT_RE: Final = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})"
    r"(?:[Tt ](?P<hour>\d{2})"
    r"(?::(?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,6}))?)?)?"
    r"(?P<zone>[Zz]|[+-]\d{2}(?::?\d{2})?)?)?",
    re.ASCII,
)
#: Longer text is refused before any pattern runs (the longest valid value is 32 chars).
_MAX_TEXT: Final = 64


class TimeGrammarError(ObservabilityError, ValueError):
    """A time or duration outside the grammar or the range; the message lists the forms.

    Also a ValueError, so callers that already map ValueError to a usage error keep working.
    """


def naive_utc(moment: datetime) -> datetime:
    """The instant as a naive UTC datetime, as the query engines bind and return timestamps
    (and numpy holds them); a naive one is UTC already."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def parse_instant(value: str | datetime, now: datetime) -> datetime:
    """A time in the grammar (or a datetime, naive meaning UTC) -> an aware UTC datetime."""
    if isinstance(value, datetime):
        return utc_instant(value)
    text = _text(value, "time")
    if _DURATION_RE.fullmatch(text):
        reference = _to_utc(now)
        seconds = _seconds(text, "time")
        if seconds > (reference - EARLIEST).total_seconds():
            raise _bad_time(text, "it reaches back before 1970-01-01")
        return _in_range(reference - timedelta(seconds=seconds), text)
    return parse_absolute(text)


def utc_instant(moment: datetime) -> datetime:
    """A datetime as an aware UTC instant (naive means UTC), refused outside the range."""
    return _in_range(_to_utc(moment), moment.isoformat())


def parse_absolute(text: str) -> datetime:
    """A date or date-time of the grammar (no duration) -> an aware UTC datetime."""
    text = _text(text, "time")
    match = _INSTANT_RE.fullmatch(text)
    if match is None:
        raise _bad_time(text)
    part = match.groupdict()
    year = int(part["year"])
    if not EARLIEST.year - 1 <= year <= LATEST.year:  # offsets move a value by < 1 day
        raise _bad_time(text, "out of range")
    zone = _zone(part["zone"], text)
    try:
        moment = datetime(
            year,
            int(part["month"]),
            int(part["day"]),
            int(part["hour"] or 0),
            int(part["minute"] or 0),
            int(part["second"] or 0),
            int((part["fraction"] or "0").ljust(6, "0")),
            tzinfo=zone,
        )
    except ValueError:  # month 13, day 31 of a 30-day month, hour 24, ...
        raise _bad_time(text, "no such date or time") from None
    return _in_range(moment.astimezone(UTC), text)


def parse_duration(text: str, *, at_most: timedelta = MAX_DURATION) -> timedelta:
    """`90s`, `30m`, `6h`, `2d`, `1w` -> a positive timedelta of at most `at_most`."""
    text = _text(text, "duration")
    if not _DURATION_RE.fullmatch(text):
        raise _bad_duration(text)
    seconds = _seconds(text, "duration")
    if seconds == 0:
        raise _bad_duration(text, "it must be longer than zero")
    if seconds > at_most.total_seconds():
        raise _bad_duration(text, f"the longest is {_describe(at_most)}")
    return timedelta(seconds=seconds)


def parse_range(
    since: str | datetime, until: str | datetime, now: datetime
) -> tuple[datetime, datetime]:
    """The half-open range [since, until); a bare date as `until` is the start of that day."""
    start, end = parse_instant(since, now), parse_instant(until, now)
    check_order(start, end)
    return start, end


def parse_window(text: str, now: datetime | None) -> tuple[datetime, datetime]:
    """`START/END`, any form on each side -> [START, END); `now=None` refuses durations.

    Files (models.yaml) pass None: a window written there must not move with the clock.
    """
    start_text, sep, end_text = _text(text, "window").partition("/")
    if not sep:
        raise TimeGrammarError(f"bad window {text!r}: expected START/END, each one of {FORMS}")
    if now is None:
        start, end = parse_absolute(start_text), parse_absolute(end_text)
        check_order(start, end)
        return start, end
    return parse_range(start_text, end_text, now)


def check_order(start: datetime, end: datetime) -> None:
    """TimeGrammarError unless start < end (ranges are half-open: [start, end))."""
    if not start < end:
        raise TimeGrammarError(
            f"empty range: the start {format_instant(start)} is not before "
            f"the end {format_instant(end)} (ranges are [start, end))"
        )


def format_instant(moment: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS.ffffffZ`, the canonical form; a naive datetime is UTC."""
    offset = moment.utcoffset()
    naive = moment.replace(tzinfo=None)
    if offset:
        try:
            naive -= offset
        except OverflowError:  # year 1 or 9999 pushed past the calendar by its offset
            raise TimeGrammarError(f"time out of range in UTC: {moment!r}") from None
    # isoformat pads the year to four digits; strftime's %Y does not on every platform.
    return naive.isoformat(timespec="microseconds") + "Z"


def floor_hour(moment: datetime) -> datetime:
    """The start of the UTC hour that holds `moment`."""
    return _to_utc(moment).replace(minute=0, second=0, microsecond=0)


def floor_day(moment: datetime) -> datetime:
    """The start of the UTC day that holds `moment`."""
    return floor_hour(moment).replace(hour=0)


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise TimeGrammarError(f"bad {what} {value!r}: expected text, one of {FORMS}")
    if len(value) > _MAX_TEXT * (2 if what == "window" else 1):
        bad = _bad_duration if what == "duration" else _bad_time
        raise bad(value, f"longer than {_MAX_TEXT} characters")
    return value.strip()


def _seconds(text: str, what: str) -> int:
    """The duration's length in seconds, as an int: big numbers stay exact and harmless."""
    match = _DURATION_RE.fullmatch(text)
    assert match is not None  # the callers matched it
    seconds = int(match.group(1)) * UNIT_SECONDS[match.group(2)]
    if seconds > MAX_DURATION.total_seconds():
        bad = _bad_time if what == "time" else _bad_duration
        raise bad(text, f"the longest is {_describe(MAX_DURATION)}")
    return seconds


def _zone(zone: str | None, text: str) -> timezone:
    if zone is None or zone in "Zz":
        return UTC
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise _bad_time(text, "an offset is at most ±23:59")
    sign = -1 if zone[0] == "-" else 1
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _to_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise TimeGrammarError(f"time out of range in UTC: {moment!r}") from None


def _in_range(moment: datetime, text: str) -> datetime:
    if not EARLIEST <= moment < LATEST:
        raise _bad_time(text, "out of range")
    return moment


def _describe(length: timedelta) -> str:
    return f"{length.days} days" if length.days else f"{int(length.total_seconds())} seconds"


def _bad_time(text: str, why: str = "") -> TimeGrammarError:
    reason = f" ({why})" if why else ""
    return TimeGrammarError(f"bad time {text[:_MAX_TEXT]!r}{reason}: expected {FORMS}")


def _bad_duration(text: str, why: str = "") -> TimeGrammarError:
    reason = f" ({why})" if why else ""
    return TimeGrammarError(
        f"bad duration {text[:_MAX_TEXT]!r}{reason}: expected a whole number and "
        "s, m, h, d or w (90s, 30m, 6h, 2d, 1w)"
    )
