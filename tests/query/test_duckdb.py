"""DuckDBEngine over a local store and over S3 (moto): files chosen, nothing counted twice."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow.fs as pafs
import pytest

from observability.core.aws import AwsClients
from observability.core.derived import DRIFT_METRICS
from observability.core.metrics import Metrics
from observability.core.schema import Kind
from observability.core.settings import Settings
from observability.query.base import QueryError
from observability.query.duckdb import DuckDBEngine
from observability.query.factory import arrow_s3
from observability.query.library import NAMED
from observability.store.compaction import Compactor
from observability.store.local import LocalStore
from observability.store.rollup import DayRollup, by_day
from observability.store.s3 import S3Store
from tests.query.conftest import DAY, Dataset, at, checkout_logs
from tests.query.data import log, write

COUNT = "SELECT count(*) FROM logs WHERE service = :service"


@pytest.fixture
def engine(dataset: Dataset) -> Iterator[DuckDBEngine]:
    """A DuckDB engine over the data set."""
    engine = DuckDBEngine(dataset.store)
    yield engine
    engine.close()


def test_compacted_hour_with_a_late_file_counts_each_record_once(
    engine: DuckDBEngine, dataset: Dataset
) -> None:
    """Hour 05: the Parquet file plus only the NDJSON file its manifest does not list."""
    result = engine.execute(
        COUNT + " AND dt = :dt AND hour = '05'", {"service": "checkout", "dt": DAY}
    )
    expected = sum(1 for j in range(100) if j % 24 == 5) + 1
    assert result.rows == [(expected,)]
    assert result.extra["files"] == 2
    late = dataset.store.path(dataset.late_key)
    parquet = dataset.store.path(
        f"compacted/logs/service=checkout/dt={DAY}/hour=05/part-0000.parquet"
    )
    assert result.bytes_scanned == late.stat().st_size + parquet.stat().st_size


def test_whole_day_counts_compacted_and_plain_hours(engine: DuckDBEngine) -> None:
    """12 compacted hours and 12 NDJSON hours add up to every record exactly once."""
    result = engine.execute(COUNT, {"service": "checkout"})
    assert result.rows == [(len(checkout_logs()) + 1,)]


def test_pruning_reads_only_the_pinned_partitions(dataset: Dataset) -> None:
    """A one-service query reads that service's files; without pruning it reads all."""
    pruned = DuckDBEngine(dataset.store).execute(COUNT + " AND hour = '13'", {"service": "search"})
    full = DuckDBEngine(dataset.store, prune=False).execute(
        COUNT + " AND hour = '13'", {"service": "search"}
    )
    assert pruned.rows == full.rows == [(4,)]
    assert pruned.extra["files"] == 1
    assert full.extra["files"] > 20
    assert pruned.bytes_scanned is not None and full.bytes_scanned is not None
    assert pruned.bytes_scanned < full.bytes_scanned


def test_new_service_is_queryable_without_a_manual_step(fresh_dataset: Dataset) -> None:
    """Records of a service nobody has seen before show up in the next query."""
    engine = DuckDBEngine(fresh_dataset.store)
    assert engine.execute(COUNT, {"service": "brand-new"}).rows == [(0,)]
    write(fresh_dataset.store, Kind.LOG, [log("brand-new", at(9), level="error")] * 3)
    assert engine.execute(COUNT, {"service": "brand-new"}).rows == [(3,)]
    rows = engine.execute(
        "SELECT service, count(*) FROM logs GROUP BY service ORDER BY service"
    ).rows
    assert rows == [("brand-new", 3), ("checkout", 101), ("search", 100)]


def test_injection_attempt_stays_a_literal(engine: DuckDBEngine) -> None:
    """A parameter value with SQL in it matches nothing and changes no statement."""
    evil = "checkout' OR '1'='1"
    assert engine.execute(COUNT, {"service": evil}).rows == [(0,)]
    assert engine.execute(COUNT, {"service": "checkout"}).rows == [(101,)]


def test_writes_and_table_functions_are_refused(engine: DuckDBEngine) -> None:
    """DDL, COPY-like statements and file-reading table functions never run."""
    for sql in (
        "DROP TABLE logs",
        "SELECT * FROM read_text('/etc/hostname')",
        "SELECT 1; SELECT 2",
    ):
        with pytest.raises(QueryError):
            engine.execute(sql)


def test_max_rows_truncates_and_says_so(engine: DuckDBEngine) -> None:
    """At most max_rows rows come back, with `truncated` set."""
    result = engine.execute("SELECT record_id FROM logs", max_rows=5)
    assert len(result.rows) == 5
    assert result.truncated


def test_timeout_interrupts_a_long_query(engine: DuckDBEngine) -> None:
    """A query over its time limit is interrupted and reported as a timeout."""
    slow = "SELECT count(*) FROM logs a CROSS JOIN logs b CROSS JOIN logs c CROSS JOIN logs d"
    with pytest.raises(QueryError, match="timed out"):
        engine.execute(slow, timeout_seconds=0.2)


def test_execution_errors_are_query_errors(engine: DuckDBEngine) -> None:
    """An unknown column is a one-line QueryError, not a DuckDB traceback."""
    with pytest.raises(QueryError, match="DuckDB"):
        engine.execute("SELECT no_such_column FROM logs")


