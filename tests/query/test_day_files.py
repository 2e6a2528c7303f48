"""Day files change how many files a query opens, never what it answers.

The known day (`tests/query/conftest.py`) is queried as written (hours partly compacted, a
late file in compacted hour 05), then again once every hour is compacted and each day
rolled up (`store/rollup.py`): every query gives the same rows, with fewer files.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from prometheus_client import CollectorRegistry

from observability.core.metrics import Metrics
from observability.core.partitioning import Partition
from observability.core.schema import Kind
from observability.query.base import QueryResult
from observability.query.duckdb import DuckDBEngine
from observability.query.library import NAMED
from observability.store.compaction import OUTPUT_NAME, Compactor
from observability.store.local import LocalStore
from observability.store.rollup import DayRollup, by_day
from tests.query.conftest import DAY, Dataset, at, build
from tests.query.data import log, write

WINDOW: Final = {"start": f"{DAY}T00:00:00Z", "end": f"{DAY}T23:59:59Z"}
QUERIES: Final[Mapping[str, tuple[str, dict[str, Any]]]] = {
    "every log row": ("SELECT * FROM logs ORDER BY record_id", {}),
    "every prediction row": ("SELECT * FROM predictions ORDER BY prediction_id", {}),
    "rows per hour": (
        "SELECT service, dt, hour, count(*), sum(latency_ms) FROM logs "
        "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
        {},
    ),
    "p99 per service": (
        "SELECT service, approx_percentile(latency_ms, 0.99) FROM logs GROUP BY 1 ORDER BY 1",
        {},
    ),
    "one hour pinned": (
        "SELECT count(*), max(event) FROM logs WHERE service = 'checkout' AND dt = :dt "
        "AND hour = '05'",
        {"dt": DAY},
    ),
    "hours by range": (
        "SELECT hour, count(*) FROM logs WHERE hour BETWEEN '04' AND '06' GROUP BY 1 ORDER BY 1",
        {},
    ),
    "three hours by time": (
        "SELECT service, count(*) FROM logs WHERE timestamp >= :start AND timestamp < :end "
        "GROUP BY 1 ORDER BY 1",
        {"start": at(4), "end": at(7)},
    ),
    "features by hour": (
        "SELECT hour, sum(CAST(json_extract_scalar(features, '$.amount') AS DOUBLE)) "
        "FROM predictions GROUP BY 1 ORDER BY 1",
        {},
    ),
    "labels joined": (
        "SELECT count(*) FROM predictions AS p JOIN labels AS l "
        "ON p.prediction_id = l.prediction_id",
        {},
    ),
}
NAMED_PARAMS: Final[Mapping[str, dict[str, Any]]] = {
    "error-rate": WINDOW,
    "latency-percentiles": WINDOW,
    "top-errors": WINDOW,
    "trace": {**WINDOW, "trace_id": "t-1"},
    "predictions-per-hour": WINDOW,
    "accuracy": {**WINDOW, "model": "fraud"},
    "label-delay": {**WINDOW, "model": "fraud"},
    "feature-summary": {**WINDOW, "model": "fraud"},
}


def _roll_up_everything(store: LocalStore, metrics: Metrics) -> list[Partition]:
    """Compact every hour, then roll up every day; returns the days written."""
    compactor = Compactor(store, metrics)
    found = compactor.find(list(Kind))
    for partition, sources in found.items():
        compactor.compact(partition, sources)
    days = DayRollup(store, compactor, metrics)
    return [day for day, hours in by_day(found).items() if days.roll_up(day, hours).written]


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> tuple[Dataset, Dataset]:
    """The known day as written, and the same records with every day rolled up."""
    metrics = Metrics(CollectorRegistry())
    plain = build(LocalStore(tmp_path_factory.mktemp("hours"), fsync=False), metrics)
    rolled = build(LocalStore(tmp_path_factory.mktemp("days"), fsync=False), metrics)
    days = _roll_up_everything(rolled.store, metrics)
    # One more late file, in hour 05 of a rolled-up day, to both stores.
    for dataset in (plain, rolled):
        write(dataset.store, Kind.LOG, [log("checkout", at(5, 30), event="later still")])
    assert sorted(d.key for d in days) == ["checkout", "fraud", "search"]  # price: one hour
    return plain, rolled


@pytest.fixture(scope="module")
def engines(stores: tuple[Dataset, Dataset]) -> Iterator[tuple[DuckDBEngine, DuckDBEngine]]:
    """An engine over each store."""
    plain, rolled = (DuckDBEngine(dataset.store) for dataset in stores)
    yield plain, rolled
    plain.close()
    rolled.close()


def _same(plain: QueryResult, rolled: QueryResult) -> None:
    assert rolled.columns == plain.columns
    assert rolled.rows == plain.rows
    assert plain.rows  # a query that answers nothing would prove nothing


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_a_query_answers_the_same_from_day_files(
    engines: tuple[DuckDBEngine, DuckDBEngine], name: str
) -> None:
    """Rows, columns and order are those of the hours and NDJSON files."""
    sql, params = QUERIES[name]
    plain, rolled = (engine.execute(sql, params) for engine in engines)
    _same(plain, rolled)


@pytest.mark.parametrize("name", sorted(NAMED))
def test_a_named_query_answers_the_same_from_day_files(
    engines: tuple[DuckDBEngine, DuckDBEngine], name: str
) -> None:
    """What dashboards, alert rules and the API run gives the same answer."""
    plain, rolled = (NAMED[name].run(engine, NAMED_PARAMS[name]) for engine in engines)
    _same(plain, rolled)


def test_day_files_replace_hour_files_and_a_late_file_is_read_once(
    engines: tuple[DuckDBEngine, DuckDBEngine],
) -> None:
    """Two day files and the late NDJSON file instead of 48 hours of files; a query pinned
    to one hour reads that hour's file, not its day's."""
    plain, rolled = engines
    everything = "SELECT count(*) FROM logs"
    assert plain.planner.plan(everything).files == 12 + 1 + 1 + 12 + 24
    plan = rolled.planner.plan(everything)
    assert plan.files == 3
    ((_view, source),) = plan.views
    assert source.count(f"dt={DAY}/{OUTPUT_NAME}") == 2
    assert source.count(".json.gz") == 1
    late = rolled.execute("SELECT event FROM logs WHERE event IN ('late arrival', 'later still')")
    assert sorted(late.rows) == [("late arrival",), ("later still",)]

    sql, params = QUERIES["one hour pinned"]
    ((_view, source),) = rolled.planner.plan(sql, params).views
    assert f"dt={DAY}/hour=05/{OUTPUT_NAME}" in source
    assert f"dt={DAY}/{OUTPUT_NAME}" not in source


def test_a_day_file_without_a_table_column_is_passed_over(tmp_path: Path) -> None:
    """A day file written before a hot attribute was declared lacks its column: its hours
    are read from their own files until the day is rolled up again."""
    metrics = Metrics(CollectorRegistry())
    dataset = build(LocalStore(tmp_path, fsync=False), metrics)
    engine = DuckDBEngine(dataset.store)
    sql, _ = QUERIES["rows per hour"]
    before = engine.execute(sql)
    _roll_up_everything(dataset.store, metrics)
    day = Partition(Kind.LOG, "checkout", DAY, None)
    data = dataset.store.get(day.compacted_key(OUTPUT_NAME))
    table = pq.read_table(pa.BufferReader(data))
    sink = pa.BufferOutputStream()
    pq.write_table(table.drop_columns(["latency_ms"]), sink)
    dataset.store.put(day.compacted_key(OUTPUT_NAME), sink.getvalue().to_pybytes())
    after = engine.execute(sql)
    _same(before, after)
    ((_view, source),) = engine.planner.plan(sql).views
    assert f"service=checkout/dt={DAY}/{OUTPUT_NAME}" not in source
    assert f"service=search/dt={DAY}/{OUTPUT_NAME}" in source
    engine.close()
