"""`GET /api/v1/queries` and `/queries/{name}`: named queries with typed parameters."""

from __future__ import annotations

from fastapi.testclient import TestClient

from observability.dashboard.schemas import QueryList, QueryRows
from observability.query.library import NAMED
from observability.store.local import LocalStore
from tests.api.seed import logs


def test_lists_every_named_query_with_its_parameters(client: TestClient) -> None:
    """The list has each named query once, with its parameters' types and requiredness."""
    body = QueryList.model_validate_json(client.get("/api/v1/queries").content)
    assert [q.name for q in body.queries] == sorted(NAMED)
    trace = next(q for q in body.queries if q.name == "trace")
    assert [(p.name, p.type, p.required) for p in trace.params] == [("trace_id", "string", True)]


def test_runs_a_named_query_with_query_string_parameters(
    client: TestClient, store: LocalStore
) -> None:
    """Parameters come from the query string; rows come back as JSON objects."""
    logs(store)
    response = client.get(
        "/api/v1/queries/error-rate?service=api&since=2026-11-01T12:00&until=2026-11-02"
    )
    assert response.status_code == 200, response.text
    body = QueryRows.model_validate_json(response.content)
    assert body.columns == ["service", "dt", "hour", "records", "errors", "error_rate"]
    assert {row["service"] for row in body.rows} == {"api"}
    assert sum(row["records"] for row in body.rows) == 100
    assert sum(row["errors"] for row in body.rows) == 10


def test_unknown_query_missing_and_ill_typed_parameters(client: TestClient) -> None:
    """An unknown query is a 404; a missing, unknown or ill-typed parameter a 400."""
    assert client.get("/api/v1/queries/drop-tables").status_code == 404
    missing = client.get("/api/v1/queries/trace")
    assert missing.status_code == 400 and "trace_id" in missing.json()["detail"]
    unknown = client.get("/api/v1/queries/error-rate?colour=red")
    assert unknown.status_code == 400 and "colour" in unknown.json()["detail"]
    typed = client.get("/api/v1/queries/top-errors?limit=many")
    assert typed.status_code == 400 and "limit" in typed.json()["detail"]
