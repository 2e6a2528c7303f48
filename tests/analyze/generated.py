"""Generated prediction data for the drift tests: known shifts at a known hour."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import orjson
import pandas as pd

from observability.analyze.config import ModelConfig, model_from_mapping
from observability.core.checks import utc_now_iso
from observability.core.schema import Kind
from observability.store.base import ObjectStore
from observability.store.files import encode_ndjson_gz, new_filename
from observability.transform.lines import transform_line

NUMERIC = [f"num_{i}" for i in range(6)]
CATEGORICAL = ["colour", "country"]
#: The three features that shift at SHIFT_HOUR, each in its own way.
SHIFTED = ("num_1", "num_4", "country")
START = datetime(2026, 11, 1, tzinfo=UTC)
SHIFT_HOUR = 3
HOURS = 6


def model_config(**overrides: Any) -> ModelConfig:
    """The generated model's configuration (reference: a file path given by the test)."""
    entry: dict[str, Any] = {
        "name": "gen",
        "task": "classification",
        "features": {
            **dict.fromkeys(NUMERIC, "numeric"),
            **dict.fromkeys(CATEGORICAL, "categorical"),
        },
        "reference": {"path": "reference.parquet"},
        "window": "1h",
        "min_samples": 50,
        "report_sample_rows": 2000,
    }
    entry.update(overrides)
    return model_from_mapping(entry)


def frame(rng: np.random.Generator, n: int, shifted: bool) -> pd.DataFrame:
    """Rows of the generated model; `shifted` moves num_1's mean, num_4's spread, country's mix."""
    columns: dict[str, Any] = {name: rng.normal(0.0, 1.0, n) for name in NUMERIC}
    columns["colour"] = rng.choice(["red", "green", "blue"], n)
    mix = [0.2, 0.2, 0.6] if shifted else [0.5, 0.3, 0.2]
    columns["country"] = rng.choice(["de", "fr", "it"], n, p=mix)
    if shifted:
        columns["num_1"] = columns["num_1"] + 1.0
        columns["num_4"] = columns["num_4"] * 3.0
    columns["prediction"] = rng.integers(0, 2, n)
    columns["target"] = rng.integers(0, 2, n)
    return pd.DataFrame(columns)


def write_predictions(
    store: ObjectStore, model: str, hour: datetime, rows: pd.DataFrame, id_prefix: str
) -> list[str]:
    """Write rows as prediction records through the transform, in the collector's layout."""
    ids = []
    lines = []
    for i, row in enumerate(rows.to_dict("records")):
        prediction_id = f"{id_prefix}-{i}"
        ids.append(prediction_id)
        features = {k: _scalar(v) for k, v in row.items() if k not in ("prediction", "target")}
        record = {
            "kind": "prediction",
            "timestamp": (hour + timedelta(seconds=i % 3600)).isoformat(),
            "model": model,
            "prediction_id": prediction_id,
            "features": features,
            "prediction": _scalar(row["prediction"]),
        }
        lines.append(orjson.dumps(record))
    _put(store, lines, Kind.PREDICTION)
    return ids


def write_labels(store: ObjectStore, model: str, at: datetime, labels: Mapping[str, Any]) -> None:
    """Write label records (prediction_id -> label) timestamped `at`."""
    lines = [
        orjson.dumps(
            {
                "kind": "label",
                "timestamp": at.isoformat(),
                "model": model,
                "prediction_id": pid,
                "label": _scalar(label),
            }
        )
        for pid, label in labels.items()
    ]
    _put(store, lines, Kind.LABEL)


def write_records(store: ObjectStore, records: Iterable[Mapping[str, Any]]) -> None:
    """Write prediction records as given (through the transform, which must accept them)."""
    _put(store, (orjson.dumps(record) for record in records), Kind.PREDICTION)


def _put(store: ObjectStore, lines: Iterable[bytes], kind: Kind) -> None:
    groups: dict[Any, list[bytes]] = defaultdict(list)
    now = utc_now_iso()  # the collector's canonical form, which compaction requires
    for line in lines:
        accepted = transform_line(line, kind, now)
        groups[accepted.partition].append(accepted.line)
    for partition, group in groups.items():
        store.put(partition.object_key(new_filename()), encode_ndjson_gz(group))


def _scalar(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value
