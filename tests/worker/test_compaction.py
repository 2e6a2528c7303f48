"""The compaction job: closed hours compacted on schedule, late files picked up, open ones left."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq

from observability.core.metrics import Metrics
from observability.core.partitioning import Partition
from observability.core.schema import Kind
from observability.store.compaction import OUTPUT_NAME
from observability.store.local import LocalStore
from observability.worker.compaction import CompactionJob
from observability.worker.job import RunStatus
from observability.worker.runner import Worker
from tests.store.test_compaction import log_line, put_valid
from tests.worker.conftest import FakeClock


def _hour(hour: str) -> Partition:
    return Partition(Kind.LOG, "checkout", "2026-11-23", hour)


def test_closed_hours_are_compacted_once_and_again_after_late_files(
    store: LocalStore, metrics: Metrics
) -> None:
    """At 14:10 hours 12 and 13 are compacted, 14 (open) is not; a late file in 13 is
    compacted at the next scheduled minute, and a current partition is not run again."""
    for hour in ("12", "13", "14"):
        put_valid(store, Kind.LOG, [log_line(i, hour=hour) for i in range(20)])
    clock = FakeClock(datetime(2026, 11, 23, 14, 10, tzinfo=UTC))
    worker = Worker(store, metrics, [CompactionJob(store, metrics)], clock=clock)

    first = worker.tick(clock.current)
    assert [(r.target, r.status) for r in first] == [
        (_hour("12").prefix, RunStatus.OK),
        (_hour("13").prefix, RunStatus.OK),
    ]
    assert store.exists(_hour("13").compacted_key(OUTPUT_NAME))
    assert not store.exists(_hour("14").compacted_key(OUTPUT_NAME))

    clock.current = datetime(2026, 11, 23, 14, 20, tzinfo=UTC)
    assert worker.tick(clock.current) == []

    put_valid(store, Kind.LOG, [log_line(i, hour="13") for i in range(20, 25)])
    clock.current = datetime(2026, 11, 23, 14, 25, tzinfo=UTC)
    assert worker.tick(clock.current) == []  # not a scheduled minute
    clock.current = datetime(2026, 11, 23, 14, 30, tzinfo=UTC)
    late = worker.tick(clock.current)
    assert [(r.target, r.status) for r in late] == [(_hour("13").prefix, RunStatus.OK)]
    assert (
        metrics.registry.get_sample_value(
            "observability_records_accepted_total", {"stage": "compaction", "kind": "log"}
        )
        == 20 + 20 + 25
    )


def test_a_closed_day_is_rolled_up_once_its_hours_are_current(
    store: LocalStore, metrics: Metrics
) -> None:
    """The day's last hour is compacted at 00:10; the day file follows at the next run,
    and again after a late file's hour has been compacted again."""
    for hour in ("12", "13", "23"):
        put_valid(store, Kind.LOG, [log_line(i, hour=hour) for i in range(20)])
    clock = FakeClock(datetime(2026, 11, 23, 14, 10, tzinfo=UTC))
    worker = Worker(store, metrics, [CompactionJob(store, metrics)], clock=clock)
    day = Partition(Kind.LOG, "checkout", "2026-11-23", None)
    worker.tick(clock.current)

    def tick(hour: int, minute: int) -> list[tuple[str, RunStatus]]:
        clock.current = datetime(2026, 11, 24, hour, minute, tzinfo=UTC)
        return [(r.target, r.status) for r in worker.tick(clock.current)]

    assert tick(0, 10) == [(_hour("23").prefix, RunStatus.OK)]
    assert not store.exists(day.compacted_key(OUTPUT_NAME))
    assert tick(0, 20) == [(day.prefix, RunStatus.OK)]
    assert store.exists(day.compacted_key(OUTPUT_NAME))
    assert tick(0, 30) == []

    put_valid(store, Kind.LOG, [log_line(i, hour="13") for i in range(20, 25)])
    assert tick(0, 40) == [(_hour("13").prefix, RunStatus.OK)]
    assert tick(0, 50) == [(day.prefix, RunStatus.OK)]
    rows = pq.read_table(pa.BufferReader(store.get(day.compacted_key(OUTPUT_NAME)))).num_rows
    assert rows == 20 + 25 + 20
