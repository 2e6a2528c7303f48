"""The drift gauges follow each model's last run."""

from __future__ import annotations

from datetime import UTC, datetime

from observability.analyze.gauges import record_drift
from observability.analyze.results import DriftResult, FeatureDrift, Status
from observability.core.metrics import Metrics


def _feature(name: str, score: float | None, drifted: bool = False) -> FeatureDrift:
    status = Status.OK if score is not None else Status.INSUFFICIENT_DATA
    return FeatureDrift(name, "num", status, 500, 400, "wasserstein", score, 0.1, drifted)


def _result(*features: FeatureDrift) -> DriftResult:
    start = datetime(2026, 11, 20, tzinfo=UTC)
    return DriftResult("churn", start, start, Status.OK, list(features), 400, 500)


def test_drift_gauges_follow_the_last_run(metrics: Metrics) -> None:
    """Scores and the drifted count are set per run; a feature without a score loses its series."""
    registry = metrics.registry
    record_drift(metrics, _result(_feature("age", 0.3, True), _feature("plan", 0.05)))
    assert (
        registry.get_sample_value("observability_drift_score", {"model": "churn", "feature": "age"})
        == 0.3
    )
    assert (
        registry.get_sample_value("observability_drift_drifted_features", {"model": "churn"}) == 1
    )
    record_drift(metrics, _result(_feature("age", None), _feature("plan", float("nan"))))
    assert (
        registry.get_sample_value("observability_drift_score", {"model": "churn", "feature": "age"})
        is None
    )
    assert (
        registry.get_sample_value(
            "observability_drift_score", {"model": "churn", "feature": "plan"}
        )
        is None
    )
    assert (
        registry.get_sample_value("observability_drift_drifted_features", {"model": "churn"}) == 0
    )
