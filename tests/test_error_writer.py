"""Refused records are kept under errors/<stage>/<reason>/ with their reason, and counted."""

from __future__ import annotations

import base64

import orjson

from observability.core.errors import Reason, Rejection
from observability.core.metrics import Metrics
from observability.store.errors import ErrorWriter
from observability.store.files import decode_lines
from observability.store.local import LocalStore


def test_rejections_grouped_by_reason_and_counted(store: LocalStore, metrics: Metrics) -> None:
    """One file per reason, every rejection inside with its message, counters per reason."""
    writer = ErrorWriter(store, metrics)
    keys = writer.write(
        "collector",
        [
            Rejection(Reason.MALFORMED_JSON, "malformed JSON: x", b"{oops", 0),
            Rejection(Reason.MISSING_FIELD, "event: required field is missing", b"{}", 1, "event"),
            Rejection(Reason.MALFORMED_JSON, "malformed JSON: y", b"[", 2),
        ],
    )
    assert len(keys) == 2
    assert all(key.startswith("errors/collector/") for key in keys)
    by_reason = {key.split("/")[2]: key for key in keys}
    malformed = [
        orjson.loads(line) for line in decode_lines(store.get(by_reason["malformed_json"]))
    ]
    assert [row["raw"] for row in malformed] == ["{oops", "["]
    assert [row["index"] for row in malformed] == [0, 2]
    missing = _rows(store, by_reason["missing_field"])
    assert missing[0]["field"] == "event"
    assert missing[0]["error"] == "event: required field is missing"
    sample = metrics.registry.get_sample_value
    labels = {"stage": "collector"}
    assert (
        sample("observability_records_rejected_total", {**labels, "reason": "malformed_json"}) == 2
    )
    assert (
        sample("observability_records_rejected_total", {**labels, "reason": "missing_field"}) == 1
    )


def test_invalid_utf8_is_kept_as_base64(store: LocalStore, metrics: Metrics) -> None:
    """Bytes that are not UTF-8 are stored base64-encoded, so nothing is altered or lost."""
    raw = b"\xff\xfe{bad"
    [key] = ErrorWriter(store, metrics).write(
        "transform", [Rejection(Reason.INVALID_UTF8, "invalid UTF-8 at byte 0", raw, 7)]
    )
    [row] = _rows(store, key)
    assert row["raw_encoding"] == "base64"
    assert base64.b64decode(row["raw"]) == raw


def test_nothing_to_write_writes_nothing(store: LocalStore, metrics: Metrics) -> None:
    """An empty list of rejections creates no file."""
    assert ErrorWriter(store, metrics).write("collector", []) == []
    assert list(store.list("errors/")) == []


def _rows(store: LocalStore, key: str) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in decode_lines(store.get(key))]


def _rejected(metrics: Metrics, reason: str) -> float | None:
    return metrics.registry.get_sample_value(
        "observability_records_rejected_total", {"stage": "collector", "reason": reason}
    )
