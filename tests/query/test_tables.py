"""Hot attributes are one column of `logs` across compacted Parquet and NDJSON partitions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from observability.core.metrics import Metrics
from observability.core.partitioning import Partition
from observability.core.schema import Kind
from observability.query.duckdb import DuckDBEngine
from observability.query.tables import TABLE_SPECS
from observability.store.compaction import OUTPUT_NAME, Compactor
from observability.store.local import LocalStore
from tests.query.conftest import DAY, Dataset, at
from tests.query.data import log, write

ODD: list[Any] = [5, 2.5, "12", True, None, {"p": 1}, [1], -3]
BY_HOUR = """
SELECT hour, latency_ms FROM logs
WHERE service = 'odd' AND dt = :dt
ORDER BY hour, timestamp
"""


@pytest.fixture
def engine(dataset: Dataset) -> Iterator[DuckDBEngine]:
    """A DuckDB engine over the shared data set."""
    engine = DuckDBEngine(dataset.store)
    yield engine
    engine.close()


def test_logs_table_declares_the_hot_column() -> None:
    """`logs` has a DOUBLE `latency_ms` after `ingested_at`, before `dt` and `hour`."""
    names = [name for name, _ in TABLE_SPECS["logs"].columns]
    assert names[names.index("ingested_at") + 1 :] == ["latency_ms", "dt", "hour"]
    assert dict(TABLE_SPECS["logs"].columns)["latency_ms"] == "DOUBLE"
    assert "latency_ms" not in TABLE_SPECS["logs"].json_columns


def test_latency_reads_the_same_from_compacted_and_ndjson_hours(engine: DuckDBEngine) -> None:
    """Checkout's hours 00-11 are Parquet, 12-23 NDJSON: `latency_ms` gives 1..100 from both."""
    rows = engine.execute(
        "SELECT hour, latency_ms FROM logs WHERE service = 'checkout' AND dt = :dt",
        {"dt": DAY},
    ).rows
    assert {hour for hour, _ in rows} == {f"{h:02d}" for h in range(24)}
    assert sorted(v for _, v in rows if v is not None) == [float(j) for j in range(1, 101)]
    assert [v for _, v in rows].count(None) == 1  # the late arrival has no latency


def test_odd_values_are_null_on_both_sides(store: LocalStore, metrics: Metrics) -> None:
    """The same records in a compacted hour and in an NDJSON hour give the same column:
    numbers as numbers, every other value null."""
    for hour in (1, 2):
        records = [log("odd", at(hour, i), latency_ms=v) for i, v in enumerate(ODD)]
        records.append(log("odd", at(hour, 30)))  # no attribute at all
        write(store, Kind.LOG, records)
    Compactor(store, metrics).compact(Partition(Kind.LOG, "odd", DAY, "01"))
    engine = DuckDBEngine(store)
    rows = engine.execute(BY_HOUR, {"dt": DAY})
    expected = [5.0, 2.5, None, None, None, None, None, -3.0, None]
    assert [v for h, v in rows.rows if h == "01"] == expected
    assert [v for h, v in rows.rows if h == "02"] == expected
    assert rows.extra["files"] == 2  # hour 01 from its Parquet file, hour 02 from NDJSON
    engine.close()


def test_a_compacted_file_without_the_column_is_passed_over(
    store: LocalStore, metrics: Metrics
) -> None:
    """A Parquet file written before `latency_ms` was a column is not read (its NDJSON is),
    so the query neither fails nor counts a record twice, until compaction rewrites it."""
    write(store, Kind.LOG, [log("odd", at(1, i), latency_ms=i) for i in range(4)])
    partition = Partition(Kind.LOG, "odd", DAY, "01")
    Compactor(store, metrics).compact(partition)
    key = partition.compacted_key(OUTPUT_NAME)
    table = pq.read_table(pa.BufferReader(store.get(key)))
    old = table.drop_columns(["latency_ms"])
    sink = pa.BufferOutputStream()
    pq.write_table(old.replace_schema_metadata(table.schema.metadata), sink)
    store.put(key, sink.getvalue().to_pybytes())
    engine = DuckDBEngine(store)
    result = engine.execute(BY_HOUR, {"dt": DAY})
    assert [v for _, v in result.rows] == [0.0, 1.0, 2.0, 3.0]
    assert result.extra["files"] == 1
    engine.close()
