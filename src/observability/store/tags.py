"""Marking NDJSON sources that a compacted Parquet file covers, for the S3 lifecycle rule.

The bucket's rule (rendered from `core/keys.py` by `deploy/render.py`) moves tagged objects
to Standard-IA after 30 days, or deletes them, while untagged NDJSON (not compacted yet,
or whose compaction failed) keeps its age-only retention. On S3 each source gets the
`keys.COMPACTED_TAG` tag; a local store has no lifecycle, so there it does nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from observability.core import keys
from observability.store.base import ObjectStore
from observability.store.s3 import S3Store


def mark_compacted(store: ObjectStore, sources: Iterable[str]) -> int:
    """Tag each source as covered by compaction; returns how many were tagged."""
    if not isinstance(store, S3Store):
        return 0
    name, value = keys.COMPACTED_TAG
    count = 0
    for key in sources:
        store.tag(key, {name: value})
        count += 1
    return count
