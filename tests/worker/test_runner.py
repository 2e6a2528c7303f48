"""The worker loop over a local store: runs as rows, backoff, busy leases, the clock, readiness."""

from __future__ import annotations

import functools
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from observability.core import keys
from observability.core.metrics import Metrics
from observability.store.local import LocalStore
from observability.transport.retry import RetryPolicy
from observability.worker.job import Outcome, RunStatus, Task
from observability.worker.runner import Worker
from observability.worker.runs import read_runs
from tests.worker.conftest import FakeClock

T0 = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


class WindowJob:
    """A real job: at each `every`-th minute, one task per target that writes its result once.

    The result object is the work; a done-marker next to it makes a second attempt skip.
    `fail` names targets whose task raises, `during` runs inside a task (while it is leased).
    """

    name = "windows"

    def __init__(
        self,
        store: LocalStore,
        targets: Sequence[str],
        *,
        every: int = 1,
        fail: frozenset[str] = frozenset(),
        during: Callable[[], object] | None = None,
    ) -> None:
        self.store = store
        self.targets = targets
        self.every = every
        self.fail = fail
        self.during = during
        self.planned: list[datetime] = []

    def due(self, minute: datetime) -> Sequence[Task]:
        self.planned.append(minute)
        if minute.minute % self.every:
            return []
        return [
            Task(target, functools.partial(self.run, target, minute), (minute - MINUTE, minute))
            for target in self.targets
        ]

    def run(self, target: str, minute: datetime) -> Outcome:
        if target in self.fail:
            raise ValueError(f"no reference for {target}")
        done = f"results/{target}.done"
        if self.store.exists(done):
            return Outcome.skipped("already computed")
        if self.during is not None:
            self.during()
        computed = len(list(self.store.list(f"results/{target}/")))
        self.store.put(f"results/{target}/{computed}", minute.isoformat().encode())
        self.store.put(done, b"")
        return Outcome.ok("computed")


def _worker(
    store: LocalStore, metrics: Metrics, job: WindowJob, clock: FakeClock, **options: object
) -> Worker:
    return Worker(store, metrics, [job], clock=clock, **options)  # type: ignore[arg-type]


