"""Every HTTP error of every route is RFC 9457 problem+json, with no path or endpoint in it."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from observability.core.metrics import Metrics
from observability.core.settings import Settings
from observability.runtime import Runtime
from observability.service.app import create_app
from observability.service.roles import Role
from observability.store.local import LocalStore

NDJSON = {"content-type": "application/x-ndjson"}
PROBLEM_KEYS = {"type", "title", "status", "detail"}


@pytest.fixture
def problem_client(tmp_path: Path, store: LocalStore, metrics: Metrics) -> Iterator[TestClient]:
    """The collector and the API over a small request limit, plus a route that crashes."""
    settings = Settings.from_env(
        {},
        store_url=store.url,
        state_dir=tmp_path / "state",
        max_request_bytes=4096,
        max_decompressed_bytes=4096,
    )
    app = create_app(
        Runtime(settings, store=store, metrics=metrics), frozenset({Role.COLLECTOR, Role.API})
    )
    _add_crashing_route(app)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _add_crashing_route(app: FastAPI) -> None:
    @app.get("/api/v1/_crash")
    def crash() -> None:
        raise RuntimeError("secret path /var/lib/observability/creds")


CASES: list[tuple[str, str, dict[str, Any], int]] = [
    ("unknown kind", "POST /api/v1/ingest/traces", {"content": b"{}", "headers": NDJSON}, 404),
    (
        "bad gzip",
        "POST /api/v1/ingest/logs",
        {"content": b"nope", "headers": {**NDJSON, "content-encoding": "gzip"}},
        400,
    ),
    (
        "too large",
        "POST /api/v1/ingest/logs",
        {"content": b"x" * 10_000, "headers": NDJSON},
        413,
    ),
    (
        "decompressed too large",
        "POST /api/v1/ingest/logs",
        {
            "content": gzip.compress(b"{}\n" * 10_000),
            "headers": {**NDJSON, "content-encoding": "gzip"},
        },
        413,
    ),
    (
        "unsupported media type",
        "POST /api/v1/ingest/logs",
        {"content": b"a,b", "headers": {"content-type": "text/csv"}},
        415,
    ),
    ("bad search query", "GET /api/v1/search", {"params": {"q": "level:"}}, 400),
    ("bad search time", "GET /api/v1/search", {"params": {"since": "soon"}}, 400),
    ("bad search size", "GET /api/v1/search", {"params": {"size": 0}}, 422),
    ("bad sort", "GET /api/v1/search", {"params": {"sort": "sideways"}}, 422),
    ("unknown route", "GET /api/v1/nothing-here", {}, 404),
    ("wrong method", "DELETE /api/v1/search", {}, 405),
    ("unexpected failure", "GET /api/v1/_crash", {}, 500),
]


@pytest.mark.parametrize(("name", "route", "kwargs", "status"), CASES, ids=[c[0] for c in CASES])
def test_errors_are_problem_json(
    problem_client: TestClient, name: str, route: str, kwargs: dict[str, Any], status: int
) -> None:
    """The status is right, the body is a problem document, and it leaks nothing local."""
    method, path = route.split(" ", 1)
    response = problem_client.request(method, path, **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["type"].startswith("urn:observability:problem:")
    assert body["title"] and body["detail"]
    assert "/var/lib" not in response.text and "Traceback" not in response.text


def test_a_503_names_no_endpoint(
    tmp_path: Path, store: LocalStore, metrics: Metrics, caplog: pytest.LogCaptureFixture
) -> None:
    """A failing backend's 503 keeps its endpoint in the server log, out of the answer."""
    settings = Settings.from_env(
        {}, store_url=store.url, state_dir=tmp_path / "state", opensearch_url="http://127.0.0.1:9"
    )
    app = create_app(Runtime(settings, store=store, metrics=metrics), frozenset({Role.API}))
    with TestClient(app) as client:
        response = client.get("/api/v1/search", params={"q": "timeout"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json()["type"] == "urn:observability:problem:search-backend"
    assert "127.0.0.1:9" not in response.text
    assert "127.0.0.1:9" in caplog.text


def test_routes_of_roles_not_running_are_404_problems(
    tmp_path: Path, store: LocalStore, metrics: Metrics
) -> None:
    """An API-only process has no ingest route; a collector-only one has no search."""
    settings = Settings.from_env({}, store_url=store.url, state_dir=tmp_path / "state")
    api_only = create_app(Runtime(settings, store=store, metrics=metrics), frozenset({Role.API}))
    with TestClient(api_only) as client:
        response = client.post("/api/v1/ingest/logs", content=b"{}", headers=NDJSON)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert client.get("/healthz").status_code == 200
    collector = create_app(Runtime(settings, store=store), frozenset({Role.COLLECTOR}))
    with TestClient(collector) as client:
        assert client.get("/api/v1/search").status_code == 404
        assert client.get("/readyz").json()["roles"] == ["collector"]
