"""`GET /api/v1/services`: volume, error rate and latency percentiles per service."""

from __future__ import annotations

from fastapi.testclient import TestClient

from observability.dashboard.schemas import ServiceList
from observability.store.local import LocalStore
from tests.api.seed import logs


def test_volume_errors_and_latency_per_service(client: TestClient, store: LocalStore) -> None:
    """Each service's records, errors, error rate and latency percentiles over the range."""
    logs(store)
    response = client.get("/api/v1/services?since=2026-11-01T12:00&until=2026-11-02")
    assert response.status_code == 200, response.text
    body = ServiceList.model_validate_json(response.content)
    api, batch = body.services
    assert (api.service, api.records, api.errors, api.error_rate) == ("api", 100, 10, 0.1)
    assert (batch.service, batch.errors, batch.error_rate) == ("batch", 0, 0.0)
    assert api.requests == 100
    assert api.latency_p50_ms is not None and api.latency_p99_ms is not None
    assert 0 <= api.latency_p50_ms <= api.latency_p99_ms <= 99


def test_one_service_and_bad_names(client: TestClient, store: LocalStore) -> None:
    """`service=` keeps one service; a name no service can have is a 400."""
    logs(store)
    one = client.get("/api/v1/services?service=batch&since=2026-11-01T12:00&until=2026-11-02")
    assert [s.service for s in ServiceList.model_validate_json(one.content).services] == ["batch"]
    assert client.get("/api/v1/services?service=a%20b").status_code == 400
