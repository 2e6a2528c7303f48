"""Drift timelines and feature distributions: `models/{model}/drift` and `.../features/...`."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from observability.dashboard.schemas.common import example


class Resolution(StrEnum):
    """One point per drift window, or one per UTC day."""

    WINDOW = "window"
    DAY = "day"


class Source(StrEnum):
    """Where drift points come from: the job's per-window rows, or hourly sketches."""

    DRIFT_METRICS = "drift_metrics"
    SKETCHES = "sketches"


FEATURE_EXAMPLE = {
    "feature": "amount",
    "method": "psi",
    "score": 0.31,
    "threshold": 0.1,
    "drifted": True,
    "status": "ok",
    "windows": None,
    "drifted_windows": None,
}


class FeatureDrift(BaseModel):
    """One feature at one point of a drift timeline."""

    model_config = example(FEATURE_EXAMPLE)

    feature: str
    method: str | None = Field(description="Drift test or distance (psi, ks, wasserstein, ...).")
    score: float | None = Field(description="Null when the feature could not be compared.")
    threshold: float | None
    drifted: bool
    status: str = Field(description="ok, no_data, insufficient_data, empty_column, ...")
    windows: int | None = Field(
        default=None,
        description="Day points from drift_metrics: the windows merged into this point.",
    )
    drifted_windows: int | None = Field(
        default=None,
        description="Day points from drift_metrics: of those, the windows that drifted.",
    )


_POINT = {
    "window_start": "2026-11-01T03:00:00Z",
    "window_end": "2026-11-01T04:00:00Z",
    "report_id": "fraud~20261101T0300_20261101T0400",
    "status": "ok",
    "n_current": 2500,
    "share_drifted": 0.375,
    "drifted_features": ["amount"],
    "features": [FEATURE_EXAMPLE],
}


class DriftPoint(BaseModel):
    """A drift window (or a day of them): the share of drifted features and each feature."""

    model_config = example(_POINT)

    window_start: datetime
    window_end: datetime
    report_id: str | None = Field(description="The window's report; null for day points.")
    status: str = Field(description="ok when any feature was compared; else why none was.")
    n_current: int = Field(description="Rows in the window (the most any feature had).")
    share_drifted: float | None = Field(
        description="Drifted features / features compared; null when none was compared."
    )
    drifted_features: list[str]
    features: list[FeatureDrift]


class DriftTimeline(BaseModel):
    """`GET /models/{model}/drift`: drift over [since, until)."""

    model_config = example(
        {
            "model": "fraud",
            "since": "2026-11-01T00:00:00Z",
            "until": "2026-11-02T00:00:00Z",
            "resolution": "window",
            "source": "drift_metrics",
            "points": [_POINT],
        }
    )

    model: str
    since: datetime
    until: datetime = Field(description="Day resolution widens the range to whole UTC days.")
    resolution: Resolution
    source: Source
    points: list[DriftPoint]


class Bucket(BaseModel):
    """A numeric bin, [lower, upper); null bounds are open ends."""

    lower: float | None
    upper: float | None
    reference: int
    current: int


class Category(BaseModel):
    """A category's rows on each side (null: that side is not known)."""

    value: str
    reference: int | None
    current: int


class SideCounts(BaseModel):
    """Rows of one side, and those without a usable value."""

    rows: int
    nulls: int
    invalid: int = Field(description="Values of the wrong type, and +/-inf for numbers.")


class FeatureDistribution(BaseModel):
    """`GET /models/{model}/features/{feature}`: reference vs current for one window."""

    model_config = example(
        {
            "model": "fraud",
            "feature": "amount",
            "kind": "numeric",
            "window_start": "2026-11-01T03:00:00Z",
            "window_end": "2026-11-01T04:00:00Z",
            "report_id": "fraud~20261101T0300_20261101T0400",
            "source": "sketches",
            "buckets": [
                {"lower": None, "upper": 1.5, "reference": 120, "current": 40},
                {"lower": 1.5, "upper": None, "reference": 95, "current": 160},
            ],
            "categories": [],
            "reference": {"rows": 215, "nulls": 0, "invalid": 0},
            "current": {"rows": 200, "nulls": 0, "invalid": 0},
            "summary": None,
            "drift": FEATURE_EXAMPLE,
        }
    )

    model: str
    feature: str
    kind: Literal["numeric", "categorical"]
    window_start: datetime
    window_end: datetime
    report_id: str | None
    source: Literal["sketches", "report"] = Field(
        description="Counts on the model's reference bins, or the current side's summary "
        "from the stored report when the model has no sketches."
    )
    buckets: list[Bucket]
    categories: list[Category]
    reference: SideCounts | None
    current: SideCounts | None
    summary: dict[str, float] | None = Field(
        description="From a report: the current side's min, max, mean, std and quantiles."
    )
    drift: FeatureDrift | None = Field(description="The window's verdict for the feature.")
