"""Frames for a drift run: a window of predictions (with labels) and the reference.

Windows are read through the QueryEngine with one SQL text in the Trino dialect, so the
same query runs on Athena and on DuckDB. `features` and `prediction` arrive as JSON text
and are expanded here into one column per feature.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlparse

import orjson
import pandas as pd  # type: ignore[import-untyped,unused-ignore]

from observability.analyze.config import FileReference, ModelConfig, WindowReference
from observability.core.errors import ObservabilityError
from observability.query.base import QueryEngine

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


class ReferenceDataError(ObservabilityError):
    """The reference data cannot be read; the message names the model and the source."""


@dataclass(slots=True)
class WindowFrame:
    """A window's rows: one column per feature seen, plus prediction and target."""

    frame: pd.DataFrame
    #: Every feature name that occurs in the window (configured or not).
    feature_names: list[str]


def params(model: str, start: datetime, end: datetime) -> dict[str, Any]:
    """Query parameters; timestamps are naive UTC, as both engines' `timestamp` columns are."""
    return {"model": model, "start": _naive_utc(start), "end": _naive_utc(end)}


def load_window(
    engine: QueryEngine, model: ModelConfig, start: datetime, end: datetime
) -> WindowFrame:
    """Predictions of `model` in [start, end), features expanded, labels joined."""
    result = engine.execute(WINDOW_SQL, params(model.name, start, end))
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
    columns = [*names, model.prediction, model.target]
    frame = pd.DataFrame.from_records(records, columns=columns)
    return WindowFrame(frame, list(names))


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
    parsed = urlparse(uri)
    try:
        if parsed.scheme == "s3":
            if s3_reader is None:
                raise ReferenceDataError(f"model {model}: reference {uri}: no S3 access configured")
            source: Any = io.BytesIO(s3_reader(uri))
        else:
            source = Path(parsed.path if parsed.scheme == "file" else uri)
        if uri.lower().endswith(".parquet"):
            return pd.read_parquet(source)
        compression = "gzip" if uri.lower().endswith(".gz") else None
        return pd.read_csv(source, compression=compression)
    except (OSError, ValueError, KeyError) as exc:
        raise ReferenceDataError(f"model {model}: reference {uri}: {exc}") from None


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


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def s3_reader(client_factory: Callable[[], Any]) -> S3Reader:
    """An S3Reader over a boto3 S3 client made on first use (`AwsClients(settings).s3`)."""

    def read(uri: str) -> bytes:
        parsed = urlparse(uri)
        response = client_factory().get_object(Bucket=parsed.netloc, Key=parsed.path.lstrip("/"))
        body: bytes = response["Body"].read()
        return body

    return read
