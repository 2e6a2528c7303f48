"""`GET /api/v1/queries` and `GET /api/v1/queries/{name}?param=value`: the named queries.

A run's parameters are the query string (`since`/`until` for windowed queries, and the
query's own, typed as `GET /queries` lists them). Each run happens in a capped query
process (`query/isolated.py`), within the server's query time-out and row limits.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from observability.dashboard import queries as named
from observability.dashboard.schemas import QueryList, QueryRows
from observability.service.routes.reads import DashboardDep, json_response
from observability.service.schemas import READ_PROBLEMS

router = APIRouter(prefix="/api/v1", tags=["queries"])


@router.get("/queries", response_model=QueryList, responses=READ_PROBLEMS)
async def queries() -> Response:
    """The named queries, each with its typed parameters."""
    return json_response(named.catalog())


@router.get("/queries/{name}", response_model=QueryRows, responses=READ_PROBLEMS)
async def run_query(
    request: Request, dashboard: DashboardDep, name: Annotated[str, Path(max_length=128)]
) -> Response:
    """Run a named query; its parameters are the query string (e.g. `?service=api&since=6h`)."""
    raw = dict(request.query_params)

    def compute() -> QueryRows:
        query = named.named(name)  # an unknown name is a 404 before any process starts
        return named.run(dashboard.user_engine(), query.name, raw)

    return json_response(await run_in_threadpool(compute))
