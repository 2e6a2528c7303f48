"""Tests of observability.emit.clock."""

from __future__ import annotations

import re
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
