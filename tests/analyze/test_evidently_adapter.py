"""The Evidently fence: reports on samples, read back into our dataclasses."""

from __future__ import annotations

import numpy as np
import orjson
import pandas as pd

from observability.analyze import evidently_adapter
from observability.analyze.methods import FeatureType, Method


def test_sample_is_bounded_and_reproducible() -> None:
    """A sample has at most the requested rows and is the same for the same seed."""
    frame = pd.DataFrame({"a": np.arange(50_000)})
    first = evidently_adapter.sample(frame, 1000, seed=3)
    assert len(first) == 1000
    assert first.index.equals(evidently_adapter.sample(frame, 1000, seed=3).index)
    assert evidently_adapter.sample(frame, 100_000, seed=3) is frame


def test_drift_report_reads_columns_with_overrides() -> None:
    """Per-column method and threshold overrides reach Evidently and come back in our types."""
    rng = np.random.default_rng(0)
    reference = pd.DataFrame({"x": rng.normal(0, 1, 2000), "c": rng.choice(["a", "b"], 2000)})
    current = pd.DataFrame({"x": rng.normal(1, 1, 2000), "c": rng.choice(["a", "b"], 2000)})
    report = evidently_adapter.drift_report(
        reference,
        current,
        {"x": FeatureType.NUMERIC, "c": FeatureType.CATEGORICAL},
        {"x": Method.PSI},
        {"x": 0.3},
    )
    columns = {c.column: c for c in report.columns}
    assert columns["x"].method == "psi" and columns["x"].threshold == 0.3
    assert columns["x"].drifted and not columns["c"].drifted
    assert columns["c"].method == "Jensen-Shannon distance"
    assert report.values["RowCount()"] == 2000
    assert "<html" in report.html.lower()
    assert orjson.loads(report.snapshot_json)["metrics"]


def test_quality_report_regression_and_multiclass() -> None:
    """Regression gives RMSE; three classes use the multiclass definition."""
    rng = np.random.default_rng(1)
    regression = pd.DataFrame({"y": rng.normal(size=300), "p": rng.normal(size=300)})
    report = evidently_adapter.quality_report(regression, "regression", "y", "p")
    assert any(name.startswith("RMSE") for name in report.values)
    classes = pd.DataFrame(
        {"y": rng.choice(["a", "b", "c"], 300), "p": rng.choice(["a", "b", "c"], 300)}
    )
    report = evidently_adapter.quality_report(classes, "classification", "y", "p")
    assert 0.0 <= report.values["Accuracy(classification_name=default)"] <= 1.0
