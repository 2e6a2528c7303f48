"""WSGI middleware (Flask, any WSGI app): request ids, trace context, one access record.

    app.wsgi_app = RequestLogMiddleware(app.wsgi_app)    # Flask

The same behaviour as the ASGI middleware: `request_id` from `X-Request-ID` (or a new
one) echoed in the response, `trace_id`/`span_id` from a W3C `traceparent`, bound while
the app runs and while the server iterates the response body, and one access record when
the server closes the response (PEP 3333 has it call `close()` in every case): method,
path, status, client, `latency_ms`. gunicorn's own access logger is no longer bridged.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import Any

from observability.emit import stdlib
from observability.emit.context import bind_context, reset_context
from observability.integrations.requests import (
    REQUEST_ID_HEADER,
    log_access,
    request_ids,
)

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]
StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

#: gunicorn's access logger (off unless `--access-logfile` is given).
GUNICORN_ACCESS = "gunicorn.access"


class RequestLogMiddleware:
    """Wraps a WSGI app; see the module docstring."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app
        stdlib.mute(GUNICORN_ACCESS)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Handle one request."""
        started = time.perf_counter()
        ids = request_ids(environ.get("HTTP_X_REQUEST_ID"), environ.get("HTTP_TRACEPARENT"))
        request = _Request(environ, ids, started)

        def start_with_id(
            status: str, headers: list[tuple[str, str]], exc_info: ExcInfo | None = None
        ) -> Callable[[bytes], object]:
            request.status = _status_code(status)
            if not any(name.lower() == REQUEST_ID_HEADER for name, _ in headers):
                headers = [*headers, ("X-Request-ID", ids["request_id"])]
            if exc_info is None:
                return start_response(status, headers)
            return start_response(status, headers, exc_info)

        token = bind_context(**ids)
        try:
            body = self.app(environ, start_with_id)
        except BaseException:
            request.status = 500
            request.finish()
            raise
        finally:
            reset_context(token)
        return _Body(body, request)


class _Request:
    """One request's ids and status, and its access record, written once."""

    def __init__(self, environ: dict[str, Any], ids: dict[str, str], started: float) -> None:
        self.environ = environ
        self.ids = ids
        self.started = started
        self.status = 500
        self._finished = False

    def finish(self) -> None:
        """Write the access record with the request's ids bound (once)."""
        if self._finished:
            return
        self._finished = True
        env = self.environ
        token = bind_context(**self.ids)
        try:
            log_access(
                str(env.get("REQUEST_METHOD", "")),
                str(env.get("SCRIPT_NAME", "")) + str(env.get("PATH_INFO", "")),
                self.status,
                _client(env),
                self.started,
            )
        finally:
            reset_context(token)


class _Body:
    """The app's response iterable, iterated with the request's ids bound; its `close()`
    closes the app's and writes the access record."""

    def __init__(self, body: Iterable[bytes], request: _Request) -> None:
        self._body = body
        self._request = request
        self._chunks: Iterator[bytes] | None = None

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        token = bind_context(**self._request.ids)
        try:
            if self._chunks is None:
                self._chunks = iter(self._body)
            return next(self._chunks)
        finally:
            reset_context(token)

    def close(self) -> None:
        """Close the app's iterable (if it can be), then write the access record."""
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                token = bind_context(**self._request.ids)
                try:
                    close()
                finally:
                    reset_context(token)
        finally:
            self._request.finish()


def _status_code(status: str) -> int:
    code = status.split(" ", 1)[0]
    return int(code) if code.isdigit() else 500


def _client(environ: dict[str, Any]) -> str | None:
    host = environ.get("REMOTE_ADDR")
    if not host:
        return None
    port = environ.get("REMOTE_PORT")
    return f"{host}:{port}" if port else str(host)
