"""Tests of observability.emit.predictions."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
import orjson
import pytest

import observability
from observability.core.errors import Reason, RecordError
from observability.core.partitioning import group_key
from observability.core.schema import Kind
from observability.emit.memory import MemoryLineSink
from observability.transform.lines import transform_lines

INGESTED = "2026-11-23T13:00:00.000000Z"


def test_prediction_record_shape_and_generated_id(sink: MemoryLineSink) -> None:
    """log_prediction emits a prediction record with a generated id, context and attributes."""
    with observability.bound_context(trace_id="t-9"):
        pid = observability.log_prediction(
            model="churn",
            model_version="v3",
            features={"age": 41, "plan": "pro", "active": True, "spend": np.float64(9.5)},
            prediction={"yes": 0.8, "no": 0.2},
            latency_ms=np.float32(3.5),
            user="a@b.io",
        )
    ((kind, group, line),) = sink.lines
    record = orjson.loads(line)
    assert kind is Kind.PREDICTION and group == group_key(Kind.PREDICTION, record)
    assert len(pid) == 32 and record["prediction_id"] == pid
    assert {k: v for k, v in record.items() if k not in ("record_id", "timestamp")} == {
        "schema_version": 1,
        "kind": "prediction",
        "model": "churn",
        "model_version": "v3",
        "prediction_id": pid,
        "features": {"age": 41, "plan": "pro", "active": True, "spend": 9.5},
        "prediction": {"yes": 0.8, "no": 0.2},
        "latency_ms": 3.5,
        "service": "checkout",
        "env": "test",
        "trace_id": "t-9",
        "attributes": {"user": "[REDACTED:email]"},
    }


def test_non_finite_features_become_null(sink: MemoryLineSink) -> None:
    """NaN and infinite features (float, numpy, Decimal) become null; the record validates."""
    observability.log_prediction(
        model="m",
        features={
            "a": float("nan"),
            "b": np.float32("inf"),
            "c": Decimal("NaN"),
            "d": np.int64(3),
            "e": None,
            "f": np.bool_(True),
        },
        prediction=1,
        prediction_id="p-1",
        latency_ms=float("nan"),
    )
    (record,) = sink.records()
    assert record["features"] == {"a": None, "b": None, "c": None, "d": 3, "e": None, "f": True}
    assert "latency_ms" not in record
    lines = [line for _, _, line in sink.lines]
    assert transform_lines(lines, Kind.PREDICTION, INGESTED).rejected == []


def test_label_record_joins_by_prediction_id(sink: MemoryLineSink) -> None:
    """log_label emits a label with the prediction's id; both pass the transform."""
    pid = observability.log_prediction(model="m", features={"x": 1.0}, prediction="cat")
    when = datetime(2026, 11, 24, 8, 30, tzinfo=UTC)
    observability.log_label(prediction_id=pid, label="dog", model="m", timestamp=when, by="ops")
    prediction, label = sink.records()
    assert label["prediction_id"] == prediction["prediction_id"] == pid
    assert (label["label"], label["timestamp"]) == ("dog", "2026-11-24T08:30:00.000000Z")
    assert label["attributes"] == {"by": "ops"}
    assert sink.lines[1][1] == "m|2026-11-24"
    lines = [line for _, _, line in sink.lines]
    assert transform_lines(lines, None, INGESTED).rejected == []


@pytest.mark.parametrize(
    ("call", "reason", "field"),
    [
        (
            lambda: observability.log_prediction(model="m", features={}, prediction=float("nan")),
            Reason.NON_FINITE_NUMBER,
            "prediction",
        ),
        (
            lambda: observability.log_prediction(model="m", features={}, prediction={"a": np.inf}),
            Reason.NON_FINITE_NUMBER,
            "prediction.a",
        ),
        (
            lambda: observability.log_prediction(model="m", features={"x": [1]}, prediction=1),
            Reason.WRONG_TYPE,
            "features.x",
        ),
        (
            lambda: observability.log_prediction(model="no spaces", features={}, prediction=1),
            Reason.INVALID_VALUE,
            "model",
        ),
        (
            lambda: observability.log_label(prediction_id="p", label=float("inf"), model="m"),
            Reason.NON_FINITE_NUMBER,
            "label",
        ),
        (
            lambda: observability.log_label(
                prediction_id="p", label=1, model="m", timestamp=datetime(2026, 1, 1)
            ),
            Reason.NAIVE_TIMESTAMP,
            "timestamp",
        ),
    ],
)
def test_invalid_records_raise_at_the_call_site(
    sink: MemoryLineSink, call: object, reason: Reason, field: str
) -> None:
    """A record the pipeline would refuse raises RecordError naming the field; nothing is sent."""
    with pytest.raises(RecordError) as raised:
        call()  # type: ignore[operator]
    assert (raised.value.reason, raised.value.field) == (reason, field)
    assert sink.lines == []


def test_ml_records_need_configure() -> None:
    """Without configure() the ML calls raise instead of dropping the record."""
    with pytest.raises(RuntimeError, match="configure"):
        observability.log_label(prediction_id="p", label=1, model="m")
