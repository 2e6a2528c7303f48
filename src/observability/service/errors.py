"""Domain errors of the service and the one handler that turns them into HTTP responses.

Service modules raise these (never `HTTPException`); `install_error_handler` maps each
class to a status through a registry, so the mapping lives in exactly one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response

from observability.core.errors import ObservabilityError, SettingsError, StoreError
from observability.search.model import SearchBackendError


class UnknownKindError(ObservabilityError):
    """The ingest route names no record kind we store."""


class BodyTooLargeError(ObservabilityError):
    """The request body, sent or decompressed, is over `max_request_bytes`."""


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


#: Status per error class; the most specific class in an error's MRO wins.
STATUS: Final[Mapping[type[ObservabilityError], int]] = {
    UnknownKindError: 404,
    BodyTooLargeError: 413,
    BadBodyError: 400,
    UnsupportedMediaTypeError: 415,
    JournalError: 503,
    OverloadedError: 503,
    NotReadyError: 503,
    StoreError: 503,
    SearchBackendError: 503,
    SettingsError: 500,
    ObservabilityError: 400,
}
#: Errors that clear up by themselves: tell the client when to come back.
_RETRY_AFTER: Final = frozenset(
    {JournalError, OverloadedError, NotReadyError, StoreError, SearchBackendError}
)


def status_of(error: ObservabilityError) -> int:
    """The HTTP status for a domain error."""
    for cls in type(error).__mro__:
        status = STATUS.get(cls)
        if status is not None:
            return status
    return 500


def _code(error: ObservabilityError) -> str:
    name = type(error).__name__.removesuffix("Error")
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")


async def _handle(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ObservabilityError)  # registered for this class only
    headers = {"Retry-After": "1"} if type(exc) in _RETRY_AFTER else None
    body = orjson.dumps({"error": _code(exc), "message": str(exc)})
    return Response(body, status_of(exc), headers, media_type="application/json")


def install_error_handler(app: FastAPI) -> None:
    """Register the single handler for every domain error."""
    app.add_exception_handler(ObservabilityError, _handle)
