"""Click types for the one time grammar: every CLI option that takes a time uses one.

A bad value is a usage error naming the option, on one line that lists the accepted forms
(`core/times.py`). `now` is read once per command line, when its options are converted,
so `--since 2h --until 1h` measure from the same instant.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final

import click

from observability.core.times import (
    TimeGrammarError,
    parse_duration,
    parse_instant,
    parse_window,
)

#: Where the command line's `now` is kept in click's per-invocation `meta`.
_NOW_KEY: Final = "observability.times.now"


def command_now(ctx: click.Context | None) -> datetime:
    """The instant durations count back from, the same for every option of one command line."""
    if ctx is None:
        return datetime.now(UTC)
    now: datetime = ctx.meta.setdefault(_NOW_KEY, datetime.now(UTC))
    return now


class _TimeType(click.ParamType[datetime]):
    """`30m`, `2026-12-03`, `2026-12-03T13:00+01:00`, ... -> an aware UTC datetime."""

    name = "time"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return parse_instant(str(value), command_now(ctx))
        except TimeGrammarError as exc:
            self.fail(str(exc), param, ctx)


class _WindowType(click.ParamType[tuple[datetime, datetime]]):
    """`START/END`, any time form on each side -> the half-open range (start, end)."""

    name = "start/end"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[datetime, datetime]:
        if isinstance(value, tuple):
            return value
        try:
            return parse_window(str(value), command_now(ctx))
        except TimeGrammarError as exc:
            self.fail(str(exc), param, ctx)


class _DurationType(click.ParamType[timedelta]):
    """`90s`, `30m`, `6h`, ... -> a positive timedelta."""

    name = "duration"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> timedelta:
        if isinstance(value, timedelta):
            return value
        try:
            return parse_duration(str(value))
        except TimeGrammarError as exc:
            self.fail(str(exc), param, ctx)


TIME: Final = _TimeType()
WINDOW: Final = _WindowType()
DURATION: Final = _DurationType()
