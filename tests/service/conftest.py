"""Fixtures for the collector: settings in tmp_path, an injected runtime, a running TestClient."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from observability.core.metrics import Metrics
from observability.core.settings import Settings
from observability.runtime import Runtime
from observability.service.app import create_app
from observability.service.roles import Role
from observability.store.local import LocalStore

#: The collector tests run the request path alone: no worker compacting under them.
COLLECTOR_AND_API = frozenset({Role.COLLECTOR, Role.API})


@pytest.fixture
def settings(tmp_path: Path, store: LocalStore) -> Settings:
    """Collector settings: state under tmp_path, buffers that only flush when told."""
    return Settings.from_env(
        {},
        store_url=store.url,
        state_dir=tmp_path / "state",
        buffer_max_seconds=3600.0,
        max_request_bytes=4 * 1024 * 1024,
    )


@pytest.fixture
def runtime(settings: Settings, store: LocalStore, metrics: Metrics) -> Runtime:
    """The store and a fresh registry, injected as production does."""
    return Runtime(settings, store=store, metrics=metrics)


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    """The collector app; `with TestClient(app)` runs its lifespan (and its final flush)."""
    return create_app(runtime, COLLECTOR_AND_API)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A TestClient with the lifespan running (journal replayed, flusher on)."""
    with TestClient(app) as test_client:
        yield test_client
