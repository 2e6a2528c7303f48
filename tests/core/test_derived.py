"""Derived tables are declared once: files, Glue and DuckDB all show the declared columns."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from observability.analyze.job import DriftJob
from observability.catalog.render import definitions
from observability.core import keys
from observability.core.derived import ALL_DERIVED, DRIFT_METRICS, JOB_RUNS, DerivedTable
from observability.query.duckdb import DuckDBEngine
from observability.query.tables import TABLE_SPECS
from observability.store.local import LocalStore
from tests.analyze.generated import START, frame, model_config, write_predictions

REPO = Path(__file__).resolve().parents[2]
RUN_START = datetime(2026, 12, 1, 8, tzinfo=UTC)


def _run_row(job: str, run_id: str, **overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "job": job,
        "target": "fraud/2026-12-01T07:00:00+00:00_2026-12-01T08:00:00+00:00",
        "run_id": run_id,
        "status": "ok",
        "started_at": RUN_START,
        "finished_at": RUN_START + timedelta(seconds=3),
        "duration_seconds": 3.0,
        "error": None,
        "worker": "w1",
    }
    row.update(overrides)
    return row


@pytest.mark.slow
def test_drift_job_output_reads_back_as_the_declared_columns(
    store: LocalStore, tmp_path: Path
) -> None:
    """After a drift run, DuckDB's `SELECT * FROM drift_metrics` has the declared columns."""
    rng = np.random.default_rng(7)
    reference = tmp_path / "reference.parquet"
    frame(rng, 2000, shifted=False).to_parquet(reference)
    write_predictions(store, "gen", START, frame(rng, 1500, shifted=True), "h0")
    engine = DuckDBEngine(store)
    job = DriftJob(store, engine, {"gen": model_config(reference={"path": str(reference)})})
    result = job.run("gen", START, START + timedelta(hours=1))

    stored = pq.read_table(store.root / keys.drift_metrics_key(result.report_id))
    assert stored.schema.equals(DRIFT_METRICS.arrow_schema())
    read = engine.execute("SELECT * FROM drift_metrics")
    assert tuple(read.columns) == DRIFT_METRICS.column_names
    rows = read.to_dicts()
    assert len(rows) == len(result.features) > 0
    assert {(r["model"], r["dt"], r["report_id"]) for r in rows} == {
        ("gen", f"{START:%Y-%m-%d}", result.report_id)
    }


@pytest.mark.parametrize("table", ALL_DERIVED, ids=lambda t: t.name)
def test_glue_renders_the_declared_columns(table: DerivedTable) -> None:
    """The Glue table (in memory and committed under glue/tables/) has the declared columns."""
    rendered = definitions()[table.name]
    committed = json.loads((REPO / "glue" / "tables" / f"{table.name}.json").read_text())
    for definition in (rendered, committed):
        columns = [c["Name"] for c in definition["StorageDescriptor"]["Columns"]]
        partitions = [c["Name"] for c in definition["PartitionKeys"]]
        assert (*columns, *partitions) == table.column_names
        types = [c["Type"] for c in definition["StorageDescriptor"]["Columns"]]
        assert types == [c.glue_type for c in table.columns]
        assert definition["StorageDescriptor"]["Location"] == f"${{StoreUrl}}/{table.prefix}"


@pytest.mark.parametrize("table", ALL_DERIVED, ids=lambda t: t.name)
def test_every_derived_table_is_a_sql_table(table: DerivedTable, store: LocalStore) -> None:
    """Each derived table is a DuckDB table with its declared columns before any file exists."""
    assert table.name in TABLE_SPECS
    result = DuckDBEngine(store).execute(f"SELECT * FROM {table.name}")  # noqa: S608
    assert result.rows == []
    assert tuple(result.columns) == table.column_names


def test_a_column_missing_from_older_files_reads_as_null(store: LocalStore) -> None:
    """An old file without `worker` and `error` reads with NULLs next to a current file."""
    old = pa.table(
        {
            "target": ["t-old"],
            "run_id": ["r-old"],
            "status": ["ok"],
            "started_at": pa.array([RUN_START], pa.timestamp("us", tz="UTC")),
            "finished_at": pa.array([RUN_START], pa.timestamp("us", tz="UTC")),
            "duration_seconds": [1.5],
        }
    )
    sink = pa.BufferOutputStream()
    pq.write_table(old, sink)
    store.put(keys.job_run_key("compaction", RUN_START, "r-old"), sink.getvalue().to_pybytes())
    current = _run_row("drift", "r-new", status="error", error="ValueError: boom")
    store.put(keys.job_run_key("drift", RUN_START, "r-new"), JOB_RUNS.parquet([current]))

    rows = (
        DuckDBEngine(store)
        .execute("SELECT job, run_id, status, error, worker, dt FROM job_runs ORDER BY run_id")
        .to_dicts()
    )
    assert rows == [
        {
            "job": "drift",
            "run_id": "r-new",
            "status": "error",
            "error": "ValueError: boom",
            "worker": "w1",
            "dt": "2026-12-01",
        },
        {
            "job": "compaction",
            "run_id": "r-old",
            "status": "ok",
            "error": None,
            "worker": None,
            "dt": "2026-12-01",
        },
    ]


def test_a_column_missing_from_every_file_reads_as_null(store: LocalStore) -> None:
    """When no file has a declared column yet, it is NULL of the declared type, not an error."""
    old = pa.table({"target": ["t"], "run_id": ["r1"], "status": ["ok"]})
    sink = pa.BufferOutputStream()
    pq.write_table(old, sink)
    store.put(keys.job_run_key("drift", RUN_START, "r1"), sink.getvalue().to_pybytes())
    result = DuckDBEngine(store).execute(
        "SELECT run_id, started_at, duration_seconds, worker FROM job_runs"
    )
    assert result.rows == [("r1", None, None, None)]


def test_writer_rows_drop_partition_columns_and_refuse_missing_values() -> None:
    """`parquet()` keeps only file columns; a null in a non-nullable column is refused."""
    data = JOB_RUNS.parquet([_run_row("drift", "r1")])
    table = pq.read_table(pa.BufferReader(data))
    assert table.column_names == [c.name for c in JOB_RUNS.columns]
    assert "job" not in table.column_names
    with pytest.raises((pa.ArrowInvalid, ValueError)):
        JOB_RUNS.parquet([_run_row("drift", "r2", worker=None)])
