"""Fixtures for the dashboard API: the app's API role over a LocalStore, listing cache off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from observability.core.metrics import Metrics
from observability.core.settings import Settings
from observability.runtime import Runtime
from observability.service.app import create_app
from observability.service.roles import Role
from observability.store.local import LocalStore
from tests.api.seed import models_file


@pytest.fixture
def settings(tmp_path: Path, store: LocalStore) -> Settings:
    """The store, a models.yaml watching `fraud`, and no listing cache (tests see writes)."""
    return Settings.from_env(
        {},
        store_url=store.url,
        state_dir=tmp_path / "state",
        models_config=models_file(tmp_path / "models.yaml"),
        api_cache_seconds=0.0,
    )


@pytest.fixture
def runtime(settings: Settings, store: LocalStore, metrics: Metrics) -> Runtime:
    """The store and a fresh registry, injected as production does."""
    return Runtime(settings, store=store, metrics=metrics)


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    """The API role of the app, its lifespan running."""
    with TestClient(create_app(runtime, frozenset({Role.API}))) as test_client:
        yield test_client
