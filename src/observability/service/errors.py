"""Domain errors of the service and the one place that turns errors into HTTP responses.

Service modules raise these (never `HTTPException`); `install_error_handlers` maps each
class to a status through a registry, so the mapping lives in exactly one place. Every
error, ours, FastAPI's (validation, unknown route, wrong method) and an unexpected one,
is answered as RFC 9457 `application/problem+json` with `type`, `title`, `status` and
`detail`. A 4xx detail says what was wrong with the request; a 5xx detail never carries a
path, an endpoint or a credential: the specifics go to the server log.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Final

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from observability.core.errors import ObservabilityError, SettingsError, StoreError
from observability.dashboard.errors import BadParameterError, NotFoundError
from observability.search.model import SearchBackendError


class UnknownKindError(ObservabilityError):
    """The ingest route names no record kind we store."""


class BodyTooLargeError(ObservabilityError):
    """The request is over a limit: bytes sent or decompressed, or records (see body.py)."""


class BadBodyError(ObservabilityError):
    """The body cannot be read as a batch at all (bad gzip, not a JSON array, ...)."""


class UnsupportedMediaTypeError(ObservabilityError):
    """A Content-Type or Content-Encoding the collector does not read."""


class JournalError(ObservabilityError):
    """The write-ahead journal could not make a batch durable; nothing was acknowledged."""


class OverloadedError(ObservabilityError):
    """Too much is waiting for the store; the client should retry later."""


class NotReadyError(ObservabilityError):
    """The collector has not finished replaying its journal, or is shutting down."""


class RequestTimeoutError(ObservabilityError):
    """The client stopped sending its body, or went away, before it ended."""


class BatchFailedError(ObservabilityError):
    """An unforeseen failure of a whole batch: nothing stored, and a retry would fail alike."""


class TransientError(ObservabilityError):
    """An unforeseen failure that may clear up (memory, the disk): nothing stored; retry."""


class UnauthorizedError(ObservabilityError):
    """No credential, or one that is not valid; `challenge` is the `WWW-Authenticate` value."""

    def __init__(self, detail: str, challenge: str) -> None:
        super().__init__(detail)
        self.challenge = challenge


class ForbiddenError(ObservabilityError):
    """A valid credential whose roles do not allow this request."""


#: Status per error class; the most specific class in an error's MRO wins.
STATUS: Final[Mapping[type[ObservabilityError], int]] = {
    UnknownKindError: 404,
    BodyTooLargeError: 413,
    BadBodyError: 400,
    UnsupportedMediaTypeError: 415,
    JournalError: 503,
    OverloadedError: 503,
    NotReadyError: 503,
    RequestTimeoutError: 408,
    BatchFailedError: 422,
    TransientError: 503,
    UnauthorizedError: 401,
    ForbiddenError: 403,
    StoreError: 503,
    SearchBackendError: 503,
    NotFoundError: 404,
    BadParameterError: 400,
    SettingsError: 500,
    ObservabilityError: 400,
}
#: Errors that clear up by themselves: tell the client when to come back.
_RETRY_AFTER: Final = frozenset(
    {JournalError, OverloadedError, NotReadyError, StoreError, SearchBackendError, TransientError}
)


def status_of(error: ObservabilityError) -> int:
    """The HTTP status for a domain error."""
    for cls in type(error).__mro__:
        status = STATUS.get(cls)
        if status is not None:
            return status
    return 500


#: 5xx errors whose messages are written for clients (they name no path or endpoint).
_PUBLIC_5XX: Final = frozenset({NotReadyError, OverloadedError, TransientError})

#: The `type` of every problem is this URN plus the problem's code (RFC 9457 §3.1.1 allows
#: a non-resolvable URI; the code is stable across releases, the title is for people).
PROBLEM_TYPE_PREFIX: Final = "urn:observability:problem:"
PROBLEM_JSON: Final = "application/problem+json"

log = logging.getLogger(__name__)


def _code(error: ObservabilityError) -> str:
    name = type(error).__name__.removesuffix("Error")
    return "".join(f"-{c.lower()}" if c.isupper() else c for c in name).lstrip("-")


def problem(
    status: int,
    code: str,
    detail: str,
    headers: Mapping[str, str] | None = None,
    **extra: object,
) -> Response:
    """An RFC 9457 problem response; `extra` adds members (e.g. `errors` for validation)."""
    body: dict[str, object] = {
        "type": PROBLEM_TYPE_PREFIX + code,
        "title": _title(status),
        "status": status,
        "detail": detail,
        **extra,
    }
    return Response(orjson.dumps(body), status, dict(headers or {}), media_type=PROBLEM_JSON)


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


async def _domain(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ObservabilityError)  # registered for this class only
    status = status_of(exc)
    headers = {"Retry-After": "1"} if type(exc) in _RETRY_AFTER else None
    if isinstance(exc, UnauthorizedError):
        headers = {"WWW-Authenticate": exc.challenge}
    if status >= 500 and type(exc) not in _PUBLIC_5XX:
        # The message may name a path, an endpoint or a bucket: it goes to the log only.
        log.error("%s %s: %s", request.method, request.url.path, exc)
        return problem(status, _code(exc), _public_detail(status), headers)
    return problem(status, _code(exc), str(exc), headers)


async def error_response(request: Request, exc: ObservabilityError) -> Response:
    """The problem answer to a domain error raised outside the routes (the auth middleware)."""
    return await _domain(request, exc)


def _public_detail(status: int) -> str:
    if status == 503:
        return "the service cannot answer this right now; retry later (details in the server log)"
    return "the server failed to handle the request (details in the server log)"


async def _http(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http")
    detail = exc.detail if isinstance(exc.detail, str) else _title(exc.status_code)
    return problem(exc.status_code, code, detail, exc.headers)


async def _validation(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"location": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
        for e in exc.errors()
    ]
    first = errors[0] if errors else {"location": "request", "message": "invalid"}
    detail = f"{first['location']}: {first['message']}"
    return problem(422, "invalid-request", detail, errors=errors)


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return problem(500, "internal", _public_detail(500))


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers: domain errors, HTTP errors, validation, and the last resort."""
    app.add_exception_handler(ObservabilityError, _domain)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(Exception, _unexpected)
