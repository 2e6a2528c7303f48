"""Real data shipped with scikit-learn, split by a known rule: the drift found follows the rule."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes

from observability.analyze.config import model_from_mapping
from observability.analyze.window import analyze_frames
from tests.analyze.generated import START

pytestmark = pytest.mark.slow


def _split(frame: pd.DataFrame, key: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Reference: rows at or below `key`'s median; current: rows above it."""
    median = frame[key].median()
    correlation = frame.corr(method="spearman")[key].abs()
    return frame[frame[key] <= median], frame[frame[key] > median], correlation


def _model(features: list[str], task: str = "classification") -> object:
    return model_from_mapping(
        {
            "name": "real",
            "task": task,
            "features": dict.fromkeys(features, "numeric"),
            "reference": {"path": "unused.parquet"},
            "min_samples": 10,
        }
    )


def test_breast_cancer_split_by_mean_radius() -> None:
    """Features correlated with mean radius (|rho| >= 0.3) drift; unrelated ones (< 0.05) do not."""
    data = load_breast_cancer(as_frame=True).frame
    reference, current, rho = _split(data, "mean radius")
    features = [c for c in data.columns if c not in ("mean radius", "target")]
    model = _model(features)
    result = analyze_frames(
        model,
        START,
        START + timedelta(days=1),
        current,
        reference,  # type: ignore[arg-type]
    )
    drifted = set(result.drifted)
    correlated = {f for f in features if rho[f] >= 0.3}
    unrelated = {f for f in features if rho[f] < 0.05}
    assert len(correlated) >= 15 and unrelated == {
        "fractal dimension error",
        "worst fractal dimension",
    }
    assert correlated <= drifted
    assert not unrelated & drifted
    assert {f.method for f in result.features} == {"ks"}  # 284 reference rows: Evidently's choice
    assert result.drift_report is not None
    evidently = {c.column: c.drifted for c in result.drift_report.columns}
    assert evidently == {f.feature: f.drifted for f in result.features}


def test_diabetes_split_by_bmi() -> None:
    """Diabetes split on bmi: the strongly related features drift, the unrelated `sex` does not."""
    data = load_diabetes(as_frame=True, scaled=False).frame
    reference, current, rho = _split(data, "bmi")
    features = ["age", "bp", "s1", "s3", "s4", "s5", "s6", "sex"]
    result = analyze_frames(
        _model(features, "regression"),  # type: ignore[arg-type]
        START,
        START + timedelta(days=1),
        current,
        reference,
        with_report=False,
    )
    drifted = set(result.drifted)
    strong = {f for f in features if rho[f] >= 0.3}
    assert strong == {"bp", "s3", "s4", "s5", "s6"}
    assert strong <= drifted
    assert "sex" not in drifted and rho["sex"] < 0.15
