"""ASGI middleware (Starlette, FastAPI): request ids, trace context, one access record.

    app.add_middleware(RequestLogMiddleware)        # FastAPI / Starlette
    app = RequestLogMiddleware(app)                 # any ASGI app

For each HTTP request: `request_id` from `X-Request-ID` (or a new one) echoed in the
response, `trace_id`/`span_id` from a W3C `traceparent`, all bound for every line logged
while the request runs (sync endpoints too: their thread gets a copy of the context),
and one access record when it ends: method, path, status, client, `latency_ms`. uvicorn's
own access line would repeat it without the latency, so it is no longer bridged.
WebSocket and lifespan scopes pass through untouched.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from observability.emit import stdlib
from observability.emit.context import bind_context, reset_context
from observability.integrations.requests import (
    REQUEST_ID_HEADER,
    TRACEPARENT_HEADER,
    log_access,
    request_ids,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_REQUEST_ID_BYTES = REQUEST_ID_HEADER.encode()
_TRACEPARENT_BYTES = TRACEPARENT_HEADER.encode()


class RequestLogMiddleware:
    """Wraps an ASGI app; see the module docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._rescanned = False
        stdlib.mute(stdlib.UVICORN_ACCESS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one connection scope."""
        if not self._rescanned:  # the server set up its loggers after configure()
            self._rescanned = True
            stdlib.rescan()
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id, traceparent = _headers(scope)
        ids = request_ids(request_id, traceparent)
        echoed = ids["request_id"].encode()
        status = 500  # what the server answers when the app fails before responding

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", ()))
                if not any(name.lower() == _REQUEST_ID_BYTES for name, _ in headers):
                    headers.append((_REQUEST_ID_BYTES, echoed))
                message = {**message, "headers": headers}
            await send(message)

        token = bind_context(**ids)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log_access(scope["method"], scope["path"], status, _client(scope), started)
            reset_context(token)


def _headers(scope: Scope) -> tuple[str | None, str | None]:
    request_id = traceparent = None
    for name, value in scope.get("headers", ()):
        lowered = name.lower()
        if lowered == _REQUEST_ID_BYTES:
            request_id = value.decode("latin-1")
        elif lowered == _TRACEPARENT_BYTES:
            traceparent = value.decode("latin-1")
    return request_id, traceparent


def _client(scope: Scope) -> str | None:
    client = scope.get("client")
    if not client:
        return None
    host, port = client
    return f"{host}:{port}"
