"""The drift gauges a Prometheus rule or Grafana panel reads, set from one run's result.

`observability_drift_score{model,feature}` holds each feature's score from the model's
last run (a feature without a score, or no longer in the run, loses its series rather
than keep a stale value); `observability_drift_drifted_features{model}` counts the
drifted ones. Light on purpose: importing it does not import Evidently.
"""

from __future__ import annotations

import math

from observability.analyze.results import DriftResult
from observability.core.metrics import Metrics


def record_drift(metrics: Metrics, result: DriftResult) -> None:
    """Set the model's drift gauges from one run (call after each drift run)."""
    scores = {
        f.feature: f.score
        for f in result.features
        if f.score is not None and math.isfinite(f.score)
    }
    for feature in _reported_features(metrics, result.model) - scores.keys():
        metrics.drift_score.remove(result.model, feature)
    for feature, score in scores.items():
        metrics.drift_score.labels(model=result.model, feature=feature).set(score)
    metrics.drift_drifted_features.labels(model=result.model).set(len(result.drifted))


def _reported_features(metrics: Metrics, model: str) -> set[str]:
    """Features of `model` that currently have a score series."""
    return {
        sample.labels["feature"]
        for family in metrics.drift_score.collect()
        for sample in family.samples
        if sample.labels.get("model") == model
    }
