"""`serve` composes collector, api and worker; each runs only when its role is asked for."""

from __future__ import annotations

import shutil
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from observability.core.errors import SettingsError
from observability.core.metrics import Metrics
from observability.core.settings import Settings
from observability.runtime import Runtime
from observability.service.app import create_app
from observability.service.roles import ALL_ROLES, Role, parse_roles
from observability.store.local import LocalStore
from observability.worker import build_worker
from observability.worker.runner import Worker

ROOT = Path(__file__).resolve().parents[2]


def _worker_running() -> bool:
    return any(thread.name == "observability-worker" for thread in threading.enumerate())


def _runtime(tmp_path: Path, store: LocalStore, metrics: Metrics) -> Runtime:
    models = tmp_path / "models.yaml"
    shutil.copy(ROOT / "models.example.yaml", models)
    settings = Settings.from_env({}, state_dir=tmp_path / "state", models_config=models)
    return Runtime(settings, store=store, metrics=metrics)


def test_the_worker_runs_with_its_role_and_stops_with_the_app(
    tmp_path: Path, store: LocalStore, metrics: Metrics
) -> None:
    """All three roles: the worker thread runs while the app lives and stops after."""
    with TestClient(create_app(_runtime(tmp_path, store, metrics), ALL_ROLES)) as client:
        assert _worker_running()
        assert client.get("/readyz").json()["roles"] == ["api", "collector", "worker"]
    assert not _worker_running()


def test_without_the_worker_role_no_job_runs(
    tmp_path: Path, store: LocalStore, metrics: Metrics
) -> None:
    """Collector and API alone start no worker, even with a models file."""
    roles = frozenset({Role.COLLECTOR, Role.API})
    with TestClient(create_app(_runtime(tmp_path, store, metrics), roles)) as client:
        assert client.get("/healthz").status_code == 200
        assert not _worker_running()


class _StoppedClock:
    """A clock whose time stands far in the past: the worker never looks fresh."""

    def now(self) -> datetime:
        return datetime(2026, 1, 1, tzinfo=UTC)

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        return stop.wait(min(seconds, 0.05))


def test_readyz_reports_an_overdue_worker(
    tmp_path: Path, store: LocalStore, metrics: Metrics
) -> None:
    """A worker whose last tick is older than three ticks makes /readyz a 503."""

    def stale(runtime: Runtime) -> Worker:
        return build_worker(runtime, clock=_StoppedClock(), overdue_after=timedelta(minutes=1))

    app = create_app(_runtime(tmp_path, store, metrics), ALL_ROLES, worker_factory=stale)
    with TestClient(app) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["detail"] == "the worker's last tick is overdue"


def test_role_names_are_checked() -> None:
    """Comma-separated or repeated names parse; an unknown one is a one-line error."""
    assert parse_roles(["collector,api", "worker"]) == ALL_ROLES
    with pytest.raises(SettingsError, match="unknown role 'indexer'"):
        parse_roles(["collector", "indexer"])
