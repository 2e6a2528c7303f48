"""Query results as alert values: the window's parameters, rows grouped into label sets.

A SQL source returns rows; an alert needs one value per label set. `reduce_rows` groups the
rows by their label columns (by default every text column but the partitions `dt` and
`hour`) and reduces each group's values (`last`, `first`, `max`, `min`, `avg`, `sum`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from observability.alerting.sources import NOT_LABELS
from observability.core import keys
from observability.core.errors import ObservabilityError
from observability.core.times import format_instant, naive_utc
from observability.query.base import QueryResult

#: Label sets one rule may return; more is an error (a label column that is an id).
MAX_LABEL_SETS: Final = 1000


class SourceError(ObservabilityError):
    """A source answered something a rule cannot use (a missing column, too many labels)."""


def window_params(start: datetime, end: datetime) -> dict[str, Any]:
    """`start`, `end` (naive UTC) and the `dt` bounds covering [start, end)."""
    last = end - timedelta(microseconds=1)
    return {
        "start": naive_utc(start),
        "end": naive_utc(end),
        "start_dt": keys.day(start),
        "end_dt": keys.day(last),
    }


def reduce_rows(
    result: QueryResult, value: str, labels: Sequence[str] | None, how: str
) -> list[tuple[dict[str, str], float | None]]:
    """Rows grouped by their label columns, each group's values reduced to one."""
    if value not in result.columns:
        raise SourceError(
            f"the result has no column {value!r} (columns: {', '.join(result.columns)})"
        )
    rows = result.to_dicts()
    names = list(labels) if labels is not None else label_columns(result.columns, rows, value)
    missing = [name for name in names if name not in result.columns]
    if missing:
        raise SourceError(f"label column(s) {', '.join(missing)} not in the result")
    groups: dict[tuple[str, ...], list[float]] = {}
    for row in rows:
        key = tuple("" if row[n] is None else str(row[n]) for n in names)
        values = groups.setdefault(key, [])
        number = _number(row[value], value)
        if number is not None:
            values.append(number)
    if len(groups) > MAX_LABEL_SETS:
        raise SourceError(f"more than {MAX_LABEL_SETS} label sets: is a label column an id?")
    return [
        (dict(zip(names, key, strict=True)), _reduce(values, how)) for key, values in groups.items()
    ]


def label_columns(
    columns: Iterable[str], rows: Sequence[Mapping[str, Any]], value: str
) -> list[str]:
    """Text columns, but the value and the partition columns `dt` and `hour`."""
    return [
        name
        for name in columns
        if name != value
        and name not in NOT_LABELS
        and all(row[name] is None or isinstance(row[name], str) for row in rows)
    ]


def _reduce(values: list[float], how: str) -> float | None:
    if not values:
        return None
    if how == "last":
        return values[-1]
    if how == "first":
        return values[0]
    if how == "max":
        return max(values)
    if how == "min":
        return min(values)
    total = math.fsum(values)
    return total / len(values) if how == "avg" else total


def _number(value: object, column: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return float(value)
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SourceError(f"column {column!r} holds {value!r:.40}, not a number") from None
    return number if math.isfinite(number) else None


def aware(moment: datetime) -> datetime:
    """An aware UTC datetime (naive means UTC, as the engines return them)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def jsonable(value: object) -> object:
    """A value as JSON can hold it: a datetime as the canonical instant."""
    if isinstance(value, datetime):
        return format_instant(aware(value))
    return value
