"""Synthetic `drift_metrics` rows of hourly windows, for the UI's seed and the API benchmark:
many windows without running the drift job on each."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta

from observability.core import keys
from observability.core.derived import DRIFT_METRICS


def hourly_window(
    model: str, start: datetime, features: Sequence[str], rng: random.Random, *, drifting: int
) -> tuple[str, bytes]:
    """The key and the Parquet of one hour's rows; the first `drifting` features often drift
    (scores up to 0.2 against a 0.1 threshold, the others up to 0.08)."""
    end = start + timedelta(hours=1)
    report = keys.report_id(model, start, end)
    rows = []
    for i, feature in enumerate(features):
        score = rng.random() * (0.2 if i < drifting else 0.08)
        rows.append(
            {
                "window_start": start,
                "window_end": end,
                "feature": feature,
                "feature_type": "numeric",
                "method": "wasserstein",
                "score": score,
                "threshold": 0.1,
                "drifted": score >= 0.1,
                "n_reference": 10_000,
                "n_current": 2_500,
                "status": "ok",
                "detail": "",
                "report_id": report,
                "computed_at": end + timedelta(minutes=5),
            }
        )
    return keys.drift_metrics_key(report), DRIFT_METRICS.parquet(rows)
