"""`/api/v1/silences`: list (viewer), create and expire (admin, by the auth policy).

A silence mutes the alerts its matchers select between its start and its end; expiring
one ends it now. The author is the caller's principal (its key or token subject).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from observability.alerting.silences import SilenceState
from observability.auth.middleware import PrincipalDep
from observability.dashboard.schemas import NewSilence, SilenceList, SilenceView
from observability.service.routes.reads import DashboardDep, json_response
from observability.service.schemas import READ_PROBLEMS

router = APIRouter(prefix="/api/v1", tags=["silences"])


@router.get("/silences", response_model=SilenceList, responses=READ_PROBLEMS)
async def silences(
    dashboard: DashboardDep, state: Annotated[SilenceState | None, Query()] = None
) -> Response:
    """Silences, newest first (expired ones are kept a few days)."""
    return json_response(await run_in_threadpool(dashboard.alerts.silences, state, dashboard.now()))


@router.post("/silences", response_model=SilenceView, status_code=201, responses=READ_PROBLEMS)
async def create(body: NewSilence, dashboard: DashboardDep, principal: PrincipalDep) -> Response:
    """Create a silence (admin); its author is the caller."""
    author = f"{principal.kind}:{principal.subject}"
    created = await run_in_threadpool(dashboard.alerts.silence, body, author, dashboard.now())
    return Response(created.model_dump_json(), status_code=201, media_type="application/json")


@router.delete("/silences/{silence_id}", response_model=SilenceView, responses=READ_PROBLEMS)
async def expire(
    dashboard: DashboardDep, silence_id: Annotated[str, Path(max_length=128)]
) -> Response:
    """Expire a silence now (admin): the alerts it muted are notified again."""
    return json_response(
        await run_in_threadpool(dashboard.alerts.expire, silence_id, dashboard.now())
    )
