"""`/api/v1/alerts`: every alert as it stands, and the history of their state changes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from observability.alerting.model import AlertState
from observability.dashboard.cursor import DEFAULT_LIMIT, MAX_LIMIT
from observability.dashboard.schemas import AlertHistoryPage, AlertList
from observability.service.routes.reads import (
    Cursor,
    DashboardDep,
    Since,
    Until,
    json_response,
    time_range,
)
from observability.service.schemas import READ_PROBLEMS

router = APIRouter(prefix="/api/v1", tags=["alerts"])


@router.get("/alerts", response_model=AlertList, responses=READ_PROBLEMS)
async def alerts(
    dashboard: DashboardDep, state: Annotated[AlertState | None, Query()] = None
) -> Response:
    """Every alert with a stored state (firing, pending, nodata, error, resolved), most
    urgent first, with its evidence, links and the silence muting it, if any."""
    body = await run_in_threadpool(dashboard.alerts.current, state, dashboard.now())
    return json_response(body)


@router.get("/alerts/history", response_model=AlertHistoryPage, responses=READ_PROBLEMS)
async def history(  # noqa: PLR0917 - FastAPI passes each parameter
    dashboard: DashboardDep,
    rule: Annotated[str | None, Query(max_length=128, description="Only this rule.")] = None,
    since: Since = None,
    until: Until = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    """State changes in [since, until) (default: the last 24 h), newest first."""

    def compute() -> AlertHistoryPage:
        start, end = time_range(since, until, dashboard.now())
        return dashboard.alerts.history(rule=rule, start=start, end=end, limit=limit, after=cursor)

    return json_response(await run_in_threadpool(compute))
