"""S3 event notifications -> the indexer: the logic behind `lambdas/s3_to_opensearch`.

Two event shapes arrive, S3 notifications and EventBridge's `Object Created` (how the
template fans S3 events out); `core/s3_events.py` reads both and decodes keys. Delivery
is at least once: the same object may arrive twice, and `create` with `_id = record_id`
makes the second pass count duplicates, not documents.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from observability.core.s3_events import created_objects
from observability.index.indexer import Indexer, IndexResult
from observability.index.templates import INDEXED_PREFIXES
from observability.store.base import ObjectStore
from observability.store.files import decode_lines


def event_keys(event: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(bucket, decoded key) of each new object (`core/s3_events.py` reads both shapes)."""
    return created_objects(event)


def store_key(store_prefix: str, key: str) -> str | None:
    """The key relative to the store, or None when the object lies outside it."""
    if store_prefix and not key.startswith(store_prefix):
        return None
    return key[len(store_prefix) :]


class S3EventIndexer:
    """Reads each notified gzip NDJSON object from the store and indexes its lines."""

    def __init__(self, store: ObjectStore, indexer: Indexer, store_prefix: str = "") -> None:
        self._store = store
        self._indexer = indexer
        self._prefix = store_prefix

    def handle(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """Index every notified object; the summary is the Lambda's return value."""
        total = IndexResult()
        objects: list[str] = []
        ignored: list[str] = []
        for _bucket, full_key in event_keys(event):
            key = store_key(self._prefix, full_key)
            if key is None or not key.startswith(INDEXED_PREFIXES):
                ignored.append(full_key)
                continue
            total.add(self._indexer.index_lines(decode_lines(self._store.get(key))))
            objects.append(key)
        return {
            "objects": objects,
            "ignored": ignored,
            "indexed": total.indexed,
            "duplicate": total.duplicate,
            "retried": total.retried,
            "failed": total.failed,
            "skipped": total.skipped,
            "error_keys": total.error_keys,
        }
