"""A drift benchmark's store, written fast: NDJSON.gz in the collector's layout, vectorised.

The frames (`bench_drift.frames`) become prediction records (one hour, class -> probability
predictions, a share of them labelled) without a Python object per row: DuckDB renders the
columns as JSON lines straight into gzip files, which are put under the keys `core.keys`
derives for their partitions. The reference goes next to the store as Parquet, and the
models file names it.
"""

from __future__ import annotations

import gzip
import tempfile
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

import duckdb
import numpy as np
import pandas as pd
import yaml

from observability.core import keys
from observability.core.partitioning import Partition
from observability.core.schema import Kind
from observability.store.files import GZIP_LEVEL, new_filename
from observability.store.local import LocalStore

MODEL: Final = "bench"
WINDOW_START: Final = datetime(2026, 11, 1, tzinfo=UTC)
WINDOW: Final = timedelta(hours=1)
#: Rows per data file: the collector flushes many files per busy hour.
FILE_ROWS: Final = 125_000
#: Every how many predictions one gets a label (10%).
LABEL_EVERY: Final = 10
_TIME_FORMAT: Final = "%Y-%m-%dT%H:%M:%S.%fZ"


def write_store(root: Path, reference: pd.DataFrame, current: pd.DataFrame) -> Path:
    """Store under `root/store`, reference Parquet and `models.yaml`; returns the models file."""
    store = LocalStore(root / "store", fsync=False)
    reference_path = root / "reference.parquet"
    reference.to_parquet(reference_path)
    with tempfile.TemporaryDirectory() as scratch:
        connection = duckdb.connect(":memory:")
        try:
            _predictions(connection, store, current, Path(scratch))
            _labels(connection, store, len(current), Path(scratch))
        finally:
            connection.close()
    models = root / "models.yaml"
    features = {
        name: "numeric" if pd.api.types.is_float_dtype(reference[name]) else "categorical"
        for name in reference.columns
    }
    entry = {
        "name": MODEL,
        "task": "classification",
        "features": features,
        "reference": {"path": str(reference_path)},
        "window": "1h",
    }
    models.write_text(yaml.safe_dump({"models": [entry]}))
    return models


def window_argument() -> str:
    """`START/END` of the benchmark's window, as `drift run --window` takes it."""
    end = WINDOW_START + WINDOW
    return f"{WINDOW_START.isoformat()}/{end.isoformat()}"


def _predictions(
    connection: duckdb.DuckDBPyConnection, store: LocalStore, current: pd.DataFrame, scratch: Path
) -> None:
    rows = len(current)
    rng = np.random.default_rng(17)
    table = current.copy()
    table["__i"] = np.arange(rows)
    table["__offset_us"] = np.sort(rng.integers(0, int(WINDOW.total_seconds() * 1e6), rows))
    table["__p"] = rng.random(rows)
    connection.register("frame", table)
    connection.execute("CREATE TABLE window_rows AS SELECT * FROM frame")
    connection.unregister("frame")
    features = ", ".join(f"'{name}': \"{name}\"" for name in current.columns)
    start = WINDOW_START.replace(tzinfo=None).isoformat()
    partition = Partition(Kind.PREDICTION, MODEL, keys.day(WINDOW_START), f"{WINDOW_START:%H}")
    # DuckDB renders the JSON lines; gzip (level 1, as the collector writes) runs beside it.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = []
        for first in range(0, rows, FILE_ROWS):
            target = scratch / f"predictions-{first}.json"
            # Text built from constants, column names of our frame and a scratch path.
            connection.execute(
                f"""
                COPY (
                    SELECT 'prediction' AS kind,
                        strftime(TIMESTAMP '{start}' + to_microseconds(__offset_us),
                            '{_TIME_FORMAT}') AS timestamp,
                        '{MODEL}' AS model,
                        'p' || lpad(CAST(__i AS VARCHAR), 8, '0') AS prediction_id,
                        {{{features}}} AS features,
                        {{'approve': round(__p, 4), 'decline': round(1 - __p, 4)}} AS prediction,
                        1 AS schema_version,
                        md5('p' || CAST(__i AS VARCHAR)) AS record_id,
                        strftime(TIMESTAMP '{start}' + INTERVAL 2 HOUR, '{_TIME_FORMAT}')
                            AS ingested_at
                    FROM window_rows WHERE __i >= {first} AND __i < {first + FILE_ROWS}
                    ORDER BY __i
                ) TO '{target}' (FORMAT json)
                """  # noqa: S608
            )
            pending.append(
                pool.submit(_put_gzip, store, partition.object_key(new_filename()), target)
            )
        for done in pending:
            done.result()


def _put_gzip(store: LocalStore, key: str, source: Path) -> None:
    store.put(key, gzip.compress(source.read_bytes(), compresslevel=GZIP_LEVEL, mtime=0))
    source.unlink()


def _labels(
    connection: duckdb.DuckDBPyConnection, store: LocalStore, rows: int, scratch: Path
) -> None:
    at = WINDOW_START + WINDOW + timedelta(minutes=30)
    stamp = at.replace(tzinfo=None).isoformat()
    target = scratch / "labels.json"
    connection.execute(
        f"""
        COPY (
            SELECT 'label' AS kind,
                strftime(TIMESTAMP '{stamp}', '{_TIME_FORMAT}') AS timestamp,
                '{MODEL}' AS model,
                'p' || lpad(CAST(i AS VARCHAR), 8, '0') AS prediction_id,
                CASE WHEN hash(i) % 3 = 0 THEN 'decline' ELSE 'approve' END AS label,
                1 AS schema_version,
                md5('l' || CAST(i AS VARCHAR)) AS record_id,
                strftime(TIMESTAMP '{stamp}' + INTERVAL 1 HOUR, '{_TIME_FORMAT}') AS ingested_at
            FROM range(0, {rows}, {LABEL_EVERY}) t(i)
        ) TO '{target}' (FORMAT json)
        """  # noqa: S608 - constants and a scratch path
    )
    partition = Partition(Kind.LABEL, MODEL, keys.day(at), None)
    _put_gzip(store, partition.object_key(new_filename()), target)
