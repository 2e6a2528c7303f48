"""Buffering, the write-ahead journal and the flush task of the local collector."""

from observability.service.collector.core import (
    BufferPolicy,
    Collector,
    IngestResult,
    PreparedBatch,
    ReplayReport,
    replay_journal,
)
from observability.service.collector.flusher import Flusher

__all__ = [
    "BufferPolicy",
    "Collector",
    "Flusher",
    "IngestResult",
    "PreparedBatch",
    "ReplayReport",
    "replay_journal",
]