def test_drift_metrics_is_an_empty_table_until_written(engine: DuckDBEngine) -> None:
    """drift_metrics exists with its declared columns before the drift job has written anything."""
    result = engine.execute("SELECT * FROM drift_metrics")
    assert result.rows == []
    assert tuple(result.columns) == DRIFT_METRICS.column_names


@pytest.fixture
def s3_store(aws: AwsClients) -> S3Store:
    """An S3 store on moto under a prefix."""
    aws.s3().create_bucket(Bucket="data")
    return S3Store(aws.s3(), "data", "env/prod")


def test_s3_store_through_pyarrow_filesystem(
    s3_store: S3Store, aws_settings: Settings, aws: AwsClients, metrics: Metrics
) -> None:
    """On S3 (moto) via pyarrow's S3FileSystem, compacted and late NDJSON rows count once."""
    write(s3_store, Kind.LOG, checkout_logs()[:30])
    compactor = Compactor(s3_store, metrics)
    for partition in compactor.find([Kind.LOG]):
        compactor.compact(partition)
    write(s3_store, Kind.LOG, [log("checkout", at(0, 59), latency_ms=5)])
    filesystem = arrow_s3(aws_settings, aws._session)
    assert isinstance(filesystem, pafs.S3FileSystem)
    engine = DuckDBEngine(s3_store, s3_filesystem=filesystem)
    result = NAMED["error-rate"].run(
        engine, {"service": "checkout", "start": f"{DAY}T00:00:00", "end": f"{DAY}T02:00:00"}
    )
    assert [(r["hour"], r["records"], r["errors"]) for r in result.to_dicts()] == [
        ("00", 3, 1),
        ("01", 2, 0),
    ]
    assert result.extra["files"] == 3
    engine.close()


@pytest.mark.aws
def test_s3_store_reads_day_files(
    s3_store: S3Store, aws_settings: Settings, aws: AwsClients, metrics: Metrics
) -> None:
    """On S3, a rolled-up day is read from its day file, and a file that arrived after it
    as NDJSON, each record once."""
    write(s3_store, Kind.LOG, checkout_logs()[:30])
    compactor = Compactor(s3_store, metrics)
    found = compactor.find([Kind.LOG])
    for partition, sources in found.items():
        compactor.compact(partition, sources)
    ((day, hours),) = by_day(found).items()
    assert DayRollup(s3_store, compactor, metrics).roll_up(day, hours).written
    write(s3_store, Kind.LOG, [log("checkout", at(0, 59), latency_ms=5)])
    engine = DuckDBEngine(s3_store, s3_filesystem=arrow_s3(aws_settings, aws._session))
    result = NAMED["error-rate"].run(
        engine, {"service": "checkout", "start": f"{DAY}T00:00:00", "end": f"{DAY}T02:00:00"}
    )
    assert [(r["hour"], r["records"], r["errors"]) for r in result.to_dicts()] == [
        ("00", 3, 1),
        ("01", 2, 0),
    ]
    assert result.extra["files"] == 2  # the day file and the late file
    engine.close()


def test_local_engine_refuses_unknown_store() -> None:
    """A store DuckDB cannot read is refused up front."""
    with pytest.raises(QueryError):
        DuckDBEngine(object())  # type: ignore[arg-type]


def test_store_root_with_quote_is_read(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Paths are quoted in the generated SQL: a directory named with a quote still works."""
    store = LocalStore(tmp_path_factory.mktemp("it's"), fsync=False)
    write(store, Kind.LOG, [log("a", at(1))])
    assert DuckDBEngine(store).execute("SELECT count(*) FROM logs").rows == [(1,)]


def test_drift_metrics_are_read_from_their_parquet_files(tmp_path: Path) -> None:
    """Rows the drift job writes under metrics/drift/ are the drift_metrics table, by model."""
    import io
    from datetime import UTC, datetime

    import pyarrow as pa
    import pyarrow.parquet as pq

    store = LocalStore(tmp_path / "drift-store", fsync=False)
    for model, score in (("fraud", 0.31), ("price", 0.02)):
        table = pa.table(
            {
                "window_start": [datetime(2026, 11, 1, tzinfo=UTC)],
                "window_end": [datetime(2026, 11, 2, tzinfo=UTC)],
                "feature": ["amount"],
                "feature_type": ["numeric"],
                "method": ["psi"],
                "score": [score],
                "threshold": [0.1],
                "drifted": [score > 0.1],
                "n_reference": [1000],
                "n_current": [900],
                "status": ["ok"],
                "detail": [None],
                "report_id": [f"{model}-20261101"],
                "computed_at": [datetime(2026, 11, 2, 0, 5, tzinfo=UTC)],
            }
        )
        sink = io.BytesIO()
        pq.write_table(table, sink)
        store.put(f"metrics/drift/model={model}/dt=2026-11-01/run.parquet", sink.getvalue())
    engine = DuckDBEngine(store)
    rows = engine.execute(
        "SELECT model, dt, feature, score, drifted, status FROM drift_metrics WHERE model = :model",
        {"model": "fraud"},
    ).to_dicts()
    assert rows == [
        {
            "model": "fraud",
            "dt": "2026-11-01",
            "feature": "amount",
            "score": 0.31,
            "drifted": True,
            "status": "ok",
        }
    ]
    assert engine.execute("SELECT count(*) AS n FROM drift_metrics").rows == [(2,)]
