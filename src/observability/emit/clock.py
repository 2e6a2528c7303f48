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


def _make_clock(time_ns: Callable[[], int] = time.time_ns) -> Callable[[], str]:
    cached_ms = -1
    cached_second = -1
    second_prefix = ""
    ms_prefix = ""
    digits = _DIGITS

    def utc_timestamp() -> str:
        """Now as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC)."""
        nonlocal cached_ms, cached_second, second_prefix, ms_prefix
        micros = time_ns() // 1000
        ms = micros // 1000
        if ms != cached_ms:
            second = ms // 1000
            if second != cached_second:
                second_prefix = time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(second))
                cached_second = second
            ms_prefix = second_prefix + digits[ms % 1000]
            cached_ms = ms
        return f"{ms_prefix}{digits[micros % 1000]}Z"

    return utc_timestamp


utc_timestamp = _make_clock()
