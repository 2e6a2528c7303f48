"""Tests of observability.emit.clock."""

from __future__ import annotations

import re
import sys
import threading
from datetime import UTC, datetime

from observability.core.schema import normalize_timestamp
from observability.emit.clock import _make_clock, utc_timestamp

_FORM = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def test_timestamp_is_canonical_utc_now() -> None:
    """The timestamp has the record form, is already canonical and is the current UTC time."""
    before = datetime.now(UTC)
    text = utc_timestamp()
    after = datetime.now(UTC)
    assert _FORM.fullmatch(text)
    assert normalize_timestamp(text) == text
    parsed = datetime.fromisoformat(text)
    assert before.replace(microsecond=before.microsecond // 1000 * 1000) <= parsed <= after


def test_cached_prefixes_follow_milliseconds_and_seconds() -> None:
    """Crossing a millisecond, a second and a day changes the text exactly as the time does."""
    instants = iter(
        [
            1_795_000_000_123_456_789,  # 2026-11-18T...
            1_795_000_000_123_999_000,  # same millisecond
            1_795_000_000_124_000_001,  # next millisecond
            1_795_000_001_000_000_000,  # next second
            1_795_000_000_123_456_789 + 86_400 * 10**9,  # next day
        ]
    )
    clock = _make_clock(lambda: next(instants))
    texts = [clock() for _ in range(5)]
    expected = [
        datetime.fromtimestamp(ns // 1000 / 1e6, UTC)
        for ns in (
            1_795_000_000_123_456_789,
            1_795_000_000_123_999_000,
            1_795_000_000_124_000_001,
            1_795_000_001_000_000_000,
            1_795_000_000_123_456_789 + 86_400 * 10**9,
        )
    ]
    assert texts == [e.strftime("%Y-%m-%dT%H:%M:%S.%fZ") for e in expected]


def test_threads_never_pair_one_milliseconds_text_with_anothers_digits() -> None:
    """Threads reading different milliseconds at once each get their own instant's text,
    with the caches replaced under them as often as the interpreter switches threads."""
    local = threading.local()
    base = 1_795_000_000_000_000_000

    def time_ns() -> int:
        local.n += 1
        return base + (local.n * 4 + local.lane) * 1_000_000 + local.lane * 1_000

    clock = _make_clock(time_ns)
    wrong: list[tuple[str, str]] = []

    def run(lane: int) -> None:
        local.lane, local.n = lane, 0
        for _ in range(20_000):
            text = clock()
            ns = base + (local.n * 4 + lane) * 1_000_000 + lane * 1_000
            expected = datetime.fromtimestamp(ns // 1000 / 1e6, UTC)
            if text != expected.strftime("%Y-%m-%dT%H:%M:%S.%fZ"):
                wrong.append((text, expected.isoformat()))

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=run, args=(lane,)) for lane in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert wrong == []
