"""The worker loop: every minute, each job's due tasks, each isolated, leased and recorded.

`Worker.tick(minute)` is the unit: it asks every job what is due at that minute, adds the
failed tasks whose backoff has passed, and runs each under its lease. An exception in a
task (any `Exception`) is logged with its traceback, counted, written as an `error` row of
`job_runs` and retried on a later tick after a capped exponential backoff
(`transport.retry.RetryPolicy`, the project's one backoff rule); it never stops another
task or job. A task whose lease another worker holds waits until that lease expires and
is tried again then, so a killed worker's window is computed by the survivor.

Every run logs one line: job, target, window, status and duration. The clock is injected
(`now()` and `wait(stop, seconds)`), so tests drive ticks without sleeping; durations are
measured on the monotonic clock. The loop wakes every `tick_seconds` (and at each minute
boundary, the schedule's resolution). `overdue(now)` tells `/readyz` when the worker made
no progress for `overdue_after`: a wake-up, a run's end and a lease renewal of the running
task each count, so a long drift run keeps the worker ready while a dead loop or a store
that refuses renewals does not.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Protocol, runtime_checkable

from observability.core.metrics import Metrics
from observability.store.base import ObjectStore
from observability.transport.retry import RetryPolicy
from observability.worker.job import Job, Outcome, RunStatus, Task
from observability.worker.lease import Busy, Leases
from observability.worker.runs import JobRun, new_run_id, save_run, worker_id

log = logging.getLogger(__name__)

MINUTE: Final = timedelta(minutes=1)
#: Retries of a failed task: 1 min, 2, 4, ... capped at 1 h (full jitter), 8 attempts.
DEFAULT_RETRY: Final = RetryPolicy(base_delay=60.0, max_delay=3600.0, max_attempts=8)
DEFAULT_LEASE_TTL: Final = timedelta(minutes=5)
DEFAULT_TICK_SECONDS: Final = 30.0
#: Ticks without progress before the worker counts as overdue.
OVERDUE_TICKS: Final = 3
#: After a long stop (a suspended laptop) only this much of the missed schedule is replayed.
DEFAULT_MAX_CATCH_UP: Final = timedelta(hours=6)


@runtime_checkable
class WarmsUp(Protocol):
    """A job that prepares itself in the background when the loop starts (drift: imports)."""

    def start_warm_up(self) -> Any:
        """Start preparing; return without waiting."""
        ...


class Clock(Protocol):
    """Time for the worker: the wall clock, or a fake one in tests."""

    def now(self) -> datetime:
        """The current instant (UTC)."""
        ...

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        """Wait up to `seconds` or until `stop` is set; True when stopped."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """datetime.now(UTC)."""
        return datetime.now(UTC)

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        """Event.wait, so stop() interrupts the wait at once."""
        return stop.wait(max(seconds, 0.0))


@dataclass(slots=True)
class _Pending:
    """A task to try again: after a failure (with backoff) or when another's lease expires."""

    task: Task
    failures: int
    next_at: datetime


