"""Queries both backends must answer identically on the fixture."""

from __future__ import annotations

from typing import Any, Final

QUERIES: Final[tuple[str, ...]] = (
    "",
    "timeout",
    "TIMEOUT",
    "timeouts",
    "timeout AND service:checkout",
    '"timeout after"',
    '"upstream timeout after 3.5s"',
    "time*",
    "retry*",
    "db.timeout",
    "user",
    "user's",
    "42",
    "1,000",
    "12",
    "café",
    "a.1",
    "timed-out",
    "level:ERROR OR level:critical",
    "NOT timeout",
    "-timeout service:payments",
    "(timeout OR declined) AND NOT env:staging",
    "attributes.model:fraud",
    "attributes.duration_ms:28",
    "exception.type:TimeoutError",
    "service:check*",
    "trace_id:trace-3 OR request_id:nothing",
)

#: Filter, range, sort and size combinations run with every query.
VARIANTS: Final[tuple[dict[str, Any], ...]] = (
    {"size": 100},
    {"size": 5, "since": "2026-11-23T10:30:00Z", "until": "2026-11-23T12:00:00.123Z"},
    {"size": 100, "sort": "asc", "services": ("payments", "search"), "levels": ("warn",)},
    {"size": 100, "envs": ("prod",), "models": ("fraud",), "trace_ids": ("trace-0", "trace-4")},
)
