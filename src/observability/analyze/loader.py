"""Frames for a drift run: a window of predictions (with labels) and the reference.

Windows are read through the QueryEngine with one SQL text in the Trino dialect, so the
same query runs on Athena and on DuckDB. `features`, `prediction` and `label` are JSON
text. An engine that hands over columns (DuckDB's `frame`) expands them inside DuckDB
(`columns.py`) and the window reaches pandas as Arrow columns; otherwise (Athena) rows are
expanded one by one (`rows_frame`, also the reference the columnar path is tested against).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final, Protocol, runtime_checkable

import numpy as np
import orjson
import pandas as pd  # type: ignore[import-untyped,unused-ignore]

from observability.analyze import columns
from observability.analyze.config import FileReference, ModelConfig, WindowReference
from observability.core.errors import ObservabilityError
from observability.core.times import naive_utc
from observability.query.base import QueryEngine, QueryError
from observability.store.factory import parse_location, s3_location

#: The window's predictions, each with its latest label when one has arrived. Labels are
#: only looked for from the window's start on (ground truth comes after the prediction).
WINDOW_SQL: Final = """
SELECT p.prediction_id, p.timestamp, p.features, p.prediction, l.label
FROM predictions p
LEFT JOIN (
    SELECT prediction_id, max_by(label, timestamp) AS label
    FROM labels
    WHERE model = :model AND timestamp >= :start
    GROUP BY prediction_id
) l ON l.prediction_id = p.prediction_id
WHERE p.model = :model AND p.timestamp >= :start AND p.timestamp < :end
"""
#: Both loaders hand the window over in time order, so its report sample is the same on
#: every run (the columnar one sorts as it reads the columns).
ROWS_ORDER: Final = "ORDER BY p.timestamp, p.prediction_id\n"
#: How many of the window's predictions have a label: a rise means late labels arrived.
LABEL_COUNT_SQL: Final = """
SELECT count(DISTINCT l.prediction_id) AS labelled
FROM labels l
JOIN predictions p ON p.prediction_id = l.prediction_id
WHERE l.model = :model AND l.timestamp >= :start
  AND p.model = :model AND p.timestamp >= :start AND p.timestamp < :end
"""

#: Reads `s3://bucket/key` -> bytes (built at the composition root from AwsClients).
S3Reader = Callable[[str], bytes]


@runtime_checkable
class FrameEngine(Protocol):
    """An engine that returns a statement's rows as columns (`DuckDBEngine.frame`)."""

    def frame(
        self, sql: str, params: Mapping[str, Any] | None = None, *, then: str | None = None
    ) -> Any:
        """A pyarrow Table of the rows; `then` is a DuckDB SELECT over `result`."""
        ...


class ReferenceDataError(ObservabilityError):
    """The reference data cannot be read; the message names the model and the source."""


@dataclass(slots=True)
class WindowFrame:
    """A window's rows: one column per feature seen, plus prediction and target."""

    frame: pd.DataFrame
    #: Every feature name that occurs in the window (configured or not).
    feature_names: list[str]
    #: Each row's timestamp (naive UTC, ascending) when the loader read them.
    timestamps: Any = None
    #: Whether the rows are exactly the stored records: none re-delivered, and each with
    #: the configured names, every value of its feature's JSON type (`typed` loading).
    exact: bool = False


def params(model: str, start: datetime, end: datetime) -> dict[str, Any]:
    """Query parameters; timestamps are naive UTC, as both engines' `timestamp` columns are."""
    return {"model": model, "start": naive_utc(start), "end": naive_utc(end)}


def load_window(
    engine: QueryEngine,
    model: ModelConfig,
    start: datetime,
    end: datetime,
    *,
    typed: bool = False,
) -> WindowFrame:
    """Predictions of `model` in [start, end), features expanded, labels joined.

    `typed` asks the columnar loader to tell whether the frame is exactly the stored
    records (`WindowFrame.exact`): a first run sketches its hours from it.
    """
    if isinstance(engine, FrameEngine):
        return columns_frame(engine, model, start, end, typed=typed)
    return rows_frame(engine, model, start, end)


def columns_frame(
    engine: FrameEngine,
    model: ModelConfig,
    start: datetime,
    end: datetime,
    *,
    typed: bool = False,
) -> WindowFrame:
    """The window expanded in DuckDB and handed over as Arrow columns, in one pass."""
    features = dict(model.features)
    window = params(model.name, start, end)
    try:
        fetched = engine.frame(
            WINDOW_SQL, window, then=columns.window_select(features, strict=True, typed=typed)
        )
    except QueryError:  # a value of another type or a missing name: the exact form
        fetched = engine.frame(
            WINDOW_SQL, window, then=columns.window_select(features, strict=False)
        )
    table = columns.Rows(fetched)
    del fetched  # its columns are let go of as they are read
    # A re-delivered record appears twice; the prediction id names it once.
    keep = columns.first_rows(columns.ids(table))
    unique = bool(keep.all())
    if not unique:
        table = table.filter(keep)
    rows, documents = columns.irregular(table)
    records = [doc if isinstance(doc, dict) else {} for doc in documents]
    seen: dict[str, None] = {}
    for record in records:
        seen.update(dict.fromkeys(record))
    regular_rows = len(records) < table.num_rows  # these have exactly the configured names
    data: dict[str, Any] = {}
    for index, (name, kind) in enumerate(features.items()):
        if regular_rows or name in seen:
            cells = columns.feature(table, index, kind)
            if records:
                values = [r.get(name, np.nan) for r in records]
                cells = columns.patched(cells, kind, values, rows)
            data[name] = cells
    for name in seen:
        if name not in features:
            values = [r.get(name, np.nan) for r in records]
            data[name] = columns.spread(values, rows, table.num_rows)
    names = _ordered(list(data), features)
    data[model.prediction] = columns.column(table, columns.PREDICTION)
    data[model.target] = columns.column(table, columns.LABEL)
    frame = pd.DataFrame(data, columns=[*names, model.prediction, model.target], copy=False)
    stamps = columns.timestamps(table)
    return WindowFrame(frame, names, stamps, exact=typed and unique and not documents)


