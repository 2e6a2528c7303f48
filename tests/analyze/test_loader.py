"""The columnar window loader (DuckDB -> Arrow -> pandas) against the row-by-row reference."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from observability.analyze.config import ModelConfig
from observability.analyze.loader import (
    WindowFrame,
    columns_frame,
    load_window,
    parquet_frame,
    rows_frame,
)
from observability.query.duckdb import DuckDBEngine
from observability.store.local import LocalStore
from tests.analyze.generated import (
    START,
    frame,
    model_config,
    write_labels,
    write_predictions,
    write_records,
)

HOUR = timedelta(hours=1)


def _both(store: LocalStore, model: ModelConfig) -> tuple[WindowFrame, WindowFrame]:
    """The columnar frame (the same with the JSON type check of a first run) and the rows."""
    engine = DuckDBEngine(store)
    try:
        fast = columns_frame(engine, model, START, START + HOUR)
        typed = columns_frame(engine, model, START, START + HOUR, typed=True)
        _assert_same(typed, fast)
        return fast, rows_frame(engine, model, START, START + HOUR)
    finally:
        engine.close()


def _assert_same(fast: WindowFrame, reference: WindowFrame) -> None:
    assert fast.feature_names == reference.feature_names
    pd.testing.assert_frame_equal(fast.frame, reference.frame)


def test_generated_window_is_the_same_frame(store: LocalStore) -> None:
    """Numeric and categorical features, integer predictions and labels on some rows: the
    columnar frame equals the row-by-row one, column for column and dtype for dtype."""
    rng = np.random.default_rng(1)
    ids = write_predictions(store, "gen", START, frame(rng, 700, shifted=False), "a")
    write_labels(store, "gen", START + HOUR, {pid: i % 3 for i, pid in enumerate(ids[:300])})
    fast, reference = _both(store, model_config())
    assert len(fast.frame) == 700
    assert fast.frame["target"].notna().sum() == 300
    _assert_same(fast, reference)


def _record(i: int, features: Any, prediction: Any) -> dict[str, Any]:
    return {
        "kind": "prediction",
        "timestamp": (START + timedelta(seconds=i)).isoformat(),
        "model": "gen",
        "prediction_id": f"m-{i}",
        "features": features,
        "prediction": prediction,
    }


def _irregular_rows() -> list[dict[str, Any]]:
    """Nulls, missing and unconfigured names, text in a numeric feature, numbers in a
    categorical one, booleans, class -> probability predictions among plain ones."""
    rows = []
    for i in range(120):
        features: dict[str, Any] = {
            "num_0": float(i) / 7,
            "num_1": i,  # integers in a numeric feature
            "num_2": None if i % 5 == 0 else -1.5 * i,
            "num_3": "n/a" if i % 11 == 0 else 0.25 * i,  # text in a numeric feature
            "num_4": 1e300 if i % 13 == 0 else float(i),
            "num_5": True if i % 17 == 0 else 2.0,  # a boolean in a numeric feature
            "colour": ["red", "green", "blue"][i % 3],
            "country": 7 if i % 19 == 0 else ["de", "fr"][i % 2],  # a number among text
        }
        if i % 7 == 0:
            del features["num_2"]  # a missing name
        if i % 23 == 0:
            features["device"] = "linux" if i % 2 else 3  # unconfigured, mixed
        if i % 29 == 0:
            features["beta"] = i % 2 == 0  # unconfigured boolean
        prediction: Any = {"approve": (i % 10) / 10, "decline": 1 - (i % 10) / 10}
        if i % 31 == 0:
            prediction = {"approve": 0.5, "decline": 0.5}  # a tie: the larger class name
        rows.append(_record(i, features, prediction))
    rows.append(_record(500, {}, "approve"))  # no features at all, a class
    rows.append(_record(501, {"colour": "red"}, 1))  # one feature, a number
    return rows


def test_irregular_window_is_the_same_frame(store: LocalStore) -> None:
    """Mixed types, nulls, missing and unconfigured names and probability maps give the
    row-by-row frame exactly (the loader falls back to its exact form for them)."""
    rows = _irregular_rows()
    write_records(store, rows)
    labels = {row["prediction_id"]: ["approve", "decline"][i % 2] for i, row in enumerate(rows)}
    write_labels(store, "gen", START + HOUR, dict(list(labels.items())[::3]))
    fast, reference = _both(store, model_config())
    assert {"device", "beta"} <= set(fast.feature_names)
    assert fast.frame["prediction"].iloc[0] == "decline"  # {approve: 0, decline: 1}
    _assert_same(fast, reference)


def test_regression_window_with_a_redelivered_record(store: LocalStore) -> None:
    """Float predictions and labels, and one record delivered twice: one row per id."""
    rng = np.random.default_rng(4)
    rows = frame(rng, 200, shifted=True)
    rows["prediction"] = rng.normal(0, 1, len(rows))
    ids = write_predictions(store, "gen", START, rows, "r")
    write_predictions(store, "gen", START, rows.iloc[:1], "r")  # the same id and time again
    write_labels(store, "gen", START + HOUR, {pid: float(i) / 3 for i, pid in enumerate(ids)})
    fast, reference = _both(store, model_config(task="regression"))
    assert len(fast.frame) == 200
    assert fast.frame["prediction"].dtype == np.float64
    _assert_same(fast, reference)


def test_booleans_in_a_categorical_feature(store: LocalStore) -> None:
    """A JSON boolean in a categorical feature stays a boolean (as `str` writes it), while
    the window otherwise takes the fast form."""
    rows = [
        _record(i, {"num_0": 0.5, "colour": True if i % 4 == 0 else "true"}, "approve")
        for i in range(40)
    ]
    write_records(store, rows)
    model = model_config(features={"num_0": "numeric", "colour": "categorical"})
    fast, reference = _both(store, model)
    assert fast.frame["colour"].iloc[0] is True
    assert fast.frame["colour"].iloc[1] == "true"
    _assert_same(fast, reference)


def test_empty_window(store: LocalStore) -> None:
    """A window without predictions: no rows, the prediction and target columns only."""
    fast, reference = _both(store, model_config())
    assert fast.frame.empty and fast.feature_names == []
    assert list(fast.frame.columns) == list(reference.frame.columns) == ["prediction", "target"]


def test_load_window_uses_columns_on_duckdb(store: LocalStore) -> None:
    """`load_window` over the DuckDB engine returns the columnar loader's frame."""
    rng = np.random.default_rng(2)
    write_predictions(store, "gen", START, frame(rng, 50, shifted=False), "c")
    engine = DuckDBEngine(store)
    try:
        loaded = load_window(engine, model_config(), START, START + HOUR)
        fast = columns_frame(engine, model_config(), START, START + HOUR)
    finally:
        engine.close()
    pd.testing.assert_frame_equal(loaded.frame, fast.frame)


def test_parquet_reference_reads_as_pandas_reads_it(tmp_path: Path) -> None:
    """A reference read a column at a time is `pd.read_parquet`'s frame: every dtype, nulls,
    a sliced range index, and an index stored as a column."""
    n = 50
    frame = pd.DataFrame(
        {
            "number": np.linspace(-1.0, 1.0, n),
            "count": np.arange(n, dtype=np.int64),
            "text": [None if i % 7 == 0 else f"c{i % 3}" for i in range(n)],
            "flag": [i % 2 == 0 for i in range(n)],
            "at": pd.date_range("2026-11-01", periods=n, freq="min", tz="UTC"),
            "kind": pd.Categorical([f"k{i % 4}" for i in range(n)]),
            "maybe": [None if i % 5 == 0 else float(i) for i in range(n)],
        }
    )
    variants = {
        "plain": frame,
        "sliced": frame.iloc[10:40],
        "indexed": frame.set_index("text"),
        "empty": frame.iloc[0:0],
    }
    for name, variant in variants.items():
        path = tmp_path / f"{name}.parquet"
        variant.to_parquet(path)
        pd.testing.assert_frame_equal(parquet_frame(path), pd.read_parquet(path), obj=name)
