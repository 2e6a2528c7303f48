"""Services and named queries: `services`, `queries` and `queries/{name}`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from observability.dashboard.schemas.common import example

_SERVICE = {
    "service": "checkout",
    "records": 120000,
    "errors": 240,
    "error_rate": 0.002,
    "requests": 80000,
    "latency_p50_ms": 12.0,
    "latency_p95_ms": 85.0,
    "latency_p99_ms": 240.0,
}


class ServiceSummary(BaseModel):
    """One service over the range: volume, errors and request latency."""

    model_config = example(_SERVICE)

    service: str
    records: int
    errors: int
    error_rate: float
    requests: int = Field(description="Records with a `latency_ms` attribute.")
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    latency_p99_ms: float | None


class ServiceList(BaseModel):
    """`GET /services`."""

    model_config = example(
        {"since": "2026-11-01T00:00:00Z", "until": "2026-11-02T00:00:00Z", "services": [_SERVICE]}
    )

    since: datetime
    until: datetime
    services: list[ServiceSummary]


class QueryParam(BaseModel):
    """A named query's parameter, as `?name=value`."""

    name: str
    type: Literal["string", "name", "integer", "number", "timestamp"]
    doc: str
    default: str | int | float | None
    required: bool


_QUERY = {
    "name": "error-rate",
    "doc": "Records, errors and error rate per service per hour.",
    "windowed": True,
    "params": [
        {
            "name": "service",
            "type": "name",
            "doc": "Only this service (default: all).",
            "default": None,
            "required": False,
        }
    ],
}


class QueryInfo(BaseModel):
    """A named query; windowed ones also take `since`/`until` (default: the last 24 h)."""

    model_config = example(_QUERY)

    name: str
    doc: str
    windowed: bool
    params: list[QueryParam]


class QueryList(BaseModel):
    """`GET /queries`."""

    model_config = example({"queries": [_QUERY]})

    queries: list[QueryInfo]


class QueryRows(BaseModel):
    """`GET /queries/{name}`: the rows of one run."""

    model_config = example(
        {
            "name": "error-rate",
            "columns": ["service", "dt", "hour", "records", "errors", "error_rate"],
            "rows": [
                {
                    "service": "checkout",
                    "dt": "2026-11-01",
                    "hour": "03",
                    "records": 5000,
                    "errors": 10,
                    "error_rate": 0.002,
                }
            ],
            "truncated": False,
            "engine": "duckdb",
            "elapsed_seconds": 0.21,
        }
    )

    name: str
    columns: list[str]
    rows: list[dict[str, Any]]
    truncated: bool = Field(description="More rows matched than the server returns.")
    engine: str
    elapsed_seconds: float
