"""`GET /api/v1/services`: volume, error rate and latency percentiles per service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from observability.core.checks import is_name
from observability.dashboard import services as summaries
from observability.dashboard.errors import BadParameterError
from observability.dashboard.schemas import ServiceList
from observability.service.routes.reads import DashboardDep, Since, Until, json_response, time_range
from observability.service.schemas import READ_PROBLEMS

router = APIRouter(prefix="/api/v1", tags=["services"])


@router.get("/services", response_model=ServiceList, responses=READ_PROBLEMS)
async def services(
    dashboard: DashboardDep,
    since: Since = None,
    until: Until = None,
    service: Annotated[str | None, Query(max_length=256, description="Only this service.")] = None,
) -> Response:
    """Each service's records, errors, error rate and p50/p95/p99 request latency over
    [since, until) (the `error-rate` and `latency-percentiles` named queries)."""

    def compute() -> ServiceList:
        if service is not None and not is_name(service):
            raise BadParameterError(f"bad service name {service[:80]!r}")
        start, end = time_range(since, until, dashboard.now())
        return summaries.summarize(dashboard.user_engine(), start, end, service)

    return json_response(await run_in_threadpool(compute))
