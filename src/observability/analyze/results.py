"""Our own result types: what a drift run found, independent of Evidently's snapshot shape."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from observability.core.keys import report_id


class Status(StrEnum):
    """Outcome of one feature (or a whole window) in a run; alerting reads these."""

    OK = "ok"
    NO_DATA = "no_data"
    INSUFFICIENT_DATA = "insufficient_data"
    #: Every value is null, NaN or +/-inf on one side: nothing to compare.
    EMPTY_COLUMN = "empty_column"
    MISSING_IN_CURRENT = "missing_in_current"
    MISSING_IN_REFERENCE = "missing_in_reference"
    #: Present in the window's features but not configured for the model.
    NEW_FEATURE = "new_feature"


@dataclass(frozen=True, slots=True)
class FeatureDrift:
    """One feature in one window; `score` is None when the status says it could not be computed."""

    feature: str
    feature_type: str
    status: Status
    n_reference: int
    n_current: int
    method: str | None = None
    score: float | None = None
    threshold: float | None = None
    drifted: bool = False
    detail: str = ""


@dataclass(frozen=True, slots=True)
class EvidentlyColumn:
    """Evidently's own per-column verdict, from its report on the sample."""

    column: str
    method: str
    score: float
    threshold: float | None
    drifted: bool


@dataclass(slots=True)
class EvidentlyReport:
    """A rendered Evidently report: snapshot JSON, standalone HTML, and what we read from it."""

    snapshot_json: str
    html: str
    columns: list[EvidentlyColumn] = field(default_factory=list)
    #: Scalar metric values by Evidently's metric name (row counts, accuracy, RMSE ...).
    values: dict[str, float] = field(default_factory=dict)
    sample_rows: int = 0
    #: Evidently's own snapshot (`Snapshot.dumps()`, with its widgets): `Snapshot.loads`
    #: and an Evidently workspace read it; `evidently_adapter.stamped` names its window.
    evidently_snapshot: str = ""


@dataclass(slots=True)
class DriftResult:
    """Everything one run produced for a model and window."""

    model: str
    window_start: datetime
    window_end: datetime
    status: Status
    features: list[FeatureDrift]
    n_current: int
    n_reference: int
    n_labels: int = 0
    drift_report: EvidentlyReport | None = None
    quality_report: EvidentlyReport | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def report_id(self) -> str:
        """Unique per model and window, so a re-run replaces the earlier files (`core/keys`)."""
        return report_id(self.model, self.window_start, self.window_end)

    @property
    def drifted(self) -> list[str]:
        """Names of features whose verdict is drift."""
        return [f.feature for f in self.features if f.drifted]

    def rows(self, computed_at: datetime) -> list[dict[str, Any]]:
        """One `drift_metrics` row per feature (NaN-free: a missing score is null).

        `model` and `dt` are not in the rows: the table has them from the path.
        """
        return [
            {
                "window_start": self.window_start,
                "window_end": self.window_end,
                "feature": f.feature,
                "feature_type": f.feature_type,
                "method": f.method,
                "score": f.score if f.score is None or math.isfinite(f.score) else None,
                "threshold": f.threshold,
                "drifted": f.drifted,
                "n_reference": f.n_reference,
                "n_current": f.n_current,
                "status": f.status.value,
                "detail": f.detail,
                "report_id": self.report_id,
                "computed_at": computed_at,
            }
            for f in self.features
        ]
