"""`GET /api/v1/jobs`: worker job runs with status and duration, newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from observability.dashboard.cursor import DEFAULT_LIMIT, MAX_LIMIT
from observability.dashboard.schemas import JobPage
from observability.service.routes.reads import (
    Cursor,
    DashboardDep,
    Since,
    Until,
    json_response,
    time_range,
)
from observability.service.schemas import READ_PROBLEMS
from observability.worker.job import RunStatus

router = APIRouter(prefix="/api/v1", tags=["jobs"])


@router.get("/jobs", response_model=JobPage, responses=READ_PROBLEMS)
async def jobs(  # noqa: PLR0917 - FastAPI passes each parameter
    dashboard: DashboardDep,
    job: Annotated[str | None, Query(max_length=128, description="drift, compaction, ...")] = None,
    status: Annotated[RunStatus | None, Query()] = None,
    since: Since = None,
    until: Until = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    """Runs started in [since, until) (default: the last 24 h), newest first."""

    def compute() -> JobPage:
        start, end = time_range(since, until, dashboard.now())
        return dashboard.jobs.page(
            job=job, status=status, start=start, end=end, limit=limit, after=cursor
        )

    return json_response(await run_in_threadpool(compute))