def _sample(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_each_run_is_a_row_a_log_line_and_a_count(
    store: LocalStore, metrics: Metrics, caplog: pytest.LogCaptureFixture
) -> None:
    """One tick runs each target once: one job_runs row, one log line, one count each."""
    caplog.set_level("INFO", logger="observability.worker")
    clock = FakeClock(T0)
    job = WindowJob(store, ["a", "b"])
    runs = _worker(store, metrics, job, clock, holder="w1").tick(T0)
    assert [(r.target, r.status) for r in runs] == [("a", RunStatus.OK), ("b", RunStatus.OK)]
    rows = read_runs(store, "windows")
    assert sorted((r.target, r.status, r.worker, r.error) for r in rows) == [
        ("a", RunStatus.OK, "w1", None),
        ("b", RunStatus.OK, "w1", None),
    ]
    assert all(keys.job_runs_prefix("windows") in key for key in store.list("job_runs/"))
    lines = [r.getMessage() for r in caplog.records if r.name == "observability.worker.runner"]
    assert len(lines) == 2
    assert lines[0].startswith(
        "job windows target a window 2026-11-30T23:59:00+00:00/2026-12-01T00:00:00+00:00: ok in "
    )
    assert _sample(metrics, "observability_jobs_total", job="windows", outcome="ok") == 2
    assert _sample(
        metrics, "observability_job_last_success_timestamp_seconds", job="windows"
    ) == pytest.approx(T0.timestamp())
    assert list(store.list("leases/")) == []


def test_a_failed_task_is_retried_with_capped_backoff_then_given_up(
    store: LocalStore, metrics: Metrics, caplog: pytest.LogCaptureFixture
) -> None:
    """Retries come 1, 2, 4 minutes apart (capped), each an error row, then the worker gives up."""
    clock = FakeClock(T0)
    job = WindowJob(store, ["bad"], every=60, fail=frozenset({"bad"}))
    policy = RetryPolicy(base_delay=60, max_delay=120, max_attempts=5, random=lambda: 1.0)
    worker = _worker(store, metrics, job, clock, retry=policy)
    for minute in range(12):
        clock.current = T0 + minute * MINUTE
        worker.run_pending()
    attempts = [(r.started_at - T0) // MINUTE for r in read_runs(store, "windows")]
    assert attempts == [0, 1, 3, 5, 7]
    assert {r.status for r in read_runs(store, "windows")} == {RunStatus.ERROR}
    assert read_runs(store)[0].error == "ValueError: no reference for bad"
    assert _sample(metrics, "observability_jobs_total", job="windows", outcome="error") == 5
    assert "giving up after 5 failed runs" in caplog.text
    assert worker.pending() == {}


def test_a_task_leased_elsewhere_waits_for_the_lease_then_skips_done_work(
    store: LocalStore, metrics: Metrics
) -> None:
    """While worker A computes, worker B is busy; at A's lease expiry B finds the work done."""
    clock = FakeClock(T0)
    seen: list[object] = []
    worker_b = _worker(store, Metrics(), WindowJob(store, ["w"]), clock, holder="b")
    job_a = WindowJob(store, ["w"], during=lambda: seen.append(worker_b.tick(T0)))
    worker_a = _worker(store, metrics, job_a, clock, holder="a")
    runs_a = worker_a.tick(T0)
    assert seen == [[]]  # B ran nothing: the lease was A's
    assert worker_b.pending() == {("windows", "w"): T0 + timedelta(minutes=5)}
    assert (
        worker_b.metrics.registry.get_sample_value(
            "observability_jobs_total", {"job": "windows", "outcome": "busy"}
        )
        == 1
    )
    clock.advance(timedelta(minutes=5))
    runs_b = worker_b.tick(T0 + timedelta(minutes=5))
    assert [r.status for r in runs_a] == [RunStatus.OK]
    assert [r.status for r in runs_b] == [RunStatus.SKIPPED]
    assert list(store.list("results/w/")) == ["results/w/0"]


def test_a_lease_left_by_a_dead_worker_is_taken_over_at_expiry(
    store: LocalStore, metrics: Metrics, caplog: pytest.LogCaptureFixture
) -> None:
    """A lease object nobody renews blocks its target until it expires, then the work runs."""
    dead = {
        "version": 1,
        "job": "windows",
        "target": "w",
        "holder": "dead-worker",
        "acquired_at": (T0 - MINUTE).isoformat(),
        "expires_at": (T0 + 2 * MINUTE).isoformat(),
    }
    store.put(keys.lease_key("windows", "w"), orjson.dumps(dead))
    clock = FakeClock(T0)
    worker = _worker(store, metrics, WindowJob(store, ["w"], every=60), clock, holder="alive")
    for minute in range(4):
        clock.current = T0 + minute * MINUTE
        worker.run_pending()
    rows = read_runs(store, "windows")
    assert [(r.status, r.worker, r.started_at) for r in rows] == [
        (RunStatus.OK, "alive", T0 + 2 * MINUTE)
    ]
    assert "took over dead-worker's lease" in caplog.text


def test_the_thread_ticks_each_minute_once_on_a_fake_clock(
    store: LocalStore, metrics: Metrics
) -> None:
    """From 00:00:30 to 01:30:30 of fake time the loop plans each of 91 minutes exactly once."""
    start = T0 + timedelta(seconds=30)
    clock = FakeClock(start, limit=start + timedelta(minutes=90))
    job = WindowJob(store, [], every=1)
    worker = _worker(store, metrics, job, clock)
    worker.start()
    assert worker._thread is not None
    worker._thread.join(timeout=30)
    worker.stop()
    assert job.planned == [T0 + i * MINUTE for i in range(91)]


def test_overdue_when_no_progress(store: LocalStore, metrics: Metrics) -> None:
    """A worker that never ticked, or whose last progress is older than the limit, is overdue."""
    clock = FakeClock(T0)
    worker = _worker(store, metrics, WindowJob(store, []), clock, overdue_after=5 * MINUTE)
    assert worker.overdue(T0)
    worker.tick(T0)
    assert worker.last_tick == T0
    assert not worker.overdue(T0 + 5 * MINUTE)
    assert worker.overdue(T0 + 6 * MINUTE)
    assert _sample(metrics, "observability_worker_last_tick_timestamp_seconds") == T0.timestamp()


def test_a_long_stop_replays_only_the_catch_up_limit(store: LocalStore, metrics: Metrics) -> None:
    """After a stop of days, only the last `max_catch_up` of minutes is planned."""
    clock = FakeClock(T0)
    job = WindowJob(store, [])
    worker = _worker(store, metrics, job, clock, max_catch_up=timedelta(minutes=10))
    worker.run_pending()
    clock.advance(timedelta(days=3))
    job.planned.clear()
    worker.run_pending()
    assert job.planned == [T0 + timedelta(days=3) - timedelta(minutes=9 - i) for i in range(10)]


def test_duplicate_job_names_are_refused(
    store: LocalStore, metrics: Metrics, tmp_path: Path
) -> None:
    """Two jobs of one name would share leases and rows: refused at construction."""
    job = WindowJob(store, [])
    with pytest.raises(ValueError, match="unique"):
        Worker(store, metrics, [job, job])


def test_run_forever_stops_on_sigterm(tmp_path: Path) -> None:
    """`observability worker`'s loop ends cleanly on SIGTERM, saying so, with exit status 0."""
    script = (
        "import logging, sys, threading\n"
        "from pathlib import Path\n"
        "from observability.core.settings import Settings\n"
        "from observability.runtime import Runtime\n"
        "from observability.worker import build_worker\n"
        "logging.basicConfig(level=logging.INFO)\n"
        "runtime = Runtime(Settings(store_url=Path(sys.argv[1]).as_uri()))\n"
        "worker = build_worker(runtime, models_path=Path(sys.argv[2]), tick_seconds=0.2)\n"
        "threading.Timer(1.0, Path(sys.argv[3]).touch).start()  # the loop is running by then\n"
        "worker.run_forever()\n"
        "print('stopped', worker.last_tick is not None, flush=True)\n"
    )
    running = tmp_path / "running"
    argv = [str(tmp_path / "store"), str(tmp_path / "none.yaml"), str(running)]
    process = subprocess.Popen(
        [sys.executable, "-c", script, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 120
        while not running.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, err.decode()
    assert out.decode().strip() == "stopped True"
    assert "SIGTERM, stopping after the running task" in err.decode()
