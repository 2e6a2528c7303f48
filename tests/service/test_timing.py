"""The request-timing middleware records the HTTP histogram with bounded labels."""

from __future__ import annotations

import orjson
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from observability.core.metrics import Metrics
from observability.service.timing import RequestTiming
from tests.service.records import log_record

METRIC = "observability_http_request_duration_seconds"


def _count(metrics: Metrics, route: str, method: str, status: str) -> float:
    labels = {"route": route, "method": method, "status": status}
    return metrics.registry.get_sample_value(f"{METRIC}_count", labels) or 0.0


def test_routes_are_templates_not_paths(app: FastAPI, metrics: Metrics) -> None:
    """Ingest, probes and unknown paths are observed by route template, method and status
    (`create_app` installs the middleware)."""
    with TestClient(app) as client:
        body = orjson.dumps(log_record(1))
        assert client.post("/api/v1/ingest/logs", content=body).status_code == 200
        assert client.post("/api/v1/ingest/labels", content=body).status_code == 200
        assert client.get("/healthz").status_code == 200
        assert client.get("/no/such/path/123").status_code == 404
        assert client.request("BREW", "/healthz").status_code == 405
    assert _count(metrics, "/api/v1/ingest/{kind}", "POST", "200") == 2
    assert _count(metrics, "/healthz", "GET", "200") == 1
    assert _count(metrics, "unmatched", "GET", "404") == 1
    assert _count(metrics, "/healthz", "other", "405") == 1
    total = metrics.registry.get_sample_value(
        f"{METRIC}_sum", {"route": "/healthz", "method": "GET", "status": "200"}
    )
    assert total is not None and total > 0


def test_an_exception_counts_as_500() -> None:
    """A handler that raises is observed with status 500 and the error still propagates."""

    async def boom(_request: Request) -> Response:
        raise RuntimeError("boom")

    metrics = Metrics(CollectorRegistry())
    app = Starlette(routes=[Route("/boom/{id}", boom)])
    client = TestClient(RequestTiming(app, metrics.request_seconds), raise_server_exceptions=False)
    assert client.get("/boom/7").status_code == 500
    assert _count(metrics, "/boom/{id}", "GET", "500") == 1
