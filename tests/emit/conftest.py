"""Fixtures for the SDK tests: a configured SDK writing into a MemoryLineSink."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog

import observability
from observability.emit.memory import MemoryLineSink


@pytest.fixture(autouse=True)
def _reset_sdk() -> Iterator[None]:
    """Leave neither an SDK configuration nor a structlog one behind a test."""
    yield
    observability.shutdown()
    structlog.reset_defaults()


@pytest.fixture
def sink() -> MemoryLineSink:
    """The SDK configured (service `checkout`, env `test`, level info) into memory."""
    memory = MemoryLineSink()
    observability.configure(
        service="checkout", env="test", sink=memory, version="1.2.3", host="host-1"
    )
    return memory
