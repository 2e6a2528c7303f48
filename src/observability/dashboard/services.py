"""`GET /services`: each service's volume, error rate and request latency over a range.

The `error-rate` (records and errors per service and hour) and `latency-percentiles`
(p50/p95/p99 of the `latency_ms` log attribute per service) named queries answer it, both
at once; their conventions (which levels are errors, where latency is) are theirs.
"""

from __future__ import annotations

from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from observability.dashboard.schemas import ServiceList, ServiceSummary
from observability.query.base import QueryEngine
from observability.query.library import ERROR_RATE, LATENCY_PERCENTILES


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def summarize(
    engine: QueryEngine, start: datetime, end: datetime, service: str | None
) -> ServiceList:
    """Services with records in [start, end) (only `service` when given), by name."""
    raw = {"since": start, "until": end, "service": service or ""}
    with ThreadPoolExecutor(2) as pool:
        hourly = pool.submit(ERROR_RATE.run, engine, raw)
        latency = pool.submit(LATENCY_PERCENTILES.run, engine, raw)
        hourly_rows, latency_rows = hourly.result().to_dicts(), latency.result().to_dicts()
    records: dict[str, int] = defaultdict(int)
    errors: dict[str, int] = defaultdict(int)
    for row in hourly_rows:
        records[row["service"]] += int(row["records"])
        errors[row["service"]] += int(row["errors"])
    latencies = {row["service"]: row for row in latency_rows}
    services = []
    for name in sorted(records.keys() | latencies.keys()):
        timing = latencies.get(name, {})
        total = records.get(name, 0)
        services.append(
            ServiceSummary(
                service=name,
                records=total,
                errors=errors.get(name, 0),
                error_rate=errors.get(name, 0) / total if total else 0.0,
                requests=int(timing.get("requests") or 0),
                latency_p50_ms=_float(timing.get("p50")),
                latency_p95_ms=_float(timing.get("p95")),
                latency_p99_ms=_float(timing.get("p99")),
            )
        )
    return ServiceList(since=start, until=end, services=services)
