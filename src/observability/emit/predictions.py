"""`log_prediction` and `log_label`: the ML records, through the same sink as the logs.

Unlike a log call, these validate the record before it leaves: a prediction the pipeline
would refuse (a bad model name, a list as a feature) is a bug at the call site, and
`RecordError` names the field there instead of the record landing in `errors/` later.

NaN and infinite feature values become null. JSON has no NaN (orjson would write null
anyway, and a strict parser refuses the literal), and for a feature NaN means "missing",
which is what null means to the drift job. A non-finite prediction, latency or label is
not a missing value but a broken model or clock, so it is refused instead.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, SupportsFloat

from observability.core.errors import Reason, RecordError
from observability.core.partitioning import group_key
from observability.core.schema import SCHEMA_VERSION, Kind, normalize_timestamp, validate
from observability.emit.clock import utc_timestamp
from observability.emit.config import state
from observability.emit.context import get_ids
from observability.emit.ids import new_prediction_id, next_record_id
from observability.emit.otel import span_ids

Scalar = str | bool | int | float | None


def _number(value: object, name: str) -> int | float | None:
    """A plain int or float from any number (numpy, Decimal...); NaN and inf become None."""
    if isinstance(value, numbers.Integral):
        return int(value)
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise RecordError(
            Reason.WRONG_TYPE, f"expected a number, got {type(value).__name__}", name
        ) from None
    return number if math.isfinite(number) else None


def _scalar(value: object, name: str) -> Scalar:
    if value is None or type(value) is str or type(value) is bool:
        return value
    if type(value).__name__ in ("bool", "bool_"):  # numpy's bool is not a bool subclass
        return bool(value)
    if isinstance(value, numbers.Number):
        return _number(value, name)
    raise RecordError(
        Reason.WRONG_TYPE,
        f"expected a number, string, bool or null, got {type(value).__name__}",
        name,
    )


def clean_features(features: Mapping[str, object]) -> dict[str, Scalar]:
    """Feature values as JSON scalars; NaN/inf become None (see the module docstring)."""
    return {str(key): _scalar(value, f"features.{key}") for key, value in features.items()}


def _finite(value: object, name: str) -> object:
    cleaned = _scalar(value, name)
    if cleaned is None and value is not None:
        raise RecordError(Reason.NON_FINITE_NUMBER, "NaN and Infinity are not allowed", name)
    return cleaned


def clean_prediction(prediction: object) -> object:
    """A scalar or a class -> probability map; non-finite values are refused."""
    if isinstance(prediction, Mapping):
        return {str(cls): _finite(prob, f"prediction.{cls}") for cls, prob in prediction.items()}
    return _finite(prediction, "prediction")


def _timestamp(value: datetime | str | None) -> str:
    if value is None:
        return utc_timestamp()
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise RecordError(Reason.NAIVE_TIMESTAMP, "timestamp has no time zone", "timestamp")
        value = value.astimezone(UTC).isoformat()
    return normalize_timestamp(value)


def _submit(kind: Kind, record: dict[str, Any]) -> None:
    current = state()
    validate(record)
    current.sink.submit(kind, group_key(kind, record), current.to_line(record))


def _attributes(record: dict[str, Any], attributes: dict[str, Any]) -> None:
    if attributes:
        redactor = state().redactor
        record["attributes"] = redactor.scrub(attributes) if redactor else attributes


def log_prediction(
    *,
    model: str,
    features: Mapping[str, object],
    prediction: object,
    model_version: str | None = None,
    prediction_id: str | None = None,
    latency_ms: SupportsFloat | None = None,
    timestamp: datetime | str | None = None,
    **attributes: Any,
) -> str:
    """Record one prediction; returns its `prediction_id` (generated when not given).

    Extra keyword arguments go under `attributes` (redacted like log fields); features
    are not redacted: they are model inputs, to be compared across time, not masked.
    """
    current = state()
    record: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "kind": Kind.PREDICTION.value,
        "record_id": next_record_id(),
        "timestamp": _timestamp(timestamp),
        "model": model,
        "prediction_id": new_prediction_id() if prediction_id is None else prediction_id,
        "features": clean_features(features),
        "prediction": clean_prediction(prediction),
        "service": current.static["service"],
        "env": current.static["env"],
    }
    if model_version is not None:
        record["model_version"] = model_version
    if latency_ms is not None:
        latency = _number(latency_ms, "latency_ms")
        if latency is not None:
            record["latency_ms"] = latency
    span = span_ids()
    trace_id = get_ids().get("trace_id") if span is None else span[0]
    if trace_id is not None:
        record["trace_id"] = trace_id
    _attributes(record, attributes)
    _submit(Kind.PREDICTION, record)
    return str(record["prediction_id"])


def log_label(
    *,
    prediction_id: str,
    label: object,
    model: str,
    timestamp: datetime | str | None = None,
    **attributes: Any,
) -> None:
    """Record the ground truth for an earlier prediction (joined by `prediction_id`)."""
    record: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "kind": Kind.LABEL.value,
        "record_id": next_record_id(),
        "timestamp": _timestamp(timestamp),
        "model": model,
        "prediction_id": prediction_id,
        "label": _finite(label, "label"),
    }
    _attributes(record, attributes)
    _submit(Kind.LABEL, record)
