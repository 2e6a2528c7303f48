"""What the read routes share: the app's `Dashboard`, time ranges, and JSON answers.

Answers are rendered by pydantic from the route's declared model (so they match the
OpenAPI document) and sent as bytes; reports add a content-derived ETag and answer
`If-None-Match` with 304.
"""

from __future__ import annotations

import gzip
import threading
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Annotated, Final

from fastapi import Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from observability.core.times import HELP, check_order, parse_instant
from observability.dashboard.reports import Body
from observability.dashboard.service import Dashboard
from observability.query.named import DEFAULT_SINCE
from observability.service.deps import get_state

JSON: Final = "application/json"
#: As the app's gzip middleware does: answers of at least this many bytes, at this level.
GZIP_MINIMUM: Final = 1024
GZIP_LEVEL: Final = 6


async def get_dashboard(request: Request) -> Dashboard:
    """The app's Dashboard, built on first use (on the event loop: one per app)."""
    app_state = request.app.state
    dashboard: Dashboard | None = getattr(app_state, "dashboard", None)
    if dashboard is None:
        dashboard = Dashboard(get_state(request).runtime)
        app_state.dashboard = dashboard
    return dashboard


DashboardDep = Annotated[Dashboard, Depends(get_dashboard)]

Since = Annotated[
    str | None,
    Query(max_length=64, description=f"Start, inclusive (default: 24 h before until). {HELP}"),
]
Until = Annotated[
    str | None, Query(max_length=64, description="End, exclusive (default: now); same forms.")
]
OptionalSince = Annotated[
    str | None, Query(max_length=64, description=f"Start, inclusive (default: none). {HELP}")
]
OptionalUntil = Annotated[
    str | None, Query(max_length=64, description="End, exclusive (default: none); same forms.")
]
Cursor = Annotated[
    str | None, Query(max_length=512, description="The next_cursor of the previous page.")
]


def time_range(
    since: str | None, until: str | None, now: datetime, default: timedelta = DEFAULT_SINCE
) -> tuple[datetime, datetime]:
    """[since, until) in the one time grammar; until defaults to now, since to `default` before."""
    end = parse_instant(until, now) if until else parse_instant(now, now)
    start = parse_instant(since, now) if since else end - default
    check_order(start, end)
    return start, end


def optional_range(
    since: str | None, until: str | None, now: datetime
) -> tuple[datetime | None, datetime | None]:
    """Bounds that are each optional; both given must be in order."""
    start = parse_instant(since, now) if since else None
    end = parse_instant(until, now) if until else None
    if start is not None and end is not None:
        check_order(start, end)
    return start, end


def json_response(model: BaseModel) -> Response:
    """The model rendered as JSON (compressed by the app's gzip middleware when asked)."""
    return Response(model.model_dump_json(), media_type=JSON)


class Rendered:
    """JSON and gzip bytes of answer objects the read side reuses (its memoized answers),
    by identity: under load, such an answer is rendered and compressed once, not per
    request. Bounded in bytes; the objects are held, so an identity is never reused."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self._max = max_bytes
        self._items: OrderedDict[int, tuple[BaseModel, bytes, bytes]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, model: BaseModel) -> tuple[bytes, bytes]:
        """(JSON, gzip of it)."""
        with self._lock:
            hit = self._items.get(id(model))
            if hit is not None and hit[0] is model:
                self._items.move_to_end(id(model))
                return hit[1], hit[2]
        data = model.model_dump_json().encode()
        packed = gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)
        with self._lock:
            old = self._items.pop(id(model), None)
            if old is not None:
                self._bytes -= len(old[1]) + len(old[2])
            self._items[id(model)] = (model, data, packed)
            self._bytes += len(data) + len(packed)
            while self._bytes > self._max and len(self._items) > 1:
                _, (_model, first, second) = self._items.popitem(last=False)
                self._bytes -= len(first) + len(second)
        return data, packed


_RENDERED = Rendered()


def reused_response(request: Request, model: BaseModel) -> Response:
    """A memoized answer: its bytes (gzip when the client takes it) rendered once."""
    data, packed = _RENDERED.get(model)
    if len(data) < GZIP_MINIMUM:
        return Response(data, media_type=JSON)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers = {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
        return Response(packed, media_type=JSON, headers=headers)
    return Response(data, media_type=JSON, headers={"Vary": "Accept-Encoding"})


def revalidated(
    request: Request, body: Body, media_type: str, headers: dict[str, str] | None = None
) -> Response:
    """200 with the body and its ETag, or 304 when `If-None-Match` names that ETag."""
    sent = {"ETag": body.etag, "Cache-Control": "no-cache", **(headers or {})}
    if _matches(request.headers.get("if-none-match"), body.etag):
        return Response(status_code=304, headers=sent)
    return Response(body.data, media_type=media_type, headers=sent)


def _matches(header: str | None, etag: str) -> bool:
    """RFC 9110 If-None-Match: `*`, or a list of (weakly compared) entity tags."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(","))
