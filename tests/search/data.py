"""A small log fixture whose text exercises the token rules, written the way ingest writes it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any, Final

import orjson

from observability.core.partitioning import Partition
from observability.core.schema import Kind
from observability.store.base import ObjectStore
from observability.store.files import encode_ndjson_gz, new_filename
from observability.transform.lines import transform_lines

INGESTED_AT: Final = "2026-11-23T23:59:00.000000Z"

#: Events chosen so a naive substring or whitespace match would disagree with OpenSearch.
EVENTS: Final = (
    "upstream timeout after 3.5s",
    "Timeout: retrying request",
    "db.timeout exceeded",
    "payment declined for user's card",
    "connection reset by peer",
    "cache miss for key user:42",
    "processed 1,000 items at 12:30",
    "GET /api/v1/orders returned 500",
    "Élan vital error in naïve café",
    "retry_count exceeded",
    "request timed-out",
    "TIMEOUTS are bad",
    "a..b double dot and a.1 mix",
    "version v1.2.3 deployed",
    "disk full on /var/log",
    "checkout completed",
    "payment timeout, retrying",
    "user.name=alice logged in",
)
SERVICES: Final = ("checkout", "payments", "search")
LEVELS: Final = ("debug", "info", "warning", "error", "critical")
ENVS: Final = ("prod", "staging")


def records() -> list[dict[str, Any]]:
    """54 log records over three hours of 2026-11-23, with two pairs sharing a millisecond."""
    out: list[dict[str, Any]] = []
    for i in range(54):
        minute = i * 3
        micro = 123_456 if i % 9 else 123_999
        record: dict[str, Any] = {
            "kind": "log",
            "record_id": f"r{i:03d}",
            "timestamp": f"2026-11-23T{10 + minute // 60:02d}:{minute % 60:02d}:05.{micro:06d}Z",
            "level": LEVELS[i % 5],
            "service": SERVICES[i % 3],
            "env": ENVS[i % 2],
            "event": EVENTS[i % len(EVENTS)],
            "trace_id": f"trace-{i % 6}",
        }
        if i % 4 == 0:
            record["attributes"] = {"model": "fraud" if i % 8 else "churn", "duration_ms": i * 7}
        if record["level"] in ("error", "critical"):
            record["exception"] = {"type": "TimeoutError" if i % 2 else "KeyError", "message": "x"}
        out.append(record)
    # r901 has r001's very timestamp: the record_id tie-breaker decides their order.
    # r910 is in r010's millisecond, 333 µs later: the full timestamp decides.
    for rid, twin, micros in (("r901", out[1], "456"), ("r910", out[10], "789")):
        copy = dict(twin, record_id=rid)
        copy["timestamp"] = twin["timestamp"][:23] + micros + "Z"
        out.append(copy)
    return out


def write(store: ObjectStore, rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """One gzip NDJSON file per partition through the real transform; returns the keys."""
    processed = transform_lines([orjson.dumps(r) for r in rows], Kind.LOG, INGESTED_AT)
    assert not processed.rejected, processed.rejected
    grouped: dict[Partition, list[bytes]] = defaultdict(list)
    for accepted in processed.accepted:
        grouped[accepted.partition].append(accepted.line)
    keys = []
    for partition, lines in sorted(grouped.items()):
        key = partition.object_key(new_filename())
        store.put(key, encode_ndjson_gz(lines))
        keys.append(key)
    return keys
