"""The compaction job: closed hours (days, for labels) into Parquet, as `compact` does.

On its cron (default every ten minutes) it finds the partitions that closed within
`lookback` and whose compacted file does not cover their current files (a first
compaction, or files that arrived late), one task per partition. The compactor itself
decides everything else (`store.compaction.Compactor`); the optional `on_compacted` hook
is the drift sketches' `SketchWriter`, as for the CLI's `compact`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from observability.analyze.cron import Cron
from observability.core.metrics import Metrics
from observability.core.partitioning import Partition
from observability.core.schema import Kind
from observability.store.base import ObjectStore
from observability.store.compaction import Compactor
from observability.worker.job import Outcome, Task

DEFAULT_SCHEDULE: Final = "*/10 * * * *"
#: Late files older than this stay uncompacted (readers still see them) until `compact`.
DEFAULT_LOOKBACK: Final = timedelta(days=2)


def closes_at(partition: Partition) -> datetime:
    """When a partition's hour (or day, without an hour) ends."""
    return partition.start + (timedelta(days=1) if partition.hour is None else timedelta(hours=1))


class CompactionJob:
    """The `compaction` job over every kind of record in one store."""

    name: Final = "compaction"

    def __init__(
        self,
        store: ObjectStore,
        metrics: Metrics,
        *,
        on_compacted: Callable[[Partition, Any], None] | None = None,
        schedule: str = DEFAULT_SCHEDULE,
        lookback: timedelta = DEFAULT_LOOKBACK,
    ) -> None:
        self.compactor = Compactor(store, metrics, on_compacted=on_compacted)
        self.schedule = Cron.parse(schedule)
        self.lookback = lookback

    def due(self, minute: datetime) -> Sequence[Task]:
        """At a scheduled minute: each closed, stale partition of the lookback."""
        if not self.schedule.matches(minute):
            return []
        found = self.compactor.find(list(Kind), minute - self.lookback, minute)
        return [
            Task(
                partition.prefix,
                functools.partial(self.compact, partition),
                (closes_at(partition) - _length(partition), closes_at(partition)),
            )
            for partition, sources in found.items()
            if closes_at(partition) <= minute and not self.compactor.is_current(partition, sources)
        ]

    def compact(self, partition: Partition) -> Outcome:
        """Compact one partition (its files as listed now)."""
        result = self.compactor.compact(partition)
        if result.skipped:
            return Outcome.skipped("compacted file is current")
        return Outcome.ok(f"{result.sources} files, {result.rows} rows, {result.rejected} rejected")


def _length(partition: Partition) -> timedelta:
    return timedelta(hours=1) if partition.hour is not None else timedelta(days=1)
