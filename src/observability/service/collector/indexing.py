"""Index what the collector has just written to the store, when OpenSearch is configured.

Runs after the store write, so the store stays the source of truth: if OpenSearch is
unreachable the lines go to `errors/index/delivery_failed/` with the reason (replayable)
and ingestion carries on; ingest never waits on search. Re-indexing after a journal replay
is harmless: documents are created with `_id = record_id`, so a repeat is a 409.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from opensearchpy.exceptions import OpenSearchException

from observability.core.errors import Reason, Rejection
from observability.index.indexer import Indexer
from observability.store.errors import ErrorWriter

log = logging.getLogger(__name__)

STAGE = "index"


class IndexOnWrite:
    """The collector's `on_written` hook: bulk-index the lines of each file written."""

    def __init__(self, indexer: Indexer, errors: ErrorWriter) -> None:
        self._indexer = indexer
        self._errors = errors

    def __call__(self, lines: Sequence[bytes]) -> None:
        """Index lines; a failure of the whole call keeps them under errors/ with the reason."""
        try:
            self._indexer.index_lines(lines)
        except (OpenSearchException, OSError) as exc:
            log.warning("indexing %d lines failed, kept under errors/index/: %s", len(lines), exc)
            reason = f"OpenSearch unavailable: {exc}"
            self._errors.write(
                STAGE, [Rejection(Reason.DELIVERY_FAILED, reason, line) for line in lines]
            )
