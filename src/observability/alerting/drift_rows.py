"""A model's latest drift window, read from the `drift_metrics` table alone.

Drift rules never read predictions: the drift job already wrote one row per feature and
window, with its score, threshold, verdict and row counts. `read_drift` reads the rows of
windows that ended within a lookback (days bounded both ways, so the query layer chooses
the files up front), `latest_windows` keeps each model's latest, `drift_context` is what an
alert says of it.
"""

# ruff: noqa: S608 - SQL here is module constants; every value is bound by the engine

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from observability.alerting.tabular import aware
from observability.core import keys
from observability.core.times import format_instant, naive_utc
from observability.query.base import QueryEngine

_DRIFT_COLUMNS: Final = (
    "model, window_start, window_end, computed_at, feature, method, score, threshold, "
    "drifted, status, n_reference, n_current, report_id"
)
#: By model (True) or for every model (False); `dt` bounded both ways, so paths are chosen
#: up front instead of listing the table.
_DRIFT_SQL: Final = {
    True: f"SELECT {_DRIFT_COLUMNS} FROM drift_metrics WHERE model = :model "
    "AND dt BETWEEN :since_dt AND :until_dt AND window_end > :since",
    False: f"SELECT {_DRIFT_COLUMNS} FROM drift_metrics "
    "WHERE dt BETWEEN :since_dt AND :until_dt AND window_end > :since",
}


@dataclass(frozen=True, slots=True)
class DriftRow:
    """One feature of one window, from `drift_metrics`."""

    model: str
    window_start: datetime
    window_end: datetime
    feature: str
    method: str | None
    score: float | None
    threshold: float | None
    drifted: bool
    status: str
    n_reference: int
    n_current: int
    report_id: str

    def evidence(self) -> dict[str, Any]:
        """The feature as an alert shows it."""
        return {
            "feature": self.feature,
            "score": self.score,
            "threshold": self.threshold,
            "method": self.method,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
        }


def read_drift(
    engine: QueryEngine, model: str | None, lookback: timedelta, now: datetime, timeout: float
) -> tuple[list[DriftRow], int]:
    """The rows of one model's (or every model's) windows that ended within `lookback`,
    and the bytes read."""
    since = now - lookback
    params: dict[str, Any] = {
        "since_dt": keys.day(since),
        "until_dt": keys.day(now),
        "since": naive_utc(since),
    }
    if model is not None:
        params["model"] = model
    result = engine.execute(_DRIFT_SQL[model is not None], params, timeout_seconds=timeout)
    return [_drift_row(row) for row in result.to_dicts()], result.bytes_scanned or 0


def latest_windows(rows: Sequence[DriftRow]) -> dict[str, list[DriftRow]]:
    """Each model's latest window (by end, then start): its rows."""
    by_window: dict[str, dict[tuple[datetime, datetime], list[DriftRow]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for row in rows:
        by_window[row.model][(row.window_end, row.window_start)].append(row)
    return {name: windows[max(windows)] for name, windows in by_window.items()}


def drift_context(rows: Sequence[DriftRow]) -> dict[str, Any]:
    """What an alert says of a drift window: the window, its report, its drifted features."""
    first = rows[0]
    return {
        "model": first.model,
        "window_start": format_instant(first.window_start),
        "window_end": format_instant(first.window_end),
        "report_id": first.report_id,
        "n_current": max(row.n_current for row in rows),
        "drifted_features": [
            row.evidence() for row in sorted(rows, key=lambda r: r.feature) if row.drifted
        ],
    }


def _drift_row(row: Mapping[str, Any]) -> DriftRow:
    return DriftRow(
        model=str(row["model"]),
        window_start=aware(row["window_start"]),
        window_end=aware(row["window_end"]),
        feature=str(row["feature"]),
        method=row["method"],
        score=_finite(row["score"]),
        threshold=_finite(row["threshold"]),
        drifted=bool(row["drifted"]),
        status=str(row["status"]),
        n_reference=int(row["n_reference"] or 0),
        n_current=int(row["n_current"] or 0),
        report_id=str(row["report_id"]),
    )


def _finite(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else None
