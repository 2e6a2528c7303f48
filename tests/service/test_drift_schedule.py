"""The service runs the drift scheduler only when a models file is configured."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

from fastapi.testclient import TestClient

from observability.core.metrics import Metrics
from observability.core.settings import Settings
from observability.service.app import create_app
from observability.service.deps import ServiceDeps
from observability.store.errors import ErrorWriter
from observability.store.local import LocalStore

ROOT = Path(__file__).resolve().parents[2]


def _scheduler_running() -> bool:
    return any(thread.name == "drift-scheduler" for thread in threading.enumerate())


def _client(tmp_path: Path, store: LocalStore, metrics: Metrics, models: Path) -> TestClient:
    settings = Settings.from_env({}, state_dir=tmp_path / "state", models_config=models)
    return TestClient(
        create_app(settings, ServiceDeps(store, metrics, ErrorWriter(store, metrics)))
    )


def test_models_file_starts_and_stops_the_scheduler(
    tmp_path: Path, store: LocalStore, metrics: Metrics
) -> None:
    """With a models file the scheduler thread runs while the app lives and stops after."""
    models = tmp_path / "models.yaml"
    shutil.copy(ROOT / "models.example.yaml", models)
    with _client(tmp_path, store, metrics, models):
        assert _scheduler_running()
    assert not _scheduler_running()


def test_no_models_file_means_no_scheduler(
    tmp_path: Path, store: LocalStore, metrics: Metrics
) -> None:
    """Without a models file the collector runs alone."""
    with _client(tmp_path, store, metrics, tmp_path / "absent.yaml") as client:
        assert client.get("/healthz").status_code == 200
        assert not _scheduler_running()
