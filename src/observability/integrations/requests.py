"""What both web middlewares share: the request's ids and its one access record.

`X-Request-ID` is taken when it is a sane token (else a fresh one is made) and echoed in
the response. A W3C `traceparent` gives the request's `trace_id` and, as `span_id`, the
caller's span: the lines of the request hang under the span that made it. An active
OpenTelemetry span, where there is one, still wins (see `emit/records.py`).
"""

from __future__ import annotations

import os
import re
import time
from typing import Final

from observability.emit.config import get_logger

#: The header a request id is read from and echoed in (lower-case, as ASGI has it).
REQUEST_ID_HEADER: Final = "x-request-id"
TRACEPARENT_HEADER: Final = "traceparent"
#: The `logger` of access records.
ACCESS_LOGGER: Final = "observability.access"
#: A client's request id is kept only if it looks like one (and is safe to echo).
_REQUEST_ID: Final = re.compile(r"[A-Za-z0-9._~:/+=@-]{1,128}")
_TRACEPARENT: Final = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_ZERO_TRACE: Final = "0" * 32
_ZERO_SPAN: Final = "0" * 16


def new_request_id() -> str:
    """128 random bits as 32 hex digits."""
    return os.urandom(16).hex()


def request_id_from(header: str | None) -> str:
    """The client's request id when it is a sane token, else a new one."""
    if header is not None and _REQUEST_ID.fullmatch(header):
        return header
    return new_request_id()


def parse_traceparent(header: str | None) -> tuple[str, str] | None:
    """`(trace_id, parent span_id)` of a valid W3C traceparent; None otherwise.

    Version 00 is exactly 55 characters; a later version may append fields after a `-`
    (the spec's forward compatibility); version ff and all-zero ids are invalid.
    """
    if header is None:
        return None
    value = header.strip()
    match = _TRACEPARENT.match(value)
    if match is None:
        return None
    version, trace_id, span_id, _flags = match.groups()
    if version == "ff" or trace_id == _ZERO_TRACE or span_id == _ZERO_SPAN:
        return None
    if len(value) != match.end() and (version == "00" or value[match.end()] != "-"):
        return None
    return trace_id, span_id


def request_ids(request_id_header: str | None, traceparent: str | None) -> dict[str, str]:
    """The ids to bind for one request: `request_id` always, trace ids when given."""
    ids = {"request_id": request_id_from(request_id_header)}
    parent = parse_traceparent(traceparent)
    if parent is not None:
        ids["trace_id"], ids["span_id"] = parent
    return ids


def log_access(method: str, path: str, status: int, client: str | None, started: float) -> None:
    """The request's access record (call it while the request's ids are bound).

    `event` reads `GET /orders 200`; the fields are attributes. The query string is left
    out: it often carries tokens no key-based redaction can recognise.
    """
    latency_ms = round((time.perf_counter() - started) * 1000, 3)
    log = get_logger(ACCESS_LOGGER)
    emit = log.error if status >= 500 else log.info
    emit(
        f"{method} {path} {status}",
        method=method,
        path=path,
        status=status,
        client=client,
        latency_ms=latency_ms,
    )
