"""`GET /api/v1/search`: free text plus filters over logs, one page at a time.

The backend is the app's (`app.state.search`, set at the composition root) or, when
none was set, built once from the app's settings and store: OpenSearch when an URL is
configured, else the embedded scan. Bad queries raise `SearchError` (400) and failing
backends `SearchBackendError` (503) through the service's single error handler.
"""

from __future__ import annotations

import threading
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from observability.search.backend import SearchBackend, open_search
from observability.search.request import DEFAULT_SIZE, MAX_SIZE, SearchRequest
from observability.service.deps import get_state

router = APIRouter(prefix="/api/v1", tags=["search"])

_LOCK = threading.Lock()


def get_search(request: Request) -> SearchBackend:
    """The app's search backend, built on first use when the app was given none."""
    app_state = request.app.state
    backend: SearchBackend | None = getattr(app_state, "search", None)
    if backend is None:
        with _LOCK:
            backend = getattr(app_state, "search", None)
            if backend is None:
                state = get_state(request)
                backend = open_search(state.settings, state.deps.store)
                app_state.search = backend
    return backend


SearchDep = Annotated[SearchBackend, Depends(get_search)]


@router.get("/search", response_class=Response)
async def search(  # noqa: PLR0917 - FastAPI passes each query parameter
    backend: SearchDep,
    q: Annotated[str, Query(max_length=4096, description="Lucene-style query")] = "",
    service: Annotated[list[str] | None, Query()] = None,
    level: Annotated[list[str] | None, Query()] = None,
    env: Annotated[list[str] | None, Query()] = None,
    trace_id: Annotated[list[str] | None, Query()] = None,
    model: Annotated[list[str] | None, Query()] = None,
    since: Annotated[str | None, Query(description="RFC 3339 time or a duration: 1h")] = None,
    until: Annotated[str | None, Query(description="RFC 3339 time or a duration")] = None,
    sort: Annotated[str, Query(pattern="^(desc|asc)$")] = "desc",
    size: Annotated[int, Query(ge=1, le=MAX_SIZE)] = DEFAULT_SIZE,
    search_after: Annotated[str | None, Query(description="next_cursor of the last page")] = None,
    interval: Annotated[str | None, Query(description="aggregation bucket width: 5m")] = None,
) -> Response:
    """Hits (newest first), the exact total, `next_cursor`, and counts per level and
    service over time when `interval` is given."""
    request = SearchRequest.build(
        q,
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
