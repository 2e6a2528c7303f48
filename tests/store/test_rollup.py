"""Day roll-up: a closed day's compacted hours become one Parquet file, only when they are
all current, and again when one of them changes."""

from __future__ import annotations

from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from observability.catalog.partitions import partition_of_key
from observability.core.aws import AwsClients
from observability.core.metrics import Metrics
from observability.core.partitioning import Partition
from observability.core.schema import Kind
from observability.store import rollup
from observability.store.base import ObjectStore
from observability.store.compaction import (
    MANIFEST_NAME,
    OUTPUT_NAME,
    Compactor,
    arrow_schema,
    read_manifest,
)
from observability.store.local import LocalStore
from observability.store.rollup import HOUR_COLUMN, DayRollup, by_day, day_schema
from observability.store.s3 import S3Store
from tests.store.test_compaction import log_line, put_valid

DAY = Partition(Kind.LOG, "checkout", "2026-11-23", None)
HOURS = ("03", "13", "22")


def _hours(compactor: Compactor) -> dict[Partition, list[str]]:
    (hours,) = by_day(compactor.find([Kind.LOG])).values()
    return hours


def _compact_all(compactor: Compactor) -> None:
    for partition, sources in compactor.find([Kind.LOG]).items():
        compactor.compact(partition, sources)


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.aws)])
def day_store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    """Three hours of one day, 10 records each (20 in hour 13, in two files), on a local
    directory and on S3 (the moto server)."""
    store: ObjectStore
    if request.param == "local":
        store = LocalStore(tmp_path / "store", fsync=False)
    else:
        aws: AwsClients = request.getfixturevalue("aws")
        aws.s3().create_bucket(Bucket="rollup")
        store = S3Store(aws.s3(), "rollup", "prod")
    for hour in HOURS:
        put_valid(store, Kind.LOG, [log_line(i, hour=hour) for i in range(10)])
    put_valid(store, Kind.LOG, [log_line(i, hour="13") for i in range(10, 20)])
    return store


def test_a_day_file_holds_its_hours_rows_in_order_with_their_hour(
    day_store: ObjectStore, metrics: Metrics
) -> None:
    """The day file is the hour files one after the other, each row with its hour; its
    footer and sidecar name the hours and every source; a second run does nothing."""
    compactor = Compactor(day_store, metrics)
    _compact_all(compactor)
    days = DayRollup(day_store, compactor, metrics)
    hours = _hours(compactor)
    result = days.roll_up(DAY, hours)
    assert (result.status, result.hours, result.rows) == ("written", 3, 40)

    data = day_store.get(DAY.compacted_key(OUTPUT_NAME))
    table = pq.read_table(pa.BufferReader(data))
    assert table.schema.remove_metadata() == day_schema(Kind.LOG)
    expected = []
    for hour in sorted(hours):
        hour_file = day_store.get(hour.compacted_key(OUTPUT_NAME))
        assert read_manifest(hour_file)["sources"] == hours[hour]
        part = pq.read_table(pa.BufferReader(hour_file), columns=arrow_schema(Kind.LOG).names)
        expected.extend(part.to_pylist())
    assert table.drop_columns([HOUR_COLUMN]).to_pylist() == expected
    assert table[HOUR_COLUMN].to_pylist() == ["03"] * 10 + ["13"] * 20 + ["22"] * 10
    assert [t.strftime("%H") for t in table["timestamp"].to_pylist()] == table[
        HOUR_COLUMN
    ].to_pylist()

    manifest = read_manifest(data)
    assert manifest["hours"] == list(HOURS)
    assert manifest["sources"] == sorted(k for keys in hours.values() for k in keys)
    sidecar = orjson.loads(day_store.get(DAY.compacted_key(MANIFEST_NAME)))
    assert (sidecar["rows"], sidecar["hours"]) == (40, list(HOURS))
    assert days.is_current(DAY, hours)
    assert days.roll_up(DAY, hours).status == "current"
    assert (
        metrics.registry.get_sample_value(
            "observability_store_files_written_total", {"kind": "log_parquet_day"}
        )
        == 1
    )


def test_a_day_waits_for_its_hours_and_follows_a_late_file(
    day_store: ObjectStore, metrics: Metrics
) -> None:
    """No day file while an hour is uncompacted; a late file makes the day stale, and once
    its hour is compacted again the day file is rewritten to hold it."""
    compactor = Compactor(day_store, metrics)
    days = DayRollup(day_store, compactor, metrics)
    hours = _hours(compactor)
    for hour in list(hours)[:2]:
        compactor.compact(hour)
    assert not days.ready(hours)
    assert days.roll_up(DAY, hours).status == "hour pending"
    assert not day_store.exists(DAY.compacted_key(OUTPUT_NAME))

    _compact_all(compactor)
    assert days.roll_up(DAY, hours).written
    (late,) = put_valid(day_store, Kind.LOG, [log_line(99, hour="22", event="late")])
    hours = _hours(compactor)
    assert not days.is_current(DAY, hours)
    assert days.roll_up(DAY, hours).status == "hour pending"  # hour 22 is stale
    _compact_all(compactor)
    result = days.roll_up(DAY, hours)
    assert (result.status, result.rows) == ("written", 41)
    assert late in read_manifest(day_store.get(DAY.compacted_key(OUTPUT_NAME)))["sources"]


def test_days_of_one_hour_and_days_too_large_stay_as_hours(
    day_store: ObjectStore, metrics: Metrics, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A single hour gains nothing from a day file; a day past the size bound is not built,
    and not tried again until its hours change."""
    compactor = Compactor(day_store, metrics)
    _compact_all(compactor)
    days = DayRollup(day_store, compactor, metrics)
    hours = _hours(compactor)
    first = dict(list(hours.items())[:1])
    assert days.roll_up(DAY, first).status == "too few hours"
    monkeypatch.setattr(rollup, "MAX_DAY_BYTES", 1_000)
    assert days.roll_up(DAY, hours).status == "too large"
    assert not day_store.exists(DAY.compacted_key(OUTPUT_NAME))
    # Said once: the worker does not read the hours again every run, until they change.
    assert days.is_current(DAY, hours)
    put_valid(day_store, Kind.LOG, [log_line(99, hour="22")])
    _compact_all(compactor)
    hours = _hours(compactor)
    assert not days.is_current(DAY, hours)
    monkeypatch.setattr(rollup, "MAX_DAY_BYTES", 1 << 30)
    assert days.roll_up(DAY, hours).written
    with pytest.raises(ValueError, match="not a day"):
        days.roll_up(next(iter(hours)), hours)


def test_the_registrar_ignores_a_day_file() -> None:
    """Athena's tables register hours: a day file must not become a partition of any."""
    assert partition_of_key(DAY.compacted_key(OUTPUT_NAME)) is None
    hour = DAY._replace(hour="13")
    assert partition_of_key(hour.compacted_key(OUTPUT_NAME)) is not None
