"""The drift job end to end: DuckDB over a LocalStore written in the collector's layout."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import orjson
import pytest

from observability.analyze.job import DriftJob, read_metrics
from observability.analyze.results import Status
from observability.query.duckdb import DuckDBEngine
from observability.store.local import LocalStore
from tests.analyze.generated import (
    HOURS,
    SHIFT_HOUR,
    SHIFTED,
    START,
    frame,
    model_config,
    write_labels,
    write_predictions,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def setup(store: LocalStore, tmp_path: Path) -> tuple[DriftJob, dict[str, list[str]]]:
    """Six hours of predictions; three features shift from hour 3; reference is a file."""
    rng = np.random.default_rng(42)
    reference_path = tmp_path / "reference.parquet"
    frame(rng, 5000, shifted=False).to_parquet(reference_path)
    model = model_config(reference={"path": str(reference_path)})
    ids = {}
    for hour in range(HOURS):
        start = START + timedelta(hours=hour)
        rows = frame(rng, 2500, shifted=hour >= SHIFT_HOUR)
        ids[start.isoformat()] = write_predictions(store, "gen", start, rows, f"h{hour}")
    job = DriftJob(
        store, DuckDBEngine(store), {"gen": model}, clock=lambda: START + timedelta(days=1)
    )
    return job, ids


def test_flags_exactly_the_shifted_features_after_the_shift(
    setup: tuple[DriftJob, dict[str, list[str]]], store: LocalStore
) -> None:
    """Windows before the shift flag nothing; windows after it flag exactly the three features."""
    job, _ = setup
    for hour in range(HOURS):
        start = START + timedelta(hours=hour)
        result = job.run("gen", start, start + timedelta(hours=1))
        expected = sorted(SHIFTED) if hour >= SHIFT_HOUR else []
        assert sorted(result.drifted) == expected, hour
        assert result.n_current == 2500
    rows = read_metrics(store, "gen")
    assert len(rows) == HOURS * 8
    flagged = rows[rows["drifted"]]
    assert set(flagged["feature"]) == set(SHIFTED)
    assert (flagged["window_start"].dt.hour >= SHIFT_HOUR).all()
    assert set(rows["status"]) == {"ok"}
    report = "gen~20261101T0300_20261101T0400"
    assert store.exists(f"reports/model=gen/dt=2026-11-01/{report}.html")
    snapshot = orjson.loads(store.get(f"reports/model=gen/dt=2026-11-01/{report}.json"))
    assert any(m["config"]["type"].endswith("ValueDrift") for m in snapshot["metrics"])


def test_rerun_replaces_the_window_results(
    setup: tuple[DriftJob, dict[str, list[str]]], store: LocalStore
) -> None:
    """Running the same window twice leaves one set of rows and one report, not two."""
    job, _ = setup
    for _ in range(2):
        job.run("gen", START, START + timedelta(hours=1))
    rows = read_metrics(store, "gen")
    assert len(rows) == 8
    assert len(list(store.list("reports/model=gen/"))) == 3  # .json, .html, .snapshot.json
    assert len(list(store.list("drift_runs/model=gen/"))) == 1


def test_late_labels_trigger_a_backfill(
    setup: tuple[DriftJob, dict[str, list[str]]], store: LocalStore
) -> None:
    """A window re-runs when labels arrive after its run, and then has a quality report."""
    job, ids = setup
    first = job.run("gen", START, START + timedelta(hours=1))
    assert first.n_labels == 0 and first.quality_report is None
    assert job.backfill(START - timedelta(days=1)) == []
    labels = {pid: i % 2 for i, pid in enumerate(ids[START.isoformat()][:300])}
    write_labels(store, "gen", START + timedelta(hours=2), labels)
    rerun = job.backfill(START - timedelta(days=1))
    assert len(rerun) == 1
    assert rerun[0].n_labels == 300
    assert rerun[0].quality_report is not None
    assert "Accuracy(classification_name=default)" in rerun[0].quality_report.values
    report = "gen~20261101T0000_20261101T0100"
    assert store.exists(f"reports/model=gen/dt=2026-11-01/{report}.quality.html")
    assert job.backfill(START - timedelta(days=1)) == []


def test_empty_window_is_recorded_as_no_data(
    setup: tuple[DriftJob, dict[str, list[str]]], store: LocalStore
) -> None:
    """A window without predictions writes no_data rows (for alerting) and no report."""
    job, _ = setup
    start = START + timedelta(days=3)
    result = job.run("gen", start, start + timedelta(hours=1))
    assert result.status is Status.NO_DATA
    rows = read_metrics(store, "gen")
    assert len(rows) == 8
    assert set(rows["status"]) == {"no_data"}
    assert (rows["n_current"] == 0).all()
    assert list(store.list("reports/")) == []
