"""Alert evaluation as a worker job: a task per rule group on its interval, a notify task
every minute, each run a row of `job_runs`; `build_worker` adds it when alerts.yaml exists."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import orjson

from observability.alerting.job import AlertsJob
from observability.core.metrics import Metrics
from observability.core.schema import Kind
from observability.core.settings import Settings
from observability.query.duckdb import DuckDBEngine
from observability.runtime import Runtime
from observability.store.local import LocalStore
from observability.worker import Worker, build_worker
from observability.worker.runs import read_runs
from tests.alerting.conftest import ERRORS_SQL, errors_rule_yaml, harness, log, minute, write
from tests.worker.conftest import FakeClock


def _five_minute_rules() -> str:
    document = orjson.loads(errors_rule_yaml(source={"sql": {"query": ERRORS_SQL, "window": "5m"}}))
    document["groups"][0]["interval"] = "5m"
    return orjson.dumps(document).decode()


def test_groups_run_on_their_interval_and_notifications_every_minute(
    local_store: LocalStore, engine: DuckDBEngine
) -> None:
    """A 5-minute group is evaluated at minutes 0, 5, 10; notify runs each minute and sends
    once group_wait has passed."""
    write(
        local_store,
        [log("checkout", minute(n) + timedelta(seconds=30), level="error") for n in range(12)],
        Kind.LOG,
    )
    h = harness(local_store, engine, _five_minute_rules())
    assert h.evaluator is not None
    clock = FakeClock(minute(0))
    worker = Worker(local_store, Metrics(), [AlertsJob(h.evaluator)], clock=clock)
    for n in range(0, 11):
        clock.current = minute(n)
        worker.tick(minute(n))
    runs = read_runs(local_store, "alerts")
    groups = [(r.started_at, r.status.value) for r in runs if r.target == "group/app"]
    assert [at for at, _ in groups] == [minute(0), minute(5), minute(10)]
    assert {status for _, status in groups} == {"ok"}
    notify = [r for r in runs if r.target == "notify"]
    assert len(notify) == 11
    assert [n.status for n in h.sent()] == ["firing"]  # fired at 5, sent at 6


def test_build_worker_adds_the_alerts_job_when_the_file_exists(
    store: LocalStore, metrics: Metrics, tmp_path: Path
) -> None:
    """With alerts.yaml the worker has the alerts job; without it, none."""
    rules = tmp_path / "alerts.yaml"
    rules.write_text(errors_rule_yaml())
    settings = Settings(store_url=store.url, alerts_config=rules)
    with Runtime(settings, store=store, metrics=metrics) as runtime:
        worker = build_worker(runtime, models_path=tmp_path / "absent.yaml")
        assert [job.name for job in worker.jobs] == ["compaction", "alerts"]
    without = Settings(store_url=store.url, alerts_config=tmp_path / "absent.yaml")
    with Runtime(without, store=store, metrics=Metrics()) as runtime:
        assert [job.name for job in build_worker(runtime).jobs] == ["compaction"]
