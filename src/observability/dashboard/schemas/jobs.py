"""Worker job runs: `jobs`."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from observability.dashboard.schemas.common import example

_RUN = {
    "job": "drift",
    "target": "fraud/20261101T0300_20261101T0400",
    "run_id": "20261101T040500123456-9f1c2a7b0d3e",
    "status": "ok",
    "started_at": "2026-11-01T04:05:00Z",
    "finished_at": "2026-11-01T04:05:06Z",
    "duration_seconds": 6.2,
    "error": None,
    "worker": "host-1234-ab12cd",
}


class JobRun(BaseModel):
    """One run of a worker job (a row of `job_runs`)."""

    model_config = example(_RUN)

    job: str
    target: str
    run_id: str
    status: str = Field(description="ok, error or skipped.")
    started_at: datetime
    finished_at: datetime
    duration_seconds: float
    error: str | None
    worker: str


class JobPage(BaseModel):
    """`GET /jobs`: newest run first."""

    model_config = example({"items": [_RUN], "next_cursor": None})

    items: list[JobRun]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")
