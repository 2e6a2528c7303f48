"""A drift job that raises for one model never stops the other model's scheduled windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from observability.analyze.job import DriftJob, RunRecord
from observability.analyze.results import DriftResult
from observability.core import keys
from observability.core.metrics import Metrics
from observability.query.duckdb import DuckDBEngine
from observability.store.local import LocalStore
from observability.transport.retry import RetryPolicy
from observability.worker.drift import DriftWindows
from observability.worker.job import RunStatus
from observability.worker.runner import Worker
from observability.worker.runs import read_runs
from tests.analyze.generated import frame, model_config, write_predictions
from tests.worker.conftest import FakeClock

pytestmark = pytest.mark.slow

T0 = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


class FailsFor(DriftJob):
    """The real drift job, made to raise ValueError for one model (a bug in its data path)."""

    def __init__(self, *args: Any, broken: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.broken = broken

    def run(self, name: str, start: datetime, end: datetime, progress: Any = None) -> DriftResult:
        if name == self.broken:
            raise ValueError(f"could not convert string to float: 'n/a' ({name})")
        return super().run(name, start, end, progress)


def test_value_error_in_one_model_leaves_the_other_on_schedule(
    store: LocalStore, metrics: Metrics, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Over 3h10m `fraud` runs each hourly window at :05 while `broken` fails, is logged with
    its traceback, counted and retried with backoff."""
    rng = np.random.default_rng(7)
    reference = tmp_path / "reference.parquet"
    frame(rng, 400, shifted=False).to_parquet(reference)
    common: dict[str, Any] = {"reference": {"path": str(reference)}, "schedule": "5 * * * *"}
    common |= {"min_samples": 20, "report_sample_rows": 300}
    models = {name: model_config(name=name, **common) for name in ("broken", "fraud")}
    write_predictions(store, "fraud", T0 + HOUR, frame(rng, 300, shifted=True), "f1")
    engine = DuckDBEngine(store)
    windows = DriftWindows(
        store,
        models,
        lambda: FailsFor(store, engine, models, broken="broken"),
        label_lookback=timedelta(0),
    )
    clock = FakeClock(T0)
    policy = RetryPolicy(base_delay=60, max_delay=600, max_attempts=100, random=lambda: 1.0)
    worker = Worker(store, metrics, [windows], clock=clock, retry=policy)
    for minute in range(3 * 60 + 10):
        clock.current = T0 + timedelta(minutes=minute)
        worker.run_pending()

    runs = read_runs(store, "drift")
    fraud = [r for r in runs if r.target.startswith("fraud~")]
    assert [(r.target, r.status, r.started_at) for r in fraud] == [
        (keys.report_id("fraud", T0 + i * HOUR - HOUR, T0 + i * HOUR), RunStatus.OK, started)
        for i, started in enumerate(T0 + i * HOUR + timedelta(minutes=5) for i in range(4))
    ]
    for run in fraud:
        _model, start, _end = keys.parse_report_id(run.target)
        assert store.exists(keys.drift_done_key("fraud", run.target))
        record = RunRecord.from_json(store.get(keys.drift_run_key("fraud", run.target)))
        assert record.status == ("ok" if start == T0 + HOUR else "no_data")

    broken = [r for r in runs if r.target.startswith("broken~")]
    assert {r.status for r in broken} == {RunStatus.ERROR}
    first_window = [
        (r.started_at - T0) // timedelta(minutes=1)
        for r in broken
        if r.target == keys.report_id("broken", T0 - HOUR, T0)
    ]
    # 1, 2, 4, 8 minutes apart, then capped at 10 minutes.
    assert first_window[:7] == [5, 6, 8, 12, 20, 30, 40]
    assert not list(store.list(keys.drift_runs_prefix("broken")))
    assert all(r.error and r.error.startswith("ValueError: could not convert") for r in broken)

    errors = metrics.registry.get_sample_value(
        "observability_jobs_total", {"job": "drift", "outcome": "error"}
    )
    assert errors == len(broken)
    assert metrics.registry.get_sample_value(
        "observability_jobs_total", {"job": "drift", "outcome": "ok"}
    ) == len(fraud)
    failures = [r for r in caplog.records if r.exc_info and r.exc_info[0] is ValueError]
    assert len(failures) == len(broken)
    assert "Traceback (most recent call last)" in caplog.text
    assert f"job drift target {keys.report_id('broken', T0 - HOUR, T0)}" in failures[0].getMessage()
