"""Valid records and helpers to read what the collector stored, for the service tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from observability.store.base import ObjectStore
from observability.store.files import decode_lines


def log_record(i: int, service: str = "checkout", hour: int = 13) -> dict[str, Any]:
    """A valid log record with a unique id."""
    return {
        "timestamp": f"2026-11-23T{hour:02d}:05:{i % 60:02d}.123456Z",
        "level": "info",
        "service": service,
        "event": f"order {i} placed",
        "record_id": f"log-{service}-{hour}-{i}",
        "env": "test",
    }


def prediction_record(i: int, model: str = "churn") -> dict[str, Any]:
    """A valid prediction record with a unique id."""
    return {
        "timestamp": "2026-11-23T09:00:00+01:00",
        "model": model,
        "prediction_id": f"p-{model}-{i}",
        "features": {"age": 30 + i % 10, "plan": "pro", "active": True, "score": None},
        "prediction": {"yes": 0.7, "no": 0.3},
        "record_id": f"pred-{model}-{i}",
    }


def label_record(i: int, model: str = "churn") -> dict[str, Any]:
    """A valid label record with a unique id."""
    return {
        "timestamp": "2026-11-24T10:00:00Z",
        "model": model,
        "prediction_id": f"p-{model}-{i}",
        "label": "yes",
        "record_id": f"label-{model}-{i}",
    }


def ndjson(records: list[dict[str, Any]]) -> bytes:
    """Records as an NDJSON body."""
    return b"".join(orjson.dumps(r) + b"\n" for r in records)


def stored_records(store: ObjectStore, prefix: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(key, record) for every line of every data file under a prefix."""
    for key in store.list(prefix):
        for line in decode_lines(store.get(key)):
            yield key, orjson.loads(line)


def stored_ids(store: ObjectStore) -> list[str]:
    """record_id of every stored data line of every kind (errors/ excluded)."""
    ids: list[str] = []
    for prefix in ("logs/", "predictions/", "labels/"):
        ids.extend(record["record_id"] for _, record in stored_records(store, prefix))
    return ids


def error_lines(store: ObjectStore, reason: str) -> list[dict[str, Any]]:
    """The lines the collector wrote under errors/collector/<reason>/."""
    return [record for _, record in stored_records(store, f"errors/collector/{reason}/")]
