"""The drift job: each model on its cron, for its last closed window, computed once.

At a minute its cron matches, a model gets two tasks:
- its last closed window (target: the report id). A done-marker (`keys.drift_done_key`)
  is written when the window was computed; a later attempt (a retry, a second worker)
  skips it unless labels arrived after the last run (the run record's label count, as
  `DriftJob.backfill` compares it, against `count_labels` now);
- the late-labels sweep (target `<model>/late-labels`): the model's windows that ended
  within `label_lookback` are recomputed when their label count rose since their run,
  so quality metrics catch up with ground truth that arrives late.
`observability drift run` calls the drift job directly and always recomputes.

The drift job itself (`analyze.job.DriftJob`, which imports pandas and, through
`analyze.evidently_adapter`, Evidently) is built once per worker by `open_job`: on first
use, or ahead of it by `start_warm_up()` (the worker factory calls it), which also imports
Evidently in a background thread, so no run waits seconds for its imports.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

import orjson

from observability.core import keys
from observability.store.base import ObjectStore
from observability.worker.job import Outcome, Task

if TYPE_CHECKING:
    from observability.analyze.config import ModelConfig
    from observability.analyze.job import DriftJob, RunRecord
    from observability.analyze.results import DriftResult

#: How far back the late-labels sweep looks, by default.
DEFAULT_LABEL_LOOKBACK: Final = timedelta(days=1)


class DriftWindows:
    """The `drift` job over the configured models; `open_job` builds the drift job once."""

    name: Final = "drift"

    def __init__(
        self,
        store: ObjectStore,
        models: Mapping[str, ModelConfig],
        open_job: Callable[[], DriftJob],
        *,
        label_lookback: timedelta = DEFAULT_LABEL_LOOKBACK,
    ) -> None:
        self.store = store
        self.models = dict(models)
        self.label_lookback = label_lookback
        self._open_job = open_job
        self._job: DriftJob | None = None
        self._job_lock = threading.Lock()

    def drift_job(self) -> DriftJob:
        """The drift job, built once (imports pandas and the analysis)."""
        with self._job_lock:
            if self._job is None:
                self._job = self._open_job()
            return self._job

    def warm_up(self) -> None:
        """Build the drift job and import Evidently now (blocking), not in the first run."""
        self.drift_job()
        from observability.analyze import evidently_adapter

        evidently_adapter.preload()
        evidently_adapter.wait_for_preload()

    def start_warm_up(self) -> threading.Thread:
        """`warm_up` in a daemon thread: the worker ticks meanwhile."""
        thread = threading.Thread(target=self.warm_up, name="drift-warm-up", daemon=True)
        thread.start()
        return thread

    def due(self, minute: datetime) -> Sequence[Task]:
        """A window task (and a late-labels sweep) for each model whose cron matches."""
        names = [
            name
            for name, model in sorted(self.models.items())
            if model.schedule is not None and model.schedule.matches(minute)
        ]
        if not names:
            return []
        from observability.analyze.job import last_closed_window

        tasks = []
        for name in names:
            start, end = last_closed_window(self.models[name], minute)
            report = keys.report_id(name, start, end)
            tasks.append(
                Task(report, functools.partial(self.compute, name, start, end), (start, end))
            )
            if self.label_lookback > timedelta(0):
                since = end - self.label_lookback
                sweep = functools.partial(self.recompute_labelled, name, since, start)
                tasks.append(Task(f"{name}/late-labels", sweep, (since, start)))
        return tasks

    def compute(self, name: str, start: datetime, end: datetime) -> Outcome:
        """Compute a window unless its done-marker says so and no labels arrived since."""
        report = keys.report_id(name, start, end)
        done = keys.drift_done_key(name, report)
        if self.store.exists(done):
            record = self._record(name, report)
            if record is not None:
                labelled = self._labels(name, start, end)
                if labelled <= record.n_labels:
                    return Outcome.skipped(
                        f"done at {record.ran_at.isoformat()}, no labels since ({labelled})"
                    )
        result = self.drift_job().run(name, start, end)
        self.store.put(done, _done_marker(result))
        return Outcome.ok(_summary(result))

    def recompute_labelled(self, name: str, since: datetime, before: datetime) -> Outcome:
        """Recompute the model's windows starting in [since, before) whose labels rose."""
        job = self.drift_job()
        redone = []
        for record in sorted(job.runs(name), key=lambda r: r.window_start):
            if not since <= record.window_start < before:
                continue
            if self._labels(name, record.window_start, record.window_end) > record.n_labels:
                result = job.run(name, record.window_start, record.window_end)
                self.store.put(keys.drift_done_key(name, result.report_id), _done_marker(result))
                redone.append(result.report_id)
        if not redone:
            return Outcome.skipped("no labels arrived after the last runs")
        return Outcome.ok(f"recomputed {len(redone)} with new labels: {', '.join(redone)}")

    def _record(self, name: str, report: str) -> RunRecord | None:
        """What the window's last run saw; None when the record is missing."""
        from observability.analyze.job import RunRecord

        try:
            return RunRecord.from_json(self.store.get(keys.drift_run_key(name, report)))
        except KeyError:
            return None

    def _labels(self, name: str, start: datetime, end: datetime) -> int:
        from observability.analyze.loader import count_labels

        return count_labels(self.drift_job().engine, name, start, end)


def _done_marker(result: DriftResult) -> bytes:
    """The done-marker's body: the report and what the run found, for people reading it."""
    return orjson.dumps(
        {
            "report_id": result.report_id,
            "status": result.status.value,
            "n_current": result.n_current,
            "n_labels": result.n_labels,
        }
    )


def _summary(result: DriftResult) -> str:
    drifted = ", ".join(result.drifted) or "none"
    return f"{result.status.value}, {result.n_current} rows, drifted: {drifted}"
