"""Records with answers known in advance, written the way ingest writes them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from observability.core.partitioning import Partition
from observability.core.schema import Kind
from observability.store.base import ObjectStore
from observability.store.files import encode_ndjson_gz, new_filename
from observability.transform.lines import transform_lines

INGESTED_AT = "2026-11-23T23:59:00.000000Z"


def write(store: ObjectStore, kind: Kind, records: Iterable[Mapping[str, Any]]) -> list[str]:
    """One gzip NDJSON file per partition through the real transform; returns the keys."""
    lines = [orjson.dumps(record) for record in records]
    processed = transform_lines(lines, kind, INGESTED_AT)
    assert not processed.rejected, processed.rejected
    grouped: dict[Partition, list[bytes]] = defaultdict(list)
    for accepted in processed.accepted:
        grouped[accepted.partition].append(accepted.line)
    keys = []
    for partition, partition_lines in sorted(grouped.items()):
        key = partition.object_key(new_filename())
        store.put(key, encode_ndjson_gz(partition_lines))
        keys.append(key)
    return keys


def log(
    service: str, at: str, level: str = "info", event: str = "request handled", **extra: Any
) -> dict[str, Any]:
    """A log record at `at` (`2026-11-23T13:05:00Z`); extra keys go to attributes."""
    record: dict[str, Any] = {
        "kind": "log",
        "timestamp": at,
        "level": level,
        "service": service,
        "event": event,
    }
    trace_id = extra.pop("trace_id", None)
    if trace_id is not None:
        record["trace_id"] = trace_id
    if extra:
        record["attributes"] = extra
    return record


def prediction(
    model: str, at: str, prediction_id: str, value: Any, **features: Any
) -> dict[str, Any]:
    """A prediction record with its features."""
    return {
        "kind": "prediction",
        "timestamp": at,
        "model": model,
        "prediction_id": prediction_id,
        "prediction": value,
        "features": features,
    }


def label(model: str, at: str, prediction_id: str, value: Any) -> dict[str, Any]:
    """A label record for a prediction id."""
    return {
        "kind": "label",
        "timestamp": at,
        "model": model,
        "prediction_id": prediction_id,
        "label": value,
    }