class Worker:
    """Runs jobs on minute ticks; compose it with the jobs of this deployment."""

    def __init__(
        self,
        store: ObjectStore,
        metrics: Metrics,
        jobs: Sequence[Job],
        *,
        clock: Clock | None = None,
        holder: str | None = None,
        tick_seconds: float = DEFAULT_TICK_SECONDS,
        lease_ttl: timedelta = DEFAULT_LEASE_TTL,
        renew_every: float | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        overdue_after: timedelta | None = None,
        max_catch_up: timedelta = DEFAULT_MAX_CATCH_UP,
    ) -> None:
        """`overdue_after` defaults to three ticks; leases are renewed every third of their
        time to live or every tick, whichever is sooner (each renewal is progress)."""
        names = [job.name for job in jobs]
        if len(set(names)) != len(names):
            raise ValueError(f"job names must be unique: {names}")
        if tick_seconds <= 0:
            raise ValueError("tick_seconds must be positive")
        self.store = store
        self.metrics = metrics
        self.jobs = tuple(jobs)
        self.clock = clock or SystemClock()
        self.holder = holder or worker_id()
        self.leases = Leases(store, self.holder, lease_ttl, self.clock.now)
        self._tick_seconds = tick_seconds
        self._renew_every = (
            renew_every
            if renew_every is not None
            else min(lease_ttl.total_seconds() / 3, tick_seconds)
        )
        self._retry = retry
        self._overdue_after = overdue_after or OVERDUE_TICKS * timedelta(seconds=tick_seconds)
        self._max_catch_up = max_catch_up
        self._pending: dict[tuple[str, str], _Pending] = {}
        self._last_minute: datetime | None = None
        self._last_tick: datetime | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- state for /readyz ----------------------------------------------------------

    @property
    def last_tick(self) -> datetime | None:
        """When the worker last made progress: a wake-up, a tick, a run's end, a renewal of
        the running task's lease."""
        return self._last_tick

    def overdue(self, now: datetime) -> bool:
        """True when the worker has not made progress for `overdue_after` (or never ran)."""
        last = self._last_tick
        return last is None or now - last > self._overdue_after

    def pending(self) -> dict[tuple[str, str], datetime]:
        """(job, target) -> when it is tried again: failed tasks and tasks leased elsewhere."""
        return {key: entry.next_at for key, entry in self._pending.items()}

    # --- the loop -------------------------------------------------------------------

    def tick(self, minute: datetime | None = None) -> list[JobRun]:
        """Run what every job has due at `minute` (default: the current minute), then the
        retries whose time has come."""
        minute = (minute or self.clock.now()).astimezone(UTC).replace(second=0, microsecond=0)
        self._beat()
        runs: list[JobRun] = []
        for job in self.jobs:
            runs.extend(self._tick_job(job, minute))
        self._beat()
        return runs

    def run_pending(self) -> list[JobRun]:
        """Tick every minute boundary passed since the last call (none missed, none twice)."""
        now = self.clock.now().astimezone(UTC).replace(second=0, microsecond=0)
        if self._last_minute is None:
            self._last_minute = now - MINUTE
        if now - self._last_minute > self._max_catch_up:
            log.warning(
                "worker: %s of schedule missed; replaying the last %s only",
                now - self._last_minute,
                self._max_catch_up,
            )
            self._last_minute = now - self._max_catch_up
        runs = []
        while self._last_minute < now:
            self._last_minute += MINUTE
            runs.extend(self.tick(self._last_minute))
        return runs

    def start(self) -> None:
        """Start the loop in a daemon thread (the service's worker role)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._last_minute = None
        self._beat()
        self._warm_up()
        self._thread = threading.Thread(target=self._loop, name="observability-worker", daemon=True)
        self._thread.start()

    def run_forever(self) -> None:
        """Run the loop in this thread (`observability worker`) until `stop()`, SIGTERM or
        SIGINT; the running task finishes first, a second SIGINT interrupts it."""
        self._stop.clear()
        self._last_minute = None
        self._beat()
        self._warm_up()
        with self._stop_on_signals():
            self._loop()

    def _warm_up(self) -> None:
        """Jobs that warm up (the drift job's Evidently import) start it with the loop."""
        for job in self.jobs:
            if isinstance(job, WarmsUp):
                job.start_warm_up()

    def stop(self, timeout: float | None = 30.0) -> None:
        """Stop the loop; a running task finishes first (up to `timeout` seconds of waiting)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_pending()
            except Exception:
                # Tasks are isolated already; this is a bug in the loop itself. Keep ticking.
                log.exception("worker: tick failed")
            self._beat()
            now = self.clock.now()
            to_minute = 60.0 - now.second - now.microsecond / 1e6
            if self.clock.wait(self._stop, min(self._tick_seconds, to_minute)):
                return

    @contextlib.contextmanager
    def _stop_on_signals(self) -> Iterator[None]:
        """SIGTERM and SIGINT set the stop event (main thread only; handlers restored)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def stop(signum: int, _frame: object) -> None:
            log.info("worker: %s, stopping after the running task", signal.Signals(signum).name)
            signal.signal(signal.SIGINT, signal.default_int_handler)  # a second ^C interrupts
            self._stop.set()

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    # --- one job, one task ------------------------------------------------------------

    def _tick_job(self, job: Job, minute: datetime) -> list[JobRun]:
        name = job.name
        try:
            due = list(job.due(minute))
        except Exception:
            log.exception("job %s: planning %s failed", name, f"{minute:%Y-%m-%dT%H:%MZ}")
            self.metrics.jobs.labels(job=name, outcome=RunStatus.ERROR.value).inc()
            due = []
        now = self.clock.now()
        tasks: dict[str, Task] = {}
        for task in due:
            entry = self._pending.get((name, task.target))
            if entry is None or entry.next_at <= now:
                tasks[task.target] = task
            else:
                entry.task = task  # waits for its backoff; the newest plan runs then
        for (job_name, target), entry in self._pending.items():
            if job_name == name and target not in tasks and entry.next_at <= now:
                tasks[target] = entry.task
        runs = []
        for task in tasks.values():
            run = self._attempt(name, task)
            if run is not None:
                runs.append(run)
            self._beat()
        return runs

    def _attempt(self, job: str, task: Task) -> JobRun | None:
        """Lease, run, log, count, record and schedule a retry; None when leased elsewhere."""
        started_at = self.clock.now()
        clock_start = time.monotonic()
        outcome: Outcome | None = None
        error: Exception | None = None
        try:
            lease = self.leases.acquire(job, task.target)
            if isinstance(lease, Busy):
                self._wait_for(job, task, lease)
                return None
            with self.leases.hold(lease, self._renew_every, self._beat):
                outcome = task.run()
        except Exception as exc:  # noqa: BLE001 (job isolation: logged with its traceback below)
            error = exc
        duration = time.monotonic() - clock_start
        finished_at = self.clock.now()
        status = RunStatus.ERROR if outcome is None else outcome.status
        run = JobRun(
            job=job,
            target=task.target,
            run_id=new_run_id(started_at),
            status=status,
            started_at=started_at,
            finished_at=finished_at,
            duration_seconds=duration,
            error=None if error is None else f"{type(error).__name__}: {error}",
            worker=self.holder,
        )
        self._log(run, task, outcome, error)
        self._count(run)
        self._record(run)
        self._schedule(job, task, error is not None, finished_at)
        return run

    def _wait_for(self, job: str, task: Task, busy: Busy) -> None:
        """Another worker holds the task: try again when its lease runs out."""
        log.info(
            "job %s target %s: busy, leased by %s until %s",
            job,
            task.target,
            busy.holder,
            busy.expires_at.isoformat(),
        )
        self.metrics.jobs.labels(job=job, outcome="busy").inc()
        entry = self._pending.get((job, task.target))
        failures = 0 if entry is None else entry.failures
        self._pending[(job, task.target)] = _Pending(task, failures, busy.expires_at)

    def _log(
        self, run: JobRun, task: Task, outcome: Outcome | None, error: Exception | None
    ) -> None:
        window = "-" if task.window is None else "/".join(t.isoformat() for t in task.window)
        detail = outcome.detail if outcome is not None else run.error or ""
        fields = {
            "job": run.job,
            "target": run.target,
            "window": window,
            "status": run.status.value,
            "duration_seconds": round(run.duration_seconds, 3),
            "run_id": run.run_id,
        }
        message = "job %s target %s window %s: %s in %.2fs (%s)"
        args = (run.job, run.target, window, run.status.value, run.duration_seconds, detail)
        if error is not None:
            log.error(message, *args, exc_info=error, extra=fields)
        else:
            log.info(message, *args, extra=fields)

    def _count(self, run: JobRun) -> None:
        self.metrics.jobs.labels(job=run.job, outcome=run.status.value).inc()
        self.metrics.job_seconds.labels(job=run.job).observe(run.duration_seconds)
        if run.status is not RunStatus.ERROR:
            self.metrics.job_last_success.labels(job=run.job).set(run.finished_at.timestamp())

    def _record(self, run: JobRun) -> None:
        try:
            save_run(self.store, run)
        except Exception:
            log.exception(
                "job %s target %s: could not record run %s", run.job, run.target, run.run_id
            )

    def _schedule(self, job: str, task: Task, failed: bool, now: datetime) -> None:
        key = (job, task.target)
        entry = self._pending.pop(key, None)
        if not failed:
            return
        failures = (0 if entry is None else entry.failures) + 1
        if failures >= self._retry.max_attempts:
            log.error(
                "job %s target %s: giving up after %d failed runs", job, task.target, failures
            )
            return
        delay = timedelta(seconds=self._retry.backoff(failures))
        self._pending[key] = _Pending(task, failures, now + delay)

    def _beat(self) -> None:
        now = self.clock.now()
        self._last_tick = now
        self.metrics.worker_last_tick.set(now.timestamp())
