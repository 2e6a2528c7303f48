"""The compaction job: closed hours (days, for labels) into Parquet, as `compact` does.

On its cron (default every ten minutes) it finds the partitions that closed within
`lookback` and whose compacted file does not cover their current files (a first
compaction, or files that arrived late), one task per partition. The compactor itself
decides everything else (`store.compaction.Compactor`); the optional `on_compacted` hook
is the drift sketches' `SketchWriter`, as for the CLI's `compact`.

Then each closed day of the lookback whose hours are all compacted and current, and
whose day file does not hold them, is rolled up (`store.rollup.DayRollup`), one task per
day. A day with an hour still to compact waits for the next run: its hours' tasks are
in this one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from observability.analyze.cron import Cron
from observability.core.metrics import Metrics
from observability.core.partitioning import Partition
from observability.core.schema import Kind
from observability.core.times import floor_day
from observability.store.base import ObjectStore
from observability.store.compaction import Compactor, overlaps
from observability.store.rollup import DayRollup, closed_days
from observability.worker.job import Outcome, Task

DEFAULT_SCHEDULE: Final = "*/10 * * * *"
#: Late files older than this stay uncompacted (readers still see them) until `compact`.
DEFAULT_LOOKBACK: Final = timedelta(days=2)


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
        self.rollup = DayRollup(store, self.compactor, metrics)
        self.schedule = Cron.parse(schedule)
        self.lookback = lookback

    def due(self, minute: datetime) -> Sequence[Task]:
        """At a scheduled minute: each closed, stale partition of the lookback, then each
        closed day of it ready to roll up."""
        if not self.schedule.matches(minute):
            return []
        since = minute - self.lookback
        # Whole days, so a day's roll-up sees all its hours; hours before `since` are not
        # compacted here (they are past the lookback), only counted in their day.
        found = self.compactor.find(list(Kind), floor_day(since), minute)
        tasks = [
            Task(
                partition.prefix,
                functools.partial(self.compact, partition),
                (partition.start, partition.end),
            )
            for partition, sources in found.items()
            if partition.end <= minute
            and overlaps(partition, since, minute)
            and not self.compactor.is_current(partition, sources)
        ]
        for day, hours in closed_days(found, minute).items():
            if not self.rollup.is_current(day, hours) and self.rollup.ready(hours):
                run = functools.partial(self.roll_up, day, hours)
                tasks.append(Task(day.prefix, run, (day.start, day.end)))
        return tasks

    def compact(self, partition: Partition) -> Outcome:
        """Compact one partition (its files as listed now)."""
        result = self.compactor.compact(partition)
        if result.skipped:
            return Outcome.skipped("compacted file is current")
        return Outcome.ok(f"{result.sources} files, {result.rows} rows, {result.rejected} rejected")

    def roll_up(self, day: Partition, hours: Mapping[Partition, Sequence[str]]) -> Outcome:
        """Write one day's file from its hours' files."""
        result = self.rollup.roll_up(day, hours)
        if not result.written:
            return Outcome.skipped(f"day file {result.status}")
        return Outcome.ok(f"{result.hours} hours, {result.rows} rows")
