"""Tests of observability.emit.memory."""

from __future__ import annotations

from observability.core.schema import Kind
from observability.emit.memory import MemoryLineSink


def test_memory_sink_keeps_lines_and_parses_them_back() -> None:
    """Submitted lines are kept in order, parsed by `records`, filtered by kind."""
    sink = MemoryLineSink()
    sink.submit(Kind.LOG, "a|2026-11-23T13", b'{"n":1}')
    sink.submit(Kind.LABEL, "m|2026-11-23", b'{"n":2}')
    assert sink.lines[0] == (Kind.LOG, "a|2026-11-23T13", b'{"n":1}')
    assert sink.records() == [{"n": 1}, {"n": 2}]
    assert sink.records(Kind.LABEL) == [{"n": 2}]
    sink.clear()
    assert sink.records() == []


def test_memory_sink_flush_and_close() -> None:
    """flush reports nothing pending and is counted; close marks the sink, idempotently."""
    sink = MemoryLineSink()
    assert sink.flush(timeout=1.0) is True
    sink.close()
    sink.close()
    assert (sink.flushes, sink.closed) == (1, True)
