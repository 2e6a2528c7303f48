"""Fixtures for the integration tests: an SDK reset after each test, one real collector."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog

import observability
from observability.emit import stdlib
from observability.emit.memory import MemoryLineSink
from tests.shutdown.support import Collector, collector


@pytest.fixture(autouse=True)
def _reset_sdk() -> Iterator[None]:
    """Leave no SDK configuration, bridge, structlog setup or muted logger behind a test."""
    yield
    observability.shutdown()
    structlog.reset_defaults()
    for name in ("uvicorn.access", "gunicorn.access"):
        stdlib.unmute(name)


@pytest.fixture
def sink() -> MemoryLineSink:
    """The SDK configured into memory (service `svc`, env `test`, level info, bridge on)."""
    memory = MemoryLineSink()
    observability.configure(service="svc", env="test", sink=memory, host="h", environ={})
    return memory


@pytest.fixture(scope="session")
def real_collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Collector]:
    """`observability serve --role collector` on 127.0.0.1, storing under a temp dir."""
    with collector(tmp_path_factory.mktemp("collector")) as running:
        yield running
