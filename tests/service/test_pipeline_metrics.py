"""/metrics reports the collector's readiness and the age of its oldest unflushed line."""

from __future__ import annotations

import orjson
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from observability.runtime import Runtime
from observability.service.app import create_app
from observability.service.roles import Role


def test_metrics_route_reports_journal_age_and_readiness(runtime: Runtime) -> None:
    """/metrics shows the collector ready and a positive age while a line waits in the journal."""
    app = create_app(runtime, frozenset({Role.COLLECTOR}))
    record = {
        "timestamp": "2026-11-23T13:05:00Z",
        "level": "info",
        "service": "svc",
        "event": "e",
    }
    with TestClient(app) as client:
        assert client.post("/api/v1/ingest/logs", content=orjson.dumps(record)).status_code == 200
        text = client.get("/metrics").text
    samples = {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    assert samples["observability_collector_ready"] == 1.0
    assert samples["observability_collector_journal_age_seconds"] > 0.0
