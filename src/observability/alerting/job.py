"""Alert evaluation as a worker job: one task per rule group on its interval, and one
notification task every minute (group_wait and group_interval count in minutes, whatever
the groups' intervals).

A group is due at the minutes its interval divides (counted from the Unix epoch, so every
worker agrees); its task evaluates it without notifying, and the `notify` task that
follows in the same tick sends what is due. The evaluator's own group claim makes a group
evaluated by a second worker, or by the Lambda, in the same interval a `skipped` run.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

from observability.alerting.evaluator import AlertEvaluator, EvalResult
from observability.worker.job import Outcome, Task

if TYPE_CHECKING:
    from observability.runtime import Runtime

log = logging.getLogger(__name__)

#: The task that sends due notifications, every minute.
NOTIFY_TARGET: Final = "notify"


class AlertsJob:
    """The `alerts` job over one evaluator."""

    name: Final = "alerts"

    def __init__(self, evaluator: AlertEvaluator) -> None:
        self.evaluator = evaluator

    def due(self, minute: datetime) -> Sequence[Task]:
        """Each group whose interval divides this minute, then the notification task."""
        epoch_minute = int(minute.timestamp()) // 60
        tasks = [
            Task(
                f"group/{group.name}",
                functools.partial(self.evaluate, group.name, minute),
                (minute - group.interval, minute),
            )
            for group in self.evaluator.config.groups
            if epoch_minute % int(group.interval.total_seconds() // 60) == 0
        ]
        tasks.append(Task(NOTIFY_TARGET, functools.partial(self.notify, minute)))
        return tasks

    def evaluate(self, group: str, minute: datetime) -> Outcome:
        """Evaluate one group (no notifications: the notify task follows)."""
        result = self.evaluator.evaluate(minute, groups=[group], notify=False)
        if group in result.skipped:
            return Outcome.skipped(result.skipped[group])
        return Outcome.ok(_summary(result))

    def notify(self, minute: datetime) -> Outcome:
        """Send the notifications due at this minute."""
        dispatch = self.evaluator.notify(minute)
        if not dispatch.deliveries:
            return Outcome.skipped("nothing due")
        failed = [d for d in dispatch.deliveries if d.outcome == "failed"]
        detail = "; ".join(str(d) for d in dispatch.deliveries)
        if failed:
            log.warning("alerts: %d of %d deliveries failed", len(failed), len(dispatch.deliveries))
        return Outcome.ok(detail[:1000])


def alerts_job(runtime: Runtime, path: Path | None = None) -> AlertsJob | None:
    """The alerts job of `path` (default: `alerts_config`); None, logged, without a file.

    A file that is there but wrong is a `ConfigError` at start-up, not a job failing each
    minute.
    """
    from observability.alerting.config import load_alerts

    path = path or runtime.settings.alerts_config
    if not path.is_file():
        log.info("worker: no alerts file at %s, alert evaluation is off", path)
        return None
    return AlertsJob(AlertEvaluator.from_runtime(runtime, load_alerts(path)))


def _summary(result: EvalResult) -> str:
    counts = dict.fromkeys(("ok", "nodata", "error"), 0)
    for rule in result.rules:
        counts[rule.status] += 1
    changed = ", ".join(str(t) for t in result.transitions[:5]) or "no changes"
    more = f" (+{len(result.transitions) - 5})" if len(result.transitions) > 5 else ""
    return (
        f"{len(result.rules)} rules ({counts['error']} failed, {counts['nodata']} no data): "
        f"{changed}{more}"
    )
