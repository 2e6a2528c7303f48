"""`GET /api/v1/search`: free text plus filters over logs (or, with `kind=prediction`,
fields of predictions), one page at a time.

The backend is the runtime's, built on first use: OpenSearch when an URL is configured,
else the embedded scan. Bad queries raise `SearchError` (400) and failing backends
`SearchBackendError` (503) through the service's single error handler.
"""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from observability.core.times import DURATION_HELP, HELP
from observability.search.backend import SearchBackend
from observability.search.request import DEFAULT_SIZE, MAX_SIZE, SearchRequest
from observability.service.deps import StateDep
from observability.service.schemas import READ_PROBLEMS

router = APIRouter(prefix="/api/v1", tags=["search"])


def get_search(state: StateDep) -> SearchBackend:
    """The runtime's search backend."""
    return state.runtime.search_backend()


SearchDep = Annotated[SearchBackend, Depends(get_search)]


@router.get("/search", response_class=Response, responses=READ_PROBLEMS)
async def search(  # noqa: PLR0917 - FastAPI passes each query parameter
    backend: SearchDep,
    q: Annotated[str, Query(max_length=4096, description="Lucene-style query")] = "",
    kind: Annotated[
        str, Query(pattern="^(log|prediction)$", description="What to search: log or prediction")
    ] = "log",
    service: Annotated[list[str] | None, Query()] = None,
    level: Annotated[list[str] | None, Query()] = None,
    env: Annotated[list[str] | None, Query()] = None,
    trace_id: Annotated[list[str] | None, Query()] = None,
    model: Annotated[list[str] | None, Query()] = None,
    since: Annotated[str | None, Query(description=f"Start, inclusive. {HELP}")] = None,
    until: Annotated[str | None, Query(description="End, exclusive; same forms")] = None,
    sort: Annotated[str, Query(pattern="^(desc|asc)$")] = "desc",
    size: Annotated[int, Query(ge=1, le=MAX_SIZE)] = DEFAULT_SIZE,
    search_after: Annotated[str | None, Query(description="next_cursor of the last page")] = None,
    interval: Annotated[str | None, Query(description=f"Bucket width. {DURATION_HELP}")] = None,
) -> Response:
    """Hits (newest first), the exact total, `next_cursor`, and counts per level and
    service over time when `interval` is given (logs). `kind=prediction` searches
    predictions by model, model_version, prediction_id, `features.<name>`, ..."""
    request = SearchRequest.build(
        q,
        kind=kind,
        services=tuple(service or ()),
        levels=tuple(level or ()),
        envs=tuple(env or ()),
        trace_ids=tuple(trace_id or ()),
        models=tuple(model or ()),
        since=since,
        until=until,
        sort=sort,
        size=size,
        search_after=search_after,
        interval=interval,
    )
    result = await run_in_threadpool(backend.search, request)
    return Response(orjson.dumps(result.to_dict()), media_type="application/json")
