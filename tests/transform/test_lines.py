"""The per-line transform refuses one bad line with its reason and never fails the batch."""

from __future__ import annotations

import logging
from typing import Any, cast

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from observability.core.errors import Reason, RecordError
from observability.core.schema import Kind
from observability.transform.lines import transform_line, transform_lines
from tests.transform.records import json_values, valid_logs

NOW = "2026-11-23T20:00:00.000000Z"


def line(**fields: Any) -> bytes:
    """A valid log line with fields overridden."""
    record = {"timestamp": "2026-11-23T13:00:00Z", "level": "info", "service": "a", "event": "e"}
    return orjson.dumps(record | fields)


def test_each_hostile_record_is_refused_alone() -> None:
    """Deep nesting, bad Unicode, huge numbers and far-off times each refuse only their line."""
    good = line()
    deep = line(record_id="r")[:-1] + b',"x":' + b"[" * 300 + b"]" * 300 + b"}"
    deeper = line()[:-1] + b',"x":' + b"[" * 2000 + b"]" * 2000 + b"}"
    lines = [
        good,
        deep,
        deeper,
        line()[:-1] + b',"s":"\\udc00"}',
        line()[:-1] + b',"n":' + b"9" * 400 + b"}",
        line()[:-1] + b',"n":NaN,"x":' + b"[" * 3000 + b"]" * 3000 + b"}",
        line(timestamp="9999-12-31T23:59:59.999999Z"),
        line(timestamp="2026-W47-1T13:00:00Z"),
        good,
    ]
    processed = transform_lines(lines, Kind.LOG, NOW)
    assert len(processed.accepted) == 2
    assert [(r.index, r.reason, r.field) for r in processed.rejected] == [
        (1, Reason.TOO_DEEP, "attributes"),
        (2, Reason.TOO_DEEP, None),
        (3, Reason.INVALID_UTF8, None),
        (4, Reason.NON_FINITE_NUMBER, None),
        (5, Reason.NON_FINITE_NUMBER, None),
        (6, Reason.INVALID_VALUE, "timestamp"),
        (7, Reason.INVALID_VALUE, "timestamp"),
    ]
    assert [r.raw for r in processed.rejected] == lines[1:-1]


def test_partition_comes_from_the_normalised_time() -> None:
    """An offset near midnight files the line under its UTC day and hour."""
    (accepted,) = transform_lines(
        [line(timestamp="2026-11-23T23:30:00-02:00")], Kind.LOG, NOW
    ).accepted
    assert (accepted.partition.dt, accepted.partition.hour) == ("2026-11-24", "01")
    assert orjson.loads(accepted.line)["timestamp"] == "2026-11-24T01:30:00.000000Z"


def test_an_unforeseen_failure_refuses_that_line_only(caplog: pytest.LogCaptureFixture) -> None:
    """A line the transform cannot even measure (a caller's bug) is unprocessable, logged."""
    not_bytes = cast(bytes, 5)  # what a buggy caller could pass
    with caplog.at_level(logging.ERROR, logger="observability.transform.lines"):
        processed = transform_lines([line(), not_bytes, line()], Kind.LOG, NOW)
    assert len(processed.accepted) == 2
    assert [(r.index, r.reason) for r in processed.rejected] == [(1, Reason.UNPROCESSABLE)]
    assert "TypeError" in processed.rejected[0].message
    assert [r.exc_info is not None for r in caplog.records] == [True]


def _mangled() -> st.SearchStrategy[bytes]:
    """Valid lines cut, spliced with bytes or wrapped; JSON of any shape; raw bytes."""
    valid = valid_logs().map(orjson.dumps)
    spliced = st.builds(
        lambda text, at, junk: text[:at] + junk + text[at:],
        valid,
        st.integers(0, 200),
        st.sampled_from([b"\xff", b"NaN", b'"\\ud800"', b"[" * 300, b"1e999", b"\\", b"\x00"]),
    )
    return st.one_of(valid, spliced, json_values().map(orjson.dumps), st.binary(max_size=80))


@settings(max_examples=400, deadline=None)
@given(data=_mangled(), kind=st.none() | st.sampled_from(Kind))
def test_any_bytes_give_a_known_reason(data: bytes, kind: Kind | None) -> None:
    """Whatever the bytes, a line is accepted or refused with a reason other than a bug's."""
    try:
        accepted = transform_line(data, kind, NOW)
    except RecordError as error:
        assert error.reason is not Reason.UNPROCESSABLE
    else:
        assert orjson.loads(accepted.line)["record_id"] == accepted.record_id
