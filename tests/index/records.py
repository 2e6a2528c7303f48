"""Deterministic log records for the index tests and the benchmark."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final

from observability.core.schema import validate

SERVICES: Final = ("checkout", "payments", "search", "auth")
LEVELS: Final = ("debug", "info", "warning", "error")
WORDS: Final = ("timeout", "connected", "retry", "refused", "cache", "miss")
START: Final = datetime(2026, 1, 10, tzinfo=UTC)
STEP_SECONDS: Final = 5


def iso(moment: datetime) -> str:
    """The canonical UTC timestamp the SDK writes."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def log_record(i: int) -> dict[str, Any]:
    """Record number `i`: its fields cycle so every expected count is computable."""
    return validate(
        {
            "kind": "log",
            "record_id": f"r{i:07d}",
            "timestamp": iso(START + timedelta(seconds=i * STEP_SECONDS)),
            "level": LEVELS[i % 4],
            "service": SERVICES[(i // 4) % 4],
            "event": f"request {WORDS[i % 6]} after {i % 97} ms",
            "env": "staging" if i % 3 == 0 else "prod",
            "trace_id": f"t{i % 1000:04d}",
            "attributes": {"n": i % 10, "shard": f"s{i % 7}"},
        }
    )


def log_records(n: int, start: int = 0) -> list[dict[str, Any]]:
    """Records `start` .. `start + n - 1`."""
    return [log_record(i) for i in range(start, start + n)]
