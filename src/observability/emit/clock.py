"""UTC timestamps in the canonical record form, cheap enough for every log call.

Formatting a datetime costs more than the rest of a record. The text up to the
millisecond changes at most once a millisecond, so it is cached, and the last three
digits come from a table: a call is one clock read, two integer divisions and a join.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

_DIGITS: Final = tuple(f"{n:03d}" for n in range(1000))
#: The same digits with the closing `Z`: the last step is one concatenation.
_LAST_DIGITS: Final = tuple(f"{n:03d}Z" for n in range(1000))


def _make_clock(time_ns: Callable[[], int] = time.time_ns) -> Callable[[], str]:
    # Each cache is one (key, text) tuple, read and replaced whole: a thread never pairs
    # one millisecond's text with another's digits.
    by_ms: tuple[int, str] = (-1, "")
    by_second: tuple[int, str] = (-1, "")
    digits = _DIGITS
    last_digits = _LAST_DIGITS

    def utc_timestamp() -> str:
        """Now as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC)."""
        nonlocal by_ms, by_second
        micros = time_ns() // 1000
        ms = micros // 1000
        entry = by_ms
        if entry[0] != ms:
            second = ms // 1000
            prefix = by_second
            if prefix[0] != second:
                prefix = (second, time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(second)))
                by_second = prefix
            entry = (ms, prefix[1] + digits[ms % 1000])
            by_ms = entry
        return entry[1] + last_digits[micros % 1000]

    return utc_timestamp


utc_timestamp = _make_clock()
