"""Tests of observability.emit.records: the log record's shape, and that it validates."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import observability
from observability.core.partitioning import group_key
from observability.core.schema import FIELDS, Kind, validate
from observability.emit.memory import MemoryLineSink
from observability.emit.records import make_record_builder, static_fields
from observability.transform.lines import transform_lines

INGESTED = "2026-11-23T13:00:00.000000Z"


def test_log_record_shape(sink: MemoryLineSink) -> None:
    """A log call yields the schema's top-level fields, its keywords under attributes."""
    log = observability.get_logger("orders")
    with observability.bound_context(trace_id="t-1", request_id="r-1"):
        log.warning("slow request", path="/x", status=200, service="spoofed")
    ((kind, group, line),) = sink.lines
    record = orjson.loads(line)
    assert kind is Kind.LOG
    assert group == group_key(Kind.LOG, record)
    assert set(record) <= {field.name for field in FIELDS[Kind.LOG]}
    assert {k: v for k, v in record.items() if k not in ("record_id", "timestamp")} == {
        "schema_version": 1,
        "kind": "log",
        "level": "warning",
        "service": "checkout",
        "env": "test",
        "host": "host-1",
        "version": "1.2.3",
        "event": "slow request",
        "logger": "orders",
        "trace_id": "t-1",
        "request_id": "r-1",
        "attributes": {"path": "/x", "status": 200, "service": "spoofed"},
    }
    assert b"\n" not in line


def test_ids_passed_or_bound_on_the_logger_win_over_the_context(sink: MemoryLineSink) -> None:
    """trace_id/span_id given to the call or bound on the logger are top-level fields."""
    log = observability.get_logger().bind(span_id=42)
    with observability.bound_context(trace_id="ctx", span_id="ctx-span"):
        log.info("a", trace_id="call")
    (record,) = sink.records()
    assert (record["trace_id"], record["span_id"]) == ("call", "42")
    assert "attributes" not in record
    assert "logger" not in record


def test_records_pass_the_transform_unchanged(sink: MemoryLineSink) -> None:
    """SDK lines go through transform_lines with zero rejections, keeping their fields."""
    log = observability.get_logger("svc")
    for level in ("debug", "info", "warning", "error", "critical"):
        getattr(log, level)("event %s", level, n=1)
    try:
        raise OSError("disk")
    except OSError:
        log.exception("io")
    lines = [line for _, _, line in sink.lines]
    result = transform_lines(lines, Kind.LOG, INGESTED)
    assert result.rejected == []
    assert len(result.accepted) == len(lines) == 5  # debug is filtered at level info
    for accepted, line in zip(result.accepted, lines, strict=True):
        original = orjson.loads(line)
        assert orjson.loads(accepted.line) == {**original, "ingested_at": INGESTED}
        assert accepted.record_id == original["record_id"]


def test_builder_keeps_unknown_loggers_nameless() -> None:
    """A wrapped logger without a `name` gives a record without `logger`."""
    build = make_record_builder(static_fields("svc", "dev", None, None))
    record = build(object(), "info", {"event": 12, "x": 1})
    assert record["event"] == "12"
    assert "logger" not in record and "host" not in record and "version" not in record
    assert record["attributes"] == {"x": 1}
    validate(dict(record))


_odd_text = st.text(
    alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF) | st.characters(),
    max_size=20,
)
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | _odd_text
)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.frozensets(st.integers(), max_size=3)
        | st.dictionaries(_odd_text | st.integers(), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    fields=st.dictionaries(_odd_text.filter(lambda k: k != "event"), _values, max_size=6),
    event=_odd_text,
)
def test_arbitrary_keywords_never_make_an_invalid_line(
    sink: MemoryLineSink, fields: dict[str, Any], event: str
) -> None:
    """Whatever keywords a call passes, the line parses and validates as a log record."""
    sink.clear()
    observability.get_logger("prop").info(event, **fields)
    ((_, _, line),) = sink.lines
    result = transform_lines([line], Kind.LOG, INGESTED)
    assert result.rejected == []
    record = orjson.loads(line)
    assert isinstance(record.get("attributes", {}), dict)
    assert not any(isinstance(v, float) and not math.isfinite(v) for v in record.values())


@pytest.mark.parametrize("level", ["debug", "info"])
def test_level_filtering(level: str) -> None:
    """Calls below the configured level produce nothing; those at or above it a record."""
    sink = MemoryLineSink()
    observability.configure(service="svc", env="test", sink=sink, level=level)
    log = observability.get_logger()
    log.debug("d")
    log.info("i")
    log.error("e")
    expected = ["d", "i", "e"] if level == "debug" else ["i", "e"]
    assert [record["event"] for record in sink.records()] == expected


def test_async_methods_carry_the_bound_ids(sink: MemoryLineSink) -> None:
    """`await log.ainfo(...)` runs in an executor yet keeps the caller's bound ids."""

    async def handler() -> None:
        with observability.bound_context(request_id="r-async"):
            await observability.get_logger("aio").ainfo("async call", n=1)

    asyncio.run(handler())
    (record,) = sink.records()
    assert (record["event"], record["request_id"], record["logger"]) == (
        "async call",
        "r-async",
        "aio",
    )