def rows_frame(
    engine: QueryEngine, model: ModelConfig, start: datetime, end: datetime
) -> WindowFrame:
    """The window row by row through Python objects (engines without `frame`: Athena).

    Configured features come first (in configured order), then the others as first seen.
    """
    result = engine.execute(WINDOW_SQL + ROWS_ORDER, params(model.name, start, end))
    rows = result.to_dicts()
    # A re-delivered record appears twice; the prediction id names it once.
    unique = {row["prediction_id"]: row for row in rows}
    records: list[dict[str, Any]] = []
    names: dict[str, None] = {}
    for row in unique.values():
        features = _json(row["features"])
        record = dict(features) if isinstance(features, dict) else {}
        names.update(dict.fromkeys(record))
        record[model.prediction] = _predicted(_json(row["prediction"]))
        record[model.target] = _json(row["label"])
        records.append(record)
    ordered = _ordered(list(names), model.features)
    frame = pd.DataFrame.from_records(records, columns=[*ordered, model.prediction, model.target])
    return WindowFrame(frame, ordered)


def count_labels(engine: QueryEngine, model: str, start: datetime, end: datetime) -> int:
    """How many predictions of the window have a label now."""
    result = engine.execute(LABEL_COUNT_SQL, params(model, start, end))
    return int(result.rows[0][0]) if result.rows else 0


def load_reference(
    engine: QueryEngine, model: ModelConfig, s3_reader: S3Reader | None = None
) -> pd.DataFrame:
    """The reference rows: a CSV/Parquet file (local or s3://) or a past window."""
    reference = model.reference
    if isinstance(reference, WindowReference):
        return load_window(engine, model, reference.start, reference.end).frame
    return read_reference_file(reference, model.name, s3_reader)


def read_reference_file(
    reference: FileReference, model: str, s3_reader: S3Reader | None = None
) -> pd.DataFrame:
    """CSV (optionally gzip) or Parquet from a path, a file:// URL or s3://."""
    uri = reference.uri
    try:
        location = parse_location(uri, f"model {model}: reference")
        if location.scheme == "s3":
            if s3_reader is None:
                raise ReferenceDataError(f"model {model}: reference {uri}: no S3 access configured")
            source: Any = io.BytesIO(s3_reader(uri))
        else:
            source = Path(location.path)
        if uri.lower().endswith(".parquet"):
            return parquet_frame(source)
        compression = "gzip" if uri.lower().endswith(".gz") else None
        return pd.read_csv(source, compression=compression)
    except (OSError, ValueError, KeyError) as exc:
        raise ReferenceDataError(f"model {model}: reference {uri}: {exc}") from None


def parquet_frame(source: Any) -> pd.DataFrame:
    """`pd.read_parquet`'s frame, read a column at a time: pandas holds the whole Arrow
    table beside the frame it makes (a peak of 350 MB for a 150 MB reference, while the
    drift job is reading its window), this one column's.

    An index stored as columns is pandas' to rebuild: such a file is read its way.
    """
    import pyarrow.parquet as pq

    file = pq.ParquetFile(source)
    schema = file.schema_arrow
    index = (schema.pandas_metadata or {}).get("index_columns", [])
    if any(not isinstance(entry, dict) or entry.get("kind") != "range" for entry in index):
        return pd.read_parquet(source)
    columns = {name: file.read(columns=[name]).column(0).to_pandas() for name in schema.names}
    frame = pd.DataFrame(columns, columns=schema.names, copy=False)
    if index:
        entry = index[0]
        frame.index = pd.RangeIndex(
            entry["start"], entry["stop"], entry["step"], name=entry.get("name")
        )
    return frame


def _ordered(names: list[str], configured: Mapping[str, Any]) -> list[str]:
    """Configured features first, in configured order; the others as first seen."""
    return [*(n for n in configured if n in names), *(n for n in names if n not in configured)]


def _json(value: Any) -> Any:
    if isinstance(value, str | bytes):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def _predicted(value: Any) -> Any:
    """A class -> probability mapping becomes its most probable class."""
    if isinstance(value, dict) and value:
        return max(value.items(), key=lambda item: (item[1], str(item[0])))[0]
    return value


def s3_reader(client_factory: Callable[[], Any]) -> S3Reader:
    """An S3Reader over a boto3 S3 client made on first use (`AwsClients(settings).s3`)."""

    def read(uri: str) -> bytes:
        location = s3_location(uri, "a reference")
        response = client_factory().get_object(Bucket=location.bucket, Key=location.path)
        body: bytes = response["Body"].read()
        return body

    return read
