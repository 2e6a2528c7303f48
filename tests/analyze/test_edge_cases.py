"""Edge cases are recorded as statuses and details on the feature rows, never a crash."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd

from observability.analyze.job import DriftJob, read_metrics
from observability.analyze.results import Status
from observability.analyze.window import analyze_frames
from observability.query.duckdb import DuckDBEngine
from observability.store.local import LocalStore
from tests.analyze.generated import START, frame, model_config

END = START + timedelta(hours=1)


def _frames(n_current: int = 1500) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(7)
    return frame(rng, 3000, shifted=False), frame(rng, n_current, shifted=False)


def _by_feature(result: Any) -> dict[str, Any]:
    return {f.feature: f for f in result.features}


def test_below_min_samples_is_insufficient_data() -> None:
    """A window smaller than min_samples gets insufficient_data rows and no verdicts."""
    reference, current = _frames(30)
    result = analyze_frames(model_config(), START, END, current, reference)
    assert result.status is Status.INSUFFICIENT_DATA
    assert {f.status for f in result.features} == {Status.INSUFFICIENT_DATA}
    assert all(f.score is None and not f.drifted for f in result.features)
    assert all(f.n_current == 30 for f in result.features)
    assert result.drift_report is None


def test_all_null_column_is_empty_column_and_others_still_compared() -> None:
    """A column with only nulls is recorded as empty_column; the rest get verdicts."""
    reference, current = _frames()
    current["num_2"] = np.nan
    current["colour"] = None
    result = analyze_frames(model_config(), START, END, current, reference, with_report=False)
    rows = _by_feature(result)
    assert rows["num_2"].status is Status.EMPTY_COLUMN
    assert rows["num_2"].n_current == 0
    assert "no finite, non-null value in current" in rows["num_2"].detail
    assert rows["colour"].status is Status.EMPTY_COLUMN
    assert rows["num_0"].status is Status.OK and rows["num_0"].method == "wasserstein"


def test_unseen_categories_are_named_and_counted() -> None:
    """Categories absent from the reference are listed in the detail and drive the score."""
    reference, current = _frames()
    current.loc[:599, "colour"] = "purple"
    result = analyze_frames(model_config(), START, END, current, reference, with_report=False)
    colour = _by_feature(result)["colour"]
    assert colour.status is Status.OK
    assert "1 categories never seen in the reference (purple) in 600 rows" in colour.detail
    assert colour.drifted


def test_nan_and_infinite_values_are_dropped_and_counted() -> None:
    """NaN and +/-inf are dropped before testing (as Evidently does) and counted in the detail."""
    reference, current = _frames()
    current.loc[:99, "num_3"] = np.inf
    current.loc[100:149, "num_3"] = -np.inf
    current.loc[150:169, "num_3"] = np.nan
    result = analyze_frames(model_config(), START, END, current, reference)
    num_3 = _by_feature(result)["num_3"]
    assert num_3.status is Status.OK
    assert num_3.n_current == 1500 - 170
    assert num_3.detail == "current: 20 null or NaN, 150 infinite of 1500 dropped"
    assert num_3.score is not None and np.isfinite(num_3.score)
    assert result.drift_report is not None


def test_text_in_a_numeric_feature_is_counted() -> None:
    """Strings in a numeric feature are dropped and reported as not numeric."""
    reference, current = _frames()
    current["num_5"] = current["num_5"].astype(object)
    current.loc[:9, "num_5"] = "n/a"
    result = analyze_frames(model_config(), START, END, current, reference, with_report=False)
    assert _by_feature(result)["num_5"].detail == "current: 10 not numeric of 1500 dropped"


def test_feature_removed_and_added() -> None:
    """A configured feature missing from the window or reference, and an unconfigured one."""
    reference, current = _frames()
    current = current.drop(columns=["num_0"]).assign(brand_new=1.0)
    reference = reference.drop(columns=["num_1"])
    result = analyze_frames(
        model_config(),
        START,
        END,
        current,
        reference,
        extra_features=["brand_new", "num_2"],
    )
    rows = _by_feature(result)
    assert rows["num_0"].status is Status.MISSING_IN_CURRENT
    assert rows["num_1"].status is Status.MISSING_IN_REFERENCE
    assert rows["brand_new"].status is Status.NEW_FEATURE
    assert rows["brand_new"].n_current == 1500
    assert rows["num_2"].status is Status.OK
    assert result.drift_report is not None
    assert {c.column for c in result.drift_report.columns} == {
        "num_2",
        "num_3",
        "num_4",
        "num_5",
        "colour",
        "country",
    }


def test_empty_window_rows_reach_the_store(store: LocalStore, tmp_path: Any) -> None:
    """An empty window stores no_data rows, one per configured feature, for alerting."""
    reference, _ = _frames()
    reference.to_parquet(tmp_path / "ref.parquet")
    model = model_config(reference={"path": str(tmp_path / "ref.parquet")})
    job = DriftJob(store, DuckDBEngine(store), {"gen": model})
    result = job.run("gen", START, END)
    assert result.status is Status.NO_DATA
    rows = read_metrics(store, "gen")
    assert sorted(rows["feature"]) == sorted(model.features)
    assert set(rows["status"]) == {"no_data"} and set(rows["n_reference"]) == {3000}


def test_mostly_null_column_keeps_its_verdict_from_all_rows() -> None:
    """A column with values only outside the report sample still gets a verdict from all rows."""
    reference, current = _frames()
    current["num_4"] = np.nan
    current.loc[:4, "num_4"] = 0.0  # five values: the 100-row report sample has none
    result = analyze_frames(model_config(report_sample_rows=100), START, END, current, reference)
    num_4 = _by_feature(result)["num_4"]
    assert num_4.status is Status.OK and num_4.n_current == 5 and num_4.drifted
    assert result.drift_report is not None and result.notes == []


def test_unreportable_labels_are_noted_not_raised() -> None:
    """Text labels on a regression model: verdicts stand, the quality report's failure is noted."""
    reference, current = _frames()
    current["target"] = "high"
    result = analyze_frames(model_config(task="regression"), START, END, current, reference)
    assert result.n_labels == 1500 and result.quality_report is None
    assert len(result.notes) == 1
    assert result.notes[0].startswith("quality report not rendered: ValueError")
    assert all(f.status is Status.OK for f in result.features)
