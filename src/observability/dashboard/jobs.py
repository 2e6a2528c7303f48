"""`GET /jobs`: worker runs (the `job_runs` table), newest first, with status and duration.

Runs are one-row Parquet files under `job_runs/job=<job>/dt=<start day>/` (written by
`worker/runs.py`, columns declared in `core.derived.JOB_RUNS`), read by
`dashboard/tables.py`. Pages follow (started_at, run_id, job) downwards.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from observability.core.checks import is_name
from observability.core.derived import JOB_RUNS
from observability.core.times import format_instant
from observability.dashboard.errors import BadParameterError
from observability.dashboard.listing import Lister
from observability.dashboard.schemas import JobPage, JobRun
from observability.dashboard.tables import PartitionedRows
from observability.store.base import ObjectStore


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _run(job: str, row: dict[str, Any]) -> JobRun:
    return JobRun(
        job=job,
        target=str(row["target"]),
        run_id=str(row["run_id"]),
        status=str(row["status"]),
        started_at=_aware(row["started_at"]),
        finished_at=_aware(row["finished_at"]),
        duration_seconds=float(row["duration_seconds"]),
        error=row.get("error"),
        worker=str(row["worker"]),
    )


def _position(run: JobRun) -> tuple[str, str, str]:
    return (format_instant(run.started_at), run.run_id, run.job)


class Jobs:
    """Reads job runs for the route."""

    def __init__(self, store: ObjectStore, lister: Lister) -> None:
        self._runs = PartitionedRows(JOB_RUNS, store, lister, _run)

    def names(self) -> list[str]:
        """Jobs that have recorded runs."""
        return self._runs.values()

    def page(
        self,
        *,
        job: str | None,
        status: str | None,
        start: datetime,
        end: datetime,
        limit: int,
        after: str | None,
    ) -> JobPage:
        """Runs started in [start, end), newest first, after the cursor."""
        if job is not None and not is_name(job):
            raise BadParameterError(f"bad job name {job[:80]!r}")
        items, next_cursor = self._runs.page(
            [job] if job is not None else self.names(),
            start,
            end,
            keep=lambda run: start <= run.started_at < end and status in (None, run.status),
            position=_position,
            limit=limit,
            after=after,
        )
        return JobPage(items=items, next_cursor=next_cursor)
