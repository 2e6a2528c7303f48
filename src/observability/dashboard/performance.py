"""`models/{model}/performance`: accuracy or MAE per window, and how late labels arrive.

Two named queries (`query/library.py`) answer it: `accuracy` (predictions joined to their
latest label) and `label-delay` (seconds from a prediction to its first label); their rows
meet on the window's start. Windows are `window_hours` long and aligned to UTC midnight, as
the queries group them. A model's summary on `GET /models` is the same over its last
drift window: the windows of that range merged, weighted by their labelled predictions
(the delay percentiles of a range over midnight are weighted too, so approximate).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

from observability.dashboard.schemas import ModelPerformance, PerformancePoint
from observability.query.base import QueryEngine, QueryResult
from observability.query.library import ACCURACY, LABEL_DELAY

#: Window lengths the queries can group by: they divide a day.
WINDOW_HOURS: Final = (1, 2, 3, 4, 6, 8, 12, 24)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _run_both(engine: QueryEngine, raw: Mapping[str, Any]) -> tuple[QueryResult, QueryResult]:
    """Both queries at once (a query process each with the isolated engine)."""
    with ThreadPoolExecutor(2) as pool:
        accuracy = pool.submit(ACCURACY.run, engine, raw)
        delay = pool.submit(LABEL_DELAY.run, engine, raw)
        return accuracy.result(), delay.result()


def points(
    engine: QueryEngine, model: str, start: datetime, end: datetime, window_hours: int
) -> list[PerformancePoint]:
    """One point per window with predictions in [start, end), oldest first."""
    raw = {"model": model, "since": start, "until": end, "window_hours": window_hours}
    accuracy, delay = _run_both(engine, raw)
    delays = {_aware(row["window_start"]): row for row in delay.to_dicts()}
    found = []
    length = timedelta(hours=window_hours)
    for row in accuracy.to_dicts():
        begin = _aware(row["window_start"])
        late = delays.get(begin, {})
        predictions, labelled = int(row["predictions"]), int(row["labelled"])
        found.append(
            _point(
                start=begin,
                end=begin + length,
                predictions=predictions,
                labelled=labelled,
                accuracy=_float(row["accuracy"]),
                mae=_float(row["mae"]),
                p50=_float(late.get("p50_delay_seconds")),
                p90=_float(late.get("p90_delay_seconds")),
            )
        )
    return found


def _point(
    *,
    start: datetime,
    end: datetime,
    predictions: int,
    labelled: int,
    accuracy: float | None,
    mae: float | None,
    p50: float | None,
    p90: float | None,
) -> PerformancePoint:
    metric: Literal["accuracy", "mae"] | None = None
    if accuracy is not None:
        metric = "accuracy"
    elif mae is not None:
        metric = "mae"
    return PerformancePoint(
        window_start=start,
        window_end=end,
        predictions=predictions,
        labelled=labelled,
        label_coverage=labelled / predictions if predictions else None,
        metric=metric,
        value=accuracy if accuracy is not None else mae,
        accuracy=accuracy,
        mae=mae,
        label_delay_p50_seconds=p50,
        label_delay_p90_seconds=p90,
    )


def per_window(
    engine: QueryEngine, model: str, start: datetime, end: datetime, window_hours: int
) -> ModelPerformance:
    """The route's answer."""
    return ModelPerformance(
        model=model,
        since=start,
        until=end,
        window_hours=window_hours,
        points=points(engine, model, start, end, window_hours),
    )


def _weighted(parts: Sequence[PerformancePoint], pick: Callable[[PerformancePoint], Any]) -> Any:
    """The labelled-weighted mean of a field over the parts that have it."""
    pairs = [(pick(p), p.labelled) for p in parts if pick(p) is not None and p.labelled]
    total = sum(weight for _value, weight in pairs)
    return sum(value * weight for value, weight in pairs) / total if total else None


def over(engine: QueryEngine, model: str, start: datetime, end: datetime) -> PerformancePoint:
    """One point for the whole of [start, end): its day-aligned parts merged."""
    parts = points(engine, model, start, end, 24)
    predictions = sum(p.predictions for p in parts)
    labelled = sum(p.labelled for p in parts)
    return _point(
        start=start,
        end=end,
        predictions=predictions,
        labelled=labelled,
        accuracy=_weighted(parts, lambda p: p.accuracy),
        mae=_weighted(parts, lambda p: p.mae),
        p50=_weighted(parts, lambda p: p.label_delay_p50_seconds),
        p90=_weighted(parts, lambda p: p.label_delay_p90_seconds),
    )
