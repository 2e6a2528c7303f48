"""Tests of observability.emit.exceptions."""

from __future__ import annotations

import sys

import observability
from observability.core.schema import validate
from observability.emit.exceptions import MAX_FRAMES, exception_fields, structure_exception
from observability.emit.memory import MemoryLineSink


def _fail() -> None:
    raise ValueError("bad value")


def _raise_chained() -> None:
    try:
        _fail()
    except ValueError as exc:
        raise KeyError("missing") from exc


def test_exc_info_true_becomes_structured_fields() -> None:
    """exc_info=True inside an except block becomes type, message and frames."""
    try:
        _fail()
    except ValueError:
        event = structure_exception(None, "error", {"event": "x", "exc_info": True})
    fields = event["exc_info"]
    assert fields["type"] == "ValueError"
    assert fields["message"] == "bad value"
    assert [frame["name"] for frame in fields["frames"]] == [
        "test_exc_info_true_becomes_structured_fields",
        "_fail",
    ]
    assert all(frame["filename"].endswith("test_exceptions.py") for frame in fields["frames"])
    assert all(type(frame["lineno"]) is int for frame in fields["frames"])


def test_exception_instances_tuples_and_false() -> None:
    """An exception or an exc_info tuple is rendered; False or no active exception drops it."""
    try:
        _raise_chained()
    except KeyError as exc:
        caught = exc
        info = sys.exc_info()
    by_instance = structure_exception(None, "error", {"exc_info": caught})["exc_info"]
    by_tuple = structure_exception(None, "error", {"exc_info": info})["exc_info"]
    assert by_instance == by_tuple
    assert by_instance["cause"] == {"type": "ValueError", "message": "bad value"}
    assert structure_exception(None, "error", {"exc_info": False}) == {}
    assert structure_exception(None, "error", {"exc_info": True}) == {}


def test_deep_recursion_keeps_innermost_frames() -> None:
    """A deep traceback keeps only the innermost MAX_FRAMES frames."""

    def recurse(n: int) -> None:
        if n == 0:
            raise RecursionError("deep")
        recurse(n - 1)

    try:
        recurse(MAX_FRAMES * 2)
    except RecursionError as exc:
        fields = exception_fields(exc)
    assert len(fields["frames"]) == MAX_FRAMES
    assert fields["frames"][-1]["name"] == "recurse"


def test_log_exception_produces_a_valid_record(sink: MemoryLineSink) -> None:
    """log.exception() emits an error record whose structured exception validates."""
    log = observability.get_logger("payments")
    try:
        _fail()
    except ValueError:
        log.exception("charge failed", order=7)
    (record,) = sink.records()
    assert record["level"] == "error"
    assert record["exception"]["type"] == "ValueError"
    assert record["exception"]["frames"][-1]["name"] == "_fail"
    assert record["attributes"] == {"order": 7}
    assert validate(dict(record)) == record
