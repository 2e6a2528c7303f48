"""What a scheduled job gives the worker: for a minute, the tasks due, each with a target.

A job plans; the worker runs. `Job.due(minute)` names what to do at that minute (drift:
each model whose cron matches, for its last closed window; compaction: each closed
partition whose compacted file is stale), as `Task`s. The worker takes the lease of the
job and the task's target, calls `Task.run`, and records the run. A task that finds its
work already done returns `Outcome.skipped(...)`; a failure is an exception, which the
worker logs, counts and retries with backoff.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class RunStatus(StrEnum):
    """How a run ended, as the `job_runs.status` column holds it."""

    OK = "ok"
    ERROR = "error"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a task that did not fail reports: done, or nothing to do, with a short detail."""

    status: RunStatus
    detail: str = ""

    @classmethod
    def ok(cls, detail: str = "") -> Outcome:
        """The work was done."""
        return cls(RunStatus.OK, detail)

    @classmethod
    def skipped(cls, detail: str) -> Outcome:
        """The work was already done (a done-marker, a current file); `detail` says which."""
        return cls(RunStatus.SKIPPED, detail)


@dataclass(frozen=True, slots=True)
class Task:
    """One unit of a job: a target (the lease and the run row name it) and what to do."""

    #: Model and window (a report id), a partition prefix, ...: one lease per job and target.
    target: str
    run: Callable[[], Outcome]
    #: The window the task covers, for the run's log line.
    window: tuple[datetime, datetime] | None = None


class Job(Protocol):
    """A scheduled job: a name (metrics, leases, `job_runs.job`) and its plan for a minute."""

    @property
    def name(self) -> str:
        """A partition-safe name: `drift`, `compaction`, `alerts`."""
        ...

    def due(self, minute: datetime) -> Sequence[Task]:
        """The tasks due at `minute` (UTC, whole minute); cheap when nothing is due."""
        ...
