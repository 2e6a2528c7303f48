"""The drift job of the worker: a window computed once, recomputed when labels arrive later."""

from __future__ import annotations

import itertools
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from observability.analyze.job import DriftJob, RunRecord
from observability.core import keys
from observability.core.metrics import Metrics
from observability.query.duckdb import DuckDBEngine
from observability.store.local import LocalStore
from observability.worker.drift import DriftWindows
from observability.worker.job import RunStatus
from observability.worker.runner import Worker
from tests.analyze.generated import frame, model_config, write_labels, write_predictions
from tests.worker.conftest import FakeClock

pytestmark = pytest.mark.slow

T0 = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
WINDOW = keys.report_id("fraud", T0, T0 + HOUR)


@pytest.fixture
def drift(store: LocalStore, tmp_path: Path) -> tuple[DriftWindows, list[str]]:
    """`fraud`, hourly at :05, with 300 predictions in 00:00-01:00; each run's time is distinct."""
    rng = np.random.default_rng(3)
    reference = tmp_path / "reference.parquet"
    frame(rng, 400, shifted=False).to_parquet(reference)
    model = model_config(
        name="fraud",
        reference={"path": str(reference)},
        schedule="5 * * * *",
        min_samples=20,
        report_sample_rows=300,
    )
    ids = write_predictions(store, "fraud", T0, frame(rng, 300, shifted=False), "p")
    ticks = (T0 + timedelta(days=1, seconds=s) for s in itertools.count())
    engine = DuckDBEngine(store)
    windows = DriftWindows(
        store,
        {"fraud": model},
        lambda: DriftJob(store, engine, {"fraud": model}, clock=ticks.__next__),
    )
    return windows, ids


def _record(store: LocalStore, report: str = WINDOW) -> RunRecord:
    return RunRecord.from_json(store.get(keys.drift_run_key("fraud", report)))


def test_a_done_window_is_not_computed_again(
    drift: tuple[DriftWindows, list[str]], store: LocalStore
) -> None:
    """The first run writes the done-marker; a second attempt skips and leaves the results."""
    windows, _ids = drift
    first = windows.compute("fraud", T0, T0 + HOUR)
    assert first.status is RunStatus.OK
    assert store.exists(keys.drift_done_key("fraud", WINDOW))
    ran_at = _record(store).ran_at
    again = windows.compute("fraud", T0, T0 + HOUR)
    assert again.status is RunStatus.SKIPPED
    assert "no labels since" in again.detail
    assert _record(store).ran_at == ran_at


def test_labels_after_the_run_trigger_a_recompute(
    drift: tuple[DriftWindows, list[str]], store: LocalStore, metrics: Metrics
) -> None:
    """Labels written after a window ran make the next scheduled sweep recompute it, once."""
    windows, ids = drift
    clock = FakeClock(T0 + HOUR + timedelta(minutes=5))
    worker = Worker(store, metrics, [windows], clock=clock)
    first = worker.tick(clock.current)
    assert [(r.target, r.status) for r in first] == [
        (WINDOW, RunStatus.OK),
        ("fraud/late-labels", RunStatus.SKIPPED),
    ]
    assert _record(store).n_labels == 0

    write_labels(store, "fraud", T0 + HOUR + timedelta(minutes=30), dict.fromkeys(ids[:120], 1))
    clock.current = T0 + 2 * HOUR + timedelta(minutes=5)
    second = worker.tick(clock.current)
    next_window = keys.report_id("fraud", T0 + HOUR, T0 + 2 * HOUR)
    assert [(r.target, r.status) for r in second] == [
        (next_window, RunStatus.OK),
        ("fraud/late-labels", RunStatus.OK),
    ]
    assert _record(store).n_labels == 120
    assert _record(store, next_window).status == "no_data"

    clock.current = T0 + 3 * HOUR + timedelta(minutes=5)
    third = worker.tick(clock.current)
    assert third[-1].target == "fraud/late-labels"
    assert third[-1].status is RunStatus.SKIPPED
    assert _record(store).n_labels == 120
    assert windows.compute("fraud", T0, T0 + HOUR).status is RunStatus.SKIPPED


def test_job_runs_read_as_a_table_through_duckdb(
    drift: tuple[DriftWindows, list[str]], store: LocalStore, metrics: Metrics
) -> None:
    """Each run of the worker is a row of `job_runs` with its job, target, status and worker."""
    windows, _ids = drift
    clock = FakeClock(T0 + HOUR + timedelta(minutes=5))
    Worker(store, metrics, [windows], clock=clock, holder="worker-1").tick(clock.current)
    result = DuckDBEngine(store).execute(
        "SELECT job, target, status, worker, dt, error, duration_seconds > 0 AS timed "
        "FROM job_runs ORDER BY target"
    )
    assert result.rows == [
        ("drift", "fraud/late-labels", "skipped", "worker-1", "2026-12-01", None, True),
        ("drift", WINDOW, "ok", "worker-1", "2026-12-01", None, True),
    ]


def test_the_worker_loop_warms_the_drift_job_up_once(store: LocalStore, metrics: Metrics) -> None:
    """Starting the loop builds the drift job and imports Evidently in the background, once,
    however many threads ask for the job meanwhile."""
    opened: list[DriftJob] = []

    def open_job() -> DriftJob:
        job = DriftJob(store, DuckDBEngine(store), {})
        opened.append(job)
        return job

    windows = DriftWindows(store, {}, open_job)
    clock = FakeClock(T0, limit=T0 + timedelta(minutes=2))
    worker = Worker(store, metrics, [windows], clock=clock, tick_seconds=30)
    worker.start()
    try:
        asked = [windows.drift_job() for _ in range(3)]
        windows.warm_up()  # returns once the background warm-up's import has finished
    finally:
        worker.stop()
    assert len(opened) == 1 and all(job is opened[0] for job in asked)
    assert "evidently.presets" in sys.modules
