"""Request timing: a pure ASGI middleware observing `observability_http_request_duration_seconds`.

Labels are bounded so a caller cannot grow the series without limit: the route is the
matched route's template (`/api/v1/ingest/{kind}`), never the raw path, and `unmatched`
for a 404 that matched nothing; an unusual method is `other`. The time runs from the
request's arrival to the end of the response (or the exception, counted as a 500).
Pure ASGI rather than BaseHTTPMiddleware: no extra task per request, streaming untouched.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

from prometheus_client import Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED: Final = "unmatched"
_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_template(scope: Scope) -> str:
    """The template of the route that handled the request (set by routing), or `unmatched`."""
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return path if isinstance(path, str) and path else UNMATCHED


class RequestTiming:
    """Observes each HTTP request's duration by route template, method and status."""

    def __init__(
        self,
        app: ASGIApp,
        histogram: Histogram,
        *,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.app = app
        self._histogram = histogram
        self._clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = self._clock()
        status = 500  # what the client gets if the app raises before answering

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            method = str(scope.get("method", "")).upper()
            self._histogram.labels(
                route=route_template(scope),
                method=method if method in _METHODS else "other",
                status=str(status),
            ).observe(self._clock() - started)
