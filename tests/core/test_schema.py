"""Validation checks every field type, names the field, and normalises records in place."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from observability.core.errors import Reason, RecordError
from observability.core.schema import (
    FIELDS,
    INGESTED_AT,
    MAX_DEPTH,
    MAX_RECORD_BYTES,
    SCHEMA_VERSION,
    Kind,
    content_id,
    normalize_timestamp,
    parse_json_line,
    validate,
)
from tests.transform.records import valid_logs, valid_predictions

TS = "2026-11-23T13:00:00.000000Z"


def log(**fields: Any) -> dict[str, Any]:
    """A valid log record with fields overridden (None removes one)."""
    record = {"kind": "log", "timestamp": TS, "level": "info", "service": "api", "event": "e"}
    record.update(fields)
    return {k: v for k, v in record.items() if v is not None}


def prediction(**fields: Any) -> dict[str, Any]:
    """A valid prediction record with fields overridden."""
    record: dict[str, Any] = {
        "kind": "prediction",
        "timestamp": TS,
        "model": "churn",
        "prediction_id": "p-1",
        "features": {"age": 3, "plan": "pro", "promo": None, "vip": True},
        "prediction": {"yes": 0.25, "no": 0.75},
    }
    record.update(fields)
    return record


def refused(record: dict[str, Any], kind: Kind | None = None) -> RecordError:
    """The error validate raises for `record`."""
    with pytest.raises(RecordError) as caught:
        validate(record, kind)
    return caught.value


@pytest.mark.parametrize(
    ("record", "reason", "field"),
    [
        (log(event=1), Reason.WRONG_TYPE, "event"),
        (log(env=["prod"]), Reason.WRONG_TYPE, "env"),
        (log(service="bad name!"), Reason.INVALID_VALUE, "service"),
        (log(service={"a": 1}), Reason.WRONG_TYPE, "service"),
        (log(record_id=""), Reason.INVALID_VALUE, "record_id"),
        (log(record_id="x" * 257), Reason.INVALID_VALUE, "record_id"),
        (log(record_id=5), Reason.WRONG_TYPE, "record_id"),
        (log(level="loud"), Reason.INVALID_VALUE, "level"),
        (log(level=None), Reason.MISSING_FIELD, "level"),
        (log(timestamp=1700000000), Reason.WRONG_TYPE, "timestamp"),
        (log(timestamp="yesterday"), Reason.INVALID_VALUE, "timestamp"),
        (log(timestamp="2026-11-23T13:00:00"), Reason.NAIVE_TIMESTAMP, "timestamp"),
        (log(timestamp="2026-02-30T13:00:00.000000Z"), Reason.INVALID_VALUE, "timestamp"),
        (log(exception={"type": 1}), Reason.WRONG_TYPE, "exception.type"),
        (log(exception={"frames": "x"}), Reason.WRONG_TYPE, "exception.frames"),
        (log(attributes=[1]), Reason.WRONG_TYPE, "attributes"),
        (log(schema_version="1"), Reason.WRONG_TYPE, "schema_version"),
        (log(schema_version=True), Reason.WRONG_TYPE, "schema_version"),
        (log(schema_version=0), Reason.UNSUPPORTED_SCHEMA_VERSION, "schema_version"),
        (
            log(schema_version=SCHEMA_VERSION + 1),
            Reason.UNSUPPORTED_SCHEMA_VERSION,
            "schema_version",
        ),
        (log(kind="metric"), Reason.INVALID_VALUE, "kind"),
        (log(kind=None), Reason.MISSING_FIELD, "kind"),
        (prediction(features=[1]), Reason.WRONG_TYPE, "features"),
        (prediction(features={"a": [1]}), Reason.WRONG_TYPE, "features.a"),
        (prediction(prediction={}), Reason.INVALID_VALUE, "prediction"),
        (prediction(prediction={"yes": "high"}), Reason.WRONG_TYPE, "prediction.yes"),
        (prediction(prediction=None), Reason.MISSING_FIELD, "prediction"),
        (prediction(latency_ms=True), Reason.WRONG_TYPE, "latency_ms"),
        (prediction(latency_ms=float("inf")), Reason.NON_FINITE_NUMBER, "latency_ms"),
        (prediction(prediction_id=7), Reason.WRONG_TYPE, "prediction_id"),
    ],
)
def test_bad_fields_are_named(record: dict[str, Any], reason: Reason, field: str) -> None:
    """Each wrong value is refused with its reason, and the message names the field."""
    error = refused(record)
    assert error.reason is reason
    assert error.field is not None and error.field.startswith(field)
    assert str(error).startswith(f"{error.field}: ")


def test_label_scalar_types() -> None:
    """A label is a number, string or bool; an object is refused."""
    base = {"kind": "label", "timestamp": TS, "model": "m", "prediction_id": "p"}
    for value in (1, 0.5, "yes", False):
        assert validate({**base, "label": value})["label"] == value
    assert refused({**base, "label": {"a": 1}}).field == "label"


def test_levels_are_normalised() -> None:
    """Aliases and any case map to the five canonical levels."""
    got = [validate(log(level=level))["level"] for level in ("WARN", "Fatal", "exception", "debug")]
    assert got == ["warning", "critical", "error", "debug"]


def test_timestamps_normalise_to_utc_z() -> None:
    """Offsets and precisions become `YYYY-MM-DDTHH:MM:SS.ffffffZ` in UTC."""
    assert normalize_timestamp("2026-11-23T14:30:00+01:00") == "2026-11-23T13:30:00.000000Z"
    assert normalize_timestamp("2026-11-23T23:30:00.5-02:00") == "2026-11-24T01:30:00.500000Z"
    assert normalize_timestamp("2026-11-23T13:00:00Z") == TS
    assert validate(log(timestamp="2026-11-23T13:00:00,250000Z"))["timestamp"] == (
        "2026-11-23T13:00:00.250000Z"
    )


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000000Z"),
        ("1969-12-31T23:30:00-01:00", "1970-01-01T00:30:00.000000Z"),
        ("2199-12-31T23:59:59.999999Z", "2199-12-31T23:59:59.999999Z"),
        ("2199-12-31T23:59:59.9999999Z", "2199-12-31T23:59:59.999999Z"),
        ("2200-01-01T00:30:00+01:00", "2199-12-31T23:30:00.000000Z"),
        ("2026-11-23t13:00:00.5z", "2026-11-23T13:00:00.500000Z"),
        ("2026-11-23 18:30:00+0530", "2026-11-23T13:00:00.000000Z"),
        ("2026-11-23T13:00:00-00:00", "2026-11-23T13:00:00.000000Z"),
    ],
)
def test_timestamps_inside_the_range_become_canonical(text: str, canonical: str) -> None:
    """Each RFC 3339 form inside [1970, 2200) UTC becomes the one canonical text."""
    assert normalize_timestamp(text) == canonical
    assert validate(log(timestamp=text))["timestamp"] == canonical


@pytest.mark.parametrize(
    "text",
    [
        "9999-12-31T23:59:59.999999Z",
        "2200-01-01T00:00:00.000000Z",
        "1969-12-31T23:59:59.999999Z",
        "1970-01-01T00:30:00+01:00",
        "0001-01-01T05:00:00+01:00",
        "9999-12-31T23:30:00-01:00",
        "0000-01-01T00:00:00.000000Z",
        "2026-W47-1T13:00:00Z",
        "2026-W47-1T13:00:00.000000Z",
        "2026-11-23T13:00Z",
        "2026-11-23T13Z",
        "20261123T130000Z",
        "2026-11-23",
        "2026-11-23T13:00:60.000000Z",
        "2026-11-23T24:00:00.000000Z",
        "2026-11-23T13:00:00+24:00",
        "2026-11-23T13:00:00+01",
        "2026-11-23T13:00:00.Z",
        "\u0662\u0660\u0662\u0666-11-23T13:00:00.000000Z",
        "2026-11-23T13:00:00.000000Z\n",
    ],
)
def test_timestamps_outside_the_range_or_grammar_are_invalid(text: str) -> None:
    """Out of [1970, 2200) UTC, or not RFC 3339 (week dates, no seconds...): invalid_value."""
    error = refused(log(timestamp=text))
    assert (error.reason, error.field) == (Reason.INVALID_VALUE, "timestamp")


def test_nesting_too_deep_to_encode_is_refused() -> None:
    """A record orjson reads but cannot write (nesting over MAX_DEPTH) is too_deep, not a crash."""
    deep: Any = []
    for _ in range(300):
        deep = [deep]
    error = refused(log(attributes={"deep": deep}))
    assert (error.reason, error.field) == (Reason.TOO_DEEP, "attributes")


def test_depth_bound_is_exact() -> None:
    """A record nested exactly MAX_DEPTH deep is kept; one level more is too_deep."""

    def nested(depth: int) -> Any:
        value: Any = 1
        for _ in range(depth):
            value = [value]
        return value

    # The record is level 1 and `attributes` level 2: its value adds MAX_DEPTH - 2 more.
    assert validate(log(attributes={"a": nested(MAX_DEPTH - 2)}))["record_id"]
    assert refused(log(attributes={"a": nested(MAX_DEPTH - 1)})).reason is Reason.TOO_DEEP


def test_extras_move_to_attributes_and_nulls_go() -> None:
    """Unknown fields land under attributes; explicit nulls of optional fields are dropped."""
    record = validate(log(user="ada", attributes={"a": 1}, env=None, host=None) | {"env": None})
    assert record["attributes"] == {"a": 1, "user": "ada"}
    assert "env" not in record
    assert "user" not in record


def test_exception_string_becomes_an_object() -> None:
    """A bare exception string is kept as the message of an exception object."""
    record = validate(log(exception="boom"))
    assert record["exception"] == {"type": None, "message": "boom", "frames": []}


def test_wrong_kind_and_stream_default() -> None:
    """The stream's kind refuses others and fills a missing `kind`."""
    assert refused(log(), Kind.PREDICTION).reason is Reason.WRONG_KIND
    record = log()
    del record["kind"]
    assert validate(record, Kind.LOG)["kind"] == "log"


