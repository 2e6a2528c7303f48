"""`GET /api/v1/search` through FastAPI's TestClient, with the embedded backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from observability.core.metrics import Metrics
from observability.core.settings import Settings
from observability.runtime import Runtime
from observability.search.request import SearchRequest
from observability.service.app import create_app
from observability.service.roles import Role
from observability.store.local import LocalStore
from tests.search.oracle import expected_ids

API = frozenset({Role.API})


@pytest.fixture
def client(tmp_path: Path, logs_store: LocalStore, metrics: Metrics) -> Iterator[TestClient]:
    """The service app with the search router, over the fixture store, no OpenSearch."""
    settings = Settings.from_env({}, store_url=logs_store.url, state_dir=tmp_path / "state")
    app = create_app(Runtime(settings, store=logs_store, metrics=metrics), API)
    with TestClient(app) as test_client:
        yield test_client


def test_search_returns_hits_total_and_cursor(
    client: TestClient, fixture_records: list[dict[str, Any]]
) -> None:
    """Query and filters from the URL give the expected hits, total and a usable cursor."""
    params = {"q": "timeout OR declined", "service": ["checkout", "payments"], "size": 3}
    first = client.get("/api/v1/search", params=params)
    assert first.status_code == 200
    body = first.json()
    request = SearchRequest.build(
        "timeout OR declined", services=("checkout", "payments"), size=1000
    )
    expected = expected_ids(request, fixture_records)
    assert body["backend"] == "embedded"
    assert body["total"] == len(expected) > 3
    assert [hit["record_id"] for hit in body["hits"]] == expected[:3]
    second = client.get(
        "/api/v1/search", params={**params, "search_after": body["next_cursor"]}
    ).json()
    assert [hit["record_id"] for hit in second["hits"]] == expected[3:6]


def test_search_with_interval_returns_aggregations(client: TestClient) -> None:
    """`interval` adds per-level and per-service counts per bucket."""
    body = client.get(
        "/api/v1/search", params={"level": "error", "interval": "1h", "size": 1}
    ).json()
    levels = body["aggregations"]["levels"]
    assert {bucket["key"] for bucket in levels} == {"error"}
    assert sum(bucket["count"] for bucket in levels) == body["total"] == 11
    assert sum(b["count"] for b in body["aggregations"]["services"]) == 11


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": "*leading"}, "leading wildcards"),
        ({"q": "x", "since": "soon"}, "bad time"),
        ({"q": "x", "search_after": "garbage"}, "bad search_after cursor"),
        ({"level": "loud"}, "unknown level"),
    ],
)
def test_bad_searches_are_400_with_a_message(
    client: TestClient, params: dict[str, str], message: str
) -> None:
    """Refused queries and bad parameters go through the single handler as 400s."""
    response = client.get("/api/v1/search", params=params)
    assert response.status_code == 400
    assert response.json()["type"] == "urn:observability:problem:search"
    assert message in response.json()["detail"]


def test_an_unreachable_opensearch_is_503(
    tmp_path: Path, store: LocalStore, metrics: Metrics
) -> None:
    """With an OpenSearch URL configured but no node, the search answers 503."""
    settings = Settings.from_env(
        {}, store_url=store.url, state_dir=tmp_path / "state", opensearch_url="http://127.0.0.1:9"
    )
    app = create_app(Runtime(settings, store=store, metrics=metrics), API)
    with TestClient(app) as test_client:
        response = test_client.get("/api/v1/search", params={"q": "timeout"})
    assert response.status_code == 503
    assert response.json()["type"] == "urn:observability:problem:search-backend"
