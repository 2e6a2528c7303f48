"""Small readers shared by the index tests: counts, errors/ lines, counter samples."""

from __future__ import annotations

from typing import Any

import orjson
from opensearchpy import OpenSearch

from observability.core.metrics import Metrics
from observability.store.files import decode_lines
from observability.store.local import LocalStore


def count(client: OpenSearch, index: str = "logs-*,predictions-*", **query: Any) -> int:
    """Documents matching `query` (all when empty), after a refresh."""
    client.indices.refresh(index=index)
    body = {"query": query} if query else None
    result: int = client.count(index=index, body=body)["count"]
    return result


def error_lines(store: LocalStore, prefix: str) -> list[dict[str, Any]]:
    """Every errors/ line under `prefix`, decoded."""
    return [
        orjson.loads(line) for key in store.list(prefix) for line in decode_lines(store.get(key))
    ]


def counter(metrics: Metrics, outcome: str) -> float:
    """observability_index_documents_total{outcome=...}."""
    value = metrics.registry.get_sample_value(
        "observability_index_documents_total", {"outcome": outcome}
    )
    return value or 0.0
