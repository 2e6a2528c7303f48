"""Reports: a model's list, one report's JSON, and its stored Evidently HTML.

The HTML is Evidently's standalone page, inline scripts included; it is sent with
`Content-Security-Policy: sandbox allow-scripts`: the scripts run, but in an opaque origin
(no `allow-same-origin`), so they cannot reach this API's origin, its cookies or storage.
JSON and HTML carry a content-derived ETag; `If-None-Match` with it answers 304.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from observability.dashboard.cursor import DEFAULT_LIMIT, MAX_LIMIT
from observability.dashboard.reports import Body, Variant
from observability.dashboard.schemas import ReportDetail, ReportPage
from observability.service.routes.models import ModelName
from observability.service.routes.reads import (
    JSON,
    Cursor,
    DashboardDep,
    OptionalSince,
    OptionalUntil,
    json_response,
    optional_range,
    revalidated,
)
from observability.service.schemas import READ_PROBLEMS

router = APIRouter(prefix="/api/v1", tags=["reports"])

#: Evidently's HTML runs its inline scripts in a sandbox without the API's origin.
HTML_HEADERS: Final = {
    "Content-Security-Policy": "sandbox allow-scripts",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_NOT_MODIFIED: Final[dict[int | str, dict[str, Any]]] = {
    304: {"description": "The ETag in If-None-Match is still current."}
}

ReportId = Annotated[
    str, Path(max_length=256, description="`<model>~<start>_<end>`, as the lists give it.")
]


@router.get("/models/{model}/reports", response_model=ReportPage, responses=READ_PROBLEMS)
async def model_reports(  # noqa: PLR0917 - FastAPI passes each parameter
    dashboard: DashboardDep,
    model: ModelName,
    since: OptionalSince = None,
    until: OptionalUntil = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Response:
    """A model's stored reports whose window starts in [since, until), newest first."""

    def compute() -> ReportPage:
        name = dashboard.models.require(model)
        start, end = optional_range(since, until, dashboard.now())
        return dashboard.reports.page(name, start, end, limit, cursor)

    return json_response(await run_in_threadpool(compute))


@router.get(
    "/reports/{report_id}",
    response_model=ReportDetail,
    responses={**READ_PROBLEMS, **_NOT_MODIFIED},
)
async def report(request: Request, dashboard: DashboardDep, report_id: ReportId) -> Response:
    """A window's verdicts, its run, links, and the stored Evidently JSON documents."""
    body: Body = await run_in_threadpool(dashboard.reports.detail, report_id)
    return revalidated(request, body, JSON)


@router.get(
    "/reports/{report_id}/html",
    response_class=HTMLResponse,
    responses={
        **READ_PROBLEMS,
        **_NOT_MODIFIED,
        200: {"description": "Evidently's standalone HTML report.", "content": {"text/html": {}}},
    },
)
async def report_html(
    request: Request,
    dashboard: DashboardDep,
    report_id: ReportId,
    variant: Annotated[
        Variant, Query(description="drift, or quality (once labels arrived)")
    ] = Variant.DRIFT,
) -> Response:
    """The stored Evidently HTML, sandboxed by its Content-Security-Policy."""
    body = await run_in_threadpool(dashboard.reports.html, report_id, variant)
    return revalidated(request, body, "text/html; charset=utf-8", HTML_HEADERS)
