"""S3 notification Lambda: index new data objects into OpenSearch. `handler(event, context)`.

Thin on purpose: the store, the client and the indexer are built once per cold start
from the environment (never at import); the work is
`observability.index.s3_events.S3EventIndexer`, which tests run directly.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Mapping
from typing import Any

from observability.index.indexer import Indexer, IndexMetrics
from observability.index.s3_events import S3EventIndexer
from observability.runtime import Runtime


def build(environ: Mapping[str, str]) -> S3EventIndexer:
    """Compose the event indexer from a mapping of `OBSERVABILITY_*` variables."""
    runtime = Runtime.from_env(environ)
    logging.getLogger("observability").setLevel(runtime.settings.log_level.upper())
    store = runtime.store
    metrics = IndexMetrics(runtime.metrics.registry)
    indexer = Indexer(runtime.opensearch(), runtime.errors, metrics)
    prefix = getattr(store, "prefix", "")
    return S3EventIndexer(store, indexer, prefix if isinstance(prefix, str) else "")


@functools.cache
def _indexer() -> S3EventIndexer:
    return build(os.environ)


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """Lambda entry point: index the objects named by an S3 event notification."""
    return _indexer().handle(event)
