"""Health, readiness and metrics endpoints."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from observability.core.errors import StoreError
from observability.core.metrics import Metrics
from observability.core.settings import Settings
from observability.runtime import Runtime
from observability.service.app import create_app
from observability.store.local import LocalStore
from tests.service.conftest import COLLECTOR_AND_API
from tests.service.records import log_record, ndjson


class ReadOnlyStore(LocalStore):
    """A real LocalStore that refuses every write, like a bucket without permission."""

    def put(self, key: str, data: bytes) -> None:
        """Refuse the write."""
        raise StoreError(f"access denied writing {key}")


def test_healthz_answers(client: TestClient) -> None:
    """/healthz says ok while the process serves."""
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_readyz_after_replay_with_a_writable_store(client: TestClient, store: LocalStore) -> None:
    """/readyz is 200 once the journal is replayed, and leaves no probe object behind."""
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "roles": ["api", "collector"]}
    assert store.url not in response.text  # where the data lives is not public
    assert list(store.list("")) == []


def test_readyz_is_503_when_the_store_is_not_writable(
    tmp_path: Path, settings: Settings, metrics: Metrics
) -> None:
    """/readyz reports 503 with the store's error when a probe write fails."""
    store = ReadOnlyStore(tmp_path / "readonly")
    runtime = Runtime(settings, store=store, metrics=metrics)
    with TestClient(create_app(runtime, COLLECTOR_AND_API)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "the store is not writable"
    assert "readonly" not in response.text  # no local path in a public answer


def test_metrics_exposes_the_injected_registry(client: TestClient) -> None:
    """/metrics renders the counters of the injected registry in Prometheus text."""
    client.post(
        "/api/v1/ingest/logs",
        content=ndjson([log_record(1), log_record(2)]) + b"{bad\n",
        headers={"content-type": "application/x-ndjson"},
    )
    response = client.get("/metrics")
    assert response.status_code == 200
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }
    accepted = ("observability_records_accepted_total", (("kind", "log"), ("stage", "collector")))
    rejected = (
        "observability_records_rejected_total",
        (("reason", "malformed_json"), ("stage", "collector")),
    )
    assert samples[accepted] == 2
    assert samples[rejected] == 1
    assert samples[("observability_collector_buffered_bytes", ())] > 0
