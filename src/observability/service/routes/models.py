"""`/api/v1/models`: the model list, and per model its drift, features and performance.

Thin: parameters are parsed here (times in the one grammar), the read side
(`observability.dashboard`) computes in a worker thread, its domain errors become problems.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from observability.dashboard import performance
from observability.dashboard.drift import LONG_RANGE, RequestedResolution
from observability.dashboard.schemas import (
    DriftTimeline,
    FeatureDistribution,
    ModelList,
    ModelPerformance,
    Resolution,
)
from observability.dashboard.service import Dashboard
from observability.service.routes.reads import (
    DashboardDep,
    OptionalSince,
    OptionalUntil,
    Since,
    Until,
    json_response,
    optional_range,
    reused_response,
    time_range,
)
from observability.service.schemas import READ_PROBLEMS

router = APIRouter(prefix="/api/v1", tags=["models"])

ModelName = Annotated[str, Path(max_length=256, description="A model name.")]
WindowHours = Literal[1, 2, 3, 4, 6, 8, 12, 24]


@router.get("/models", response_model=ModelList, responses=READ_PROBLEMS)
async def models(request: Request, dashboard: DashboardDep) -> Response:
    """Every model (in models.yaml or with drift windows) with its last window's status,
    drifted-feature count, accuracy or MAE and label coverage."""
    body = dashboard.models.cached_summaries()  # a fresh answer: no thread, no I/O
    if body is None:
        body = await run_in_threadpool(dashboard.models.summaries)
    return reused_response(request, body)


@router.get("/models/{model}/drift", response_model=DriftTimeline, responses=READ_PROBLEMS)
async def drift(  # noqa: PLR0917 - FastAPI passes each parameter
    request: Request,
    dashboard: DashboardDep,
    model: ModelName,
    since: Since = None,
    until: Until = None,
    resolution: Annotated[
        RequestedResolution,
        Query(
            description=f"auto: one point per window up to {LONG_RANGE.days} days, one per UTC "
            "day beyond (from sketches when the model has them)."
        ),
    ] = RequestedResolution.AUTO,
) -> Response:
    """Per window: the share of drifted features and each feature's score, threshold and
    verdict; for long ranges, per day."""

    start, end = time_range(since, until, dashboard.now())
    cached = dashboard.timelines.cached(model, start, end, resolution)
    if cached is not None:  # computed within the TTL for this model: it exists
        return reused_response(request, cached)

    def compute() -> DriftTimeline:
        name = dashboard.models.require(model)
        return dashboard.timelines.timeline(name, start, end, resolution)

    timeline = await run_in_threadpool(compute)
    if timeline.resolution is Resolution.DAY:  # whole days: the same object for a while
        return reused_response(request, timeline)
    return json_response(timeline)


@router.get(
    "/models/{model}/features/{feature}",
    response_model=FeatureDistribution,
    responses=READ_PROBLEMS,
)
async def feature(  # noqa: PLR0917 - FastAPI passes each parameter
    dashboard: DashboardDep,
    model: ModelName,
    feature: Annotated[str, Path(max_length=256)],
    report_id: Annotated[
        str | None, Query(max_length=256, description="The window of this report.")
    ] = None,
    since: OptionalSince = None,
    until: OptionalUntil = None,
) -> Response:
    """Reference vs current distribution of a feature in a window: a report's, the range
    [since, until), or (neither given) the model's last drift window."""

    def compute() -> FeatureDistribution:
        name = dashboard.models.require(model)
        start, end = optional_range(since, until, dashboard.now())
        return dashboard.features.distribution(name, feature, report_id, start, end)

    return json_response(await run_in_threadpool(compute))


@router.get("/models/{model}/performance", response_model=ModelPerformance, responses=READ_PROBLEMS)
async def model_performance(
    dashboard: DashboardDep,
    model: ModelName,
    since: Since = None,
    until: Until = None,
    window_hours: Annotated[
        WindowHours | None,
        Query(description="Window length (default: the model's window when it is one of these)."),
    ] = None,
) -> Response:
    """Accuracy (classification) or MAE (regression) per window from predictions joined to
    their labels, with label coverage and the delay from prediction to label."""

    def compute() -> ModelPerformance:
        name = dashboard.models.require(model)
        start, end = time_range(since, until, dashboard.now())
        hours = window_hours or _configured_hours(dashboard, name)
        return performance.per_window(dashboard.user_engine(), name, start, end, hours)

    return json_response(await run_in_threadpool(compute))


def _configured_hours(dashboard: Dashboard, model: str) -> int:
    config = dashboard.models.config(model)
    if config is not None:
        hours, rest = divmod(int(config.window.total_seconds()), 3600)
        if not rest and hours in performance.WINDOW_HOURS:
            return hours
    return 1
