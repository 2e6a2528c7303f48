"""Models and their performance: `models` and `models/{model}/performance`."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from observability.dashboard.schemas.common import example

_PERFORMANCE = {
    "window_start": "2026-11-01T03:00:00Z",
    "window_end": "2026-11-01T04:00:00Z",
    "predictions": 2500,
    "labelled": 1800,
    "label_coverage": 0.72,
    "metric": "accuracy",
    "value": 0.91,
    "accuracy": 0.91,
    "mae": None,
    "label_delay_p50_seconds": 5400.0,
    "label_delay_p90_seconds": 20700.0,
}


class PerformancePoint(BaseModel):
    """Predictions joined to their labels over one window (the `accuracy` named query)."""

    model_config = example(_PERFORMANCE)

    window_start: datetime
    window_end: datetime
    predictions: int
    labelled: int = Field(description="Predictions that have a label by now.")
    label_coverage: float | None = Field(description="labelled / predictions.")
    metric: Literal["accuracy", "mae"] | None = Field(
        description="accuracy for classification, mae for regression; null before any label."
    )
    value: float | None = Field(description="The metric's value.")
    accuracy: float | None
    mae: float | None
    label_delay_p50_seconds: float | None = Field(
        description="Median time from a prediction to its first label."
    )
    label_delay_p90_seconds: float | None


class ModelPerformance(BaseModel):
    """`GET /models/{model}/performance`: accuracy or MAE per window, with the label delay."""

    model_config = example(
        {
            "model": "fraud",
            "since": "2026-11-01T00:00:00Z",
            "until": "2026-11-02T00:00:00Z",
            "window_hours": 1,
            "points": [_PERFORMANCE],
        }
    )

    model: str
    since: datetime
    until: datetime
    window_hours: int
    points: list[PerformancePoint]


class LastWindow(BaseModel):
    """A model's most recent drift window."""

    window_start: datetime
    window_end: datetime
    report_id: str
    status: str
    n_current: int
    drifted_count: int
    share_drifted: float | None
    drifted_features: list[str]
    computed_at: datetime | None


class ModelLinks(BaseModel):
    """Where to go next: the API routes and the UI view of the model."""

    drift: str
    reports: str
    performance: str
    view: str


_MODEL = {
    "model": "fraud",
    "configured": True,
    "task": "classification",
    "window_seconds": 3600,
    "features": ["amount", "country"],
    "last_window": {
        "window_start": "2026-11-01T03:00:00Z",
        "window_end": "2026-11-01T04:00:00Z",
        "report_id": "fraud~20261101T0300_20261101T0400",
        "status": "ok",
        "n_current": 2500,
        "drifted_count": 1,
        "share_drifted": 0.5,
        "drifted_features": ["amount"],
        "computed_at": "2026-11-01T04:05:00Z",
    },
    "performance": _PERFORMANCE,
    "links": {
        "drift": "http://127.0.0.1:8000/api/v1/models/fraud/drift",
        "reports": "http://127.0.0.1:8000/api/v1/models/fraud/reports",
        "performance": "http://127.0.0.1:8000/api/v1/models/fraud/performance",
        "view": "http://127.0.0.1:8000/models/fraud",
    },
}


class ModelSummary(BaseModel):
    """A model (configured in models.yaml, or seen in drift_metrics) and its last window."""

    model_config = example(_MODEL)

    model: str
    configured: bool = Field(description="Whether models.yaml defines it.")
    task: str | None
    window_seconds: int | None
    features: list[str] = Field(description="Configured features (or those last seen).")
    last_window: LastWindow | None
    performance: PerformancePoint | None = Field(description="Over the last window.")
    links: ModelLinks


class ModelList(BaseModel):
    """`GET /models`."""

    model_config = example({"models": [_MODEL]})

    models: list[ModelSummary]
