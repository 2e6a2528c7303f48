"""Tests of observability.emit.config."""

from __future__ import annotations

import pytest

import observability
from observability.core.errors import RecordError
from observability.emit.config import state
from observability.emit.memory import MemoryLineSink


def test_logger_created_before_configure_uses_it() -> None:
    """A module-level logger made before configure() writes to the sink configured later."""
    log = observability.get_logger("early")
    sink = MemoryLineSink()
    observability.configure(service="svc", env="test", sink=sink)
    log.info("after")
    assert [(r["logger"], r["event"]) for r in sink.records()] == [("early", "after")]


def test_bad_service_or_level_fails_at_configure() -> None:
    """A service name unfit for a partition, or an unknown level, raises at start-up."""
    with pytest.raises(RecordError, match="service"):
        observability.configure(service="bad/name", env="test", sink=MemoryLineSink())
    with pytest.raises(ValueError, match="level"):
        observability.configure(service="svc", env="test", sink=MemoryLineSink(), level="loud")


def test_defaults_fill_host_and_omit_version() -> None:
    """Without host the machine's name is used; without version the field is absent."""
    sink = MemoryLineSink()
    observability.configure(service="svc", env="prod", sink=sink)
    observability.get_logger().info("x")
    (record,) = sink.records()
    assert record["host"] and "version" not in record
    assert (record["service"], record["env"]) == ("svc", "prod")


def test_shutdown_closes_once() -> None:
    """shutdown() closes the sink (which flushes it), reports delivery, and is idempotent."""
    sink = MemoryLineSink()
    observability.configure(service="svc", env="test", sink=sink)
    assert observability.shutdown(timeout=1.0) is True
    assert observability.shutdown() is True
    assert sink.closed
    with pytest.raises(RuntimeError, match="configure"):
        state()


def test_reconfiguring_closes_the_previous_sink_only() -> None:
    """A new sink closes the old one; configuring the same sink again keeps it open."""
    first, second = MemoryLineSink(), MemoryLineSink()
    observability.configure(service="svc", env="test", sink=first)
    observability.configure(service="svc", env="test", sink=first, level="debug")
    assert not first.closed
    observability.configure(service="svc", env="test", sink=second)
    assert first.closed and not second.closed
    observability.get_logger().info("to second")
    assert [r["event"] for r in second.records()] == ["to second"]