def test_defaults_and_ingest_stamp() -> None:
    """schema_version defaults to the current one; ingested_at is stamped when given."""
    record = validate(log(), ingested_at="2026-11-23T20:00:00.000000Z")
    assert record["schema_version"] == SCHEMA_VERSION
    assert record[INGESTED_AT] == "2026-11-23T20:00:00.000000Z"
    assert len(record["record_id"]) == 32


def test_parse_json_line_reasons() -> None:
    """Lines that are not one JSON object are refused with a precise reason."""
    cases = {
        b"{": Reason.MALFORMED_JSON,
        b"[]": Reason.NOT_AN_OBJECT,
        b'{"a": NaN}': Reason.NON_FINITE_NUMBER,
        b'{"a": "\xff"}': Reason.INVALID_UTF8,
        b'{"a": "' + b"x" * MAX_RECORD_BYTES + b'"}': Reason.TOO_LARGE,
        b'{"a": "\\ud800"}': Reason.INVALID_UTF8,
        b'{"a": 1e400}': Reason.NON_FINITE_NUMBER,
        b'{"a": ' + b"9" * 400 + b"}": Reason.NON_FINITE_NUMBER,
        b'{"a": ' + b"[" * 1100 + b"]" * 1100 + b"}": Reason.TOO_DEEP,
        b'{"a": NaN, "b": ' + b"[" * 3000 + b"]" * 3000 + b"}": Reason.NON_FINITE_NUMBER,
    }
    for line, reason in cases.items():
        with pytest.raises(RecordError) as caught:
            parse_json_line(line)
        assert caught.value.reason is reason


def test_fields_cover_every_kind() -> None:
    """FIELDS describes each kind, with the common fields first."""
    for kind in Kind:
        assert [f.name for f in FIELDS[kind][:3]] == ["schema_version", "kind", "record_id"]


@settings(max_examples=150, deadline=None)
@given(record=st.one_of(valid_logs(), valid_predictions()))
def test_generated_valid_records_validate(record: dict[str, Any]) -> None:
    """Any generated valid record validates, to a canonical UTC timestamp and an id."""
    out = validate(dict(record))
    assert out["timestamp"].endswith("Z") and len(out["timestamp"]) == 27
    assert out["record_id"]
    orjson.dumps(out)


@settings(max_examples=100, deadline=None)
@given(record=valid_logs(), stamps=st.lists(st.text(max_size=5), min_size=2, max_size=2))
def test_content_id_is_deterministic(record: dict[str, Any], stamps: list[str]) -> None:
    """Without record_id, the id ignores key order and ingested_at."""
    record.pop("record_id", None)
    first = validate(dict(record), ingested_at=stamps[0])
    reordered = dict(reversed(list(record.items())))
    second = validate(reordered, ingested_at=stamps[1])
    assert first["record_id"] == second["record_id"] == content_id(first)
