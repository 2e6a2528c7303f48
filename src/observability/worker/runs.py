"""Job runs are data: each run of a worker job is one row of the `job_runs` table.

A run is written as a one-row Parquet file at `keys.job_run_key(job, started_at, run_id)`
in the columns `core.derived.JOB_RUNS` declares, so DuckDB and Athena read every run as a
table (`SELECT * FROM job_runs WHERE status = 'error'`) with no writer owning a shared
file: two workers never append to the same object.
"""

from __future__ import annotations

import io
import os
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from observability.core import keys
from observability.core.derived import JOB_RUNS
from observability.store.base import ObjectStore
from observability.worker.job import RunStatus

#: Longest error text kept in a row; the log line has the whole traceback.
MAX_ERROR_CHARS = 2000


def worker_id() -> str:
    """`<host>-<pid>-<random>`: unique per worker object, readable in leases and rows."""
    host = "".join(c if c.isalnum() or c in ".-" else "-" for c in socket.gethostname())[:64]
    return f"{host or 'host'}-{os.getpid()}-{secrets.token_hex(3)}"


def new_run_id(started_at: datetime) -> str:
    """Sortable by start time, unique across workers: `20261201T000500123456-9f1c2a7b0d3e`."""
    return f"{started_at:%Y%m%dT%H%M%S%f}-{secrets.token_hex(6)}"


@dataclass(frozen=True, slots=True)
class JobRun:
    """One run: the job, its target, how it ended, how long it took, and who ran it."""

    job: str
    target: str
    run_id: str
    status: RunStatus
    started_at: datetime
    finished_at: datetime
    duration_seconds: float
    error: str | None
    worker: str

    @property
    def key(self) -> str:
        """Where the run's row is stored."""
        return keys.job_run_key(self.job, self.started_at, self.run_id)

    def row(self) -> dict[str, Any]:
        """The row in `JOB_RUNS` column names (`job` and `dt` are the key's partitions)."""
        error = None if self.error is None else self.error[:MAX_ERROR_CHARS]
        return {
            "target": self.target,
            "run_id": self.run_id,
            "status": self.status.value,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration_seconds": self.duration_seconds,
            "error": error,
            "worker": self.worker,
        }


def save_run(store: ObjectStore, run: JobRun) -> str:
    """Write the run's one-row Parquet file; returns its key."""
    key = run.key
    store.put(key, JOB_RUNS.parquet([run.row()]))
    return key


def read_runs(store: ObjectStore, job: str | None = None) -> list[JobRun]:
    """Every stored run (of one job), oldest first, straight from the files (no SQL engine)."""
    import pyarrow.parquet as pq

    runs = []
    for key in store.list(keys.job_runs_prefix(job)):
        values = keys.hive_values(key, keys.JOB_RUNS, ("job", "dt"))
        if values is None or not key.endswith(".parquet"):
            continue
        for row in pq.read_table(io.BytesIO(store.get(key))).to_pylist():
            runs.append(
                JobRun(
                    job=values[0],
                    target=row["target"],
                    run_id=row["run_id"],
                    status=RunStatus(row["status"]),
                    started_at=row["started_at"],
                    finished_at=row["finished_at"],
                    duration_seconds=row["duration_seconds"],
                    error=row["error"],
                    worker=row["worker"],
                )
            )
    return sorted(runs, key=lambda run: (run.started_at, run.run_id))
