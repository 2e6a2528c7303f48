"""`GET /api/v1/jobs`: worker runs with status and duration, newest first."""

from __future__ import annotations

from fastapi.testclient import TestClient

from observability.dashboard.schemas import JobPage
from observability.store.local import LocalStore
from tests.api.seed import job_runs

RANGE = "since=2026-11-01T12:00&until=2026-11-02"


def _page(client: TestClient, query: str) -> JobPage:
    response = client.get(f"/api/v1/jobs?{RANGE}&{query}")
    assert response.status_code == 200, response.text
    return JobPage.model_validate_json(response.content)


def test_runs_newest_first_with_filters(client: TestClient, store: LocalStore) -> None:
    """Every run in the range, newest first; `job` and `status` filter them."""
    runs = job_runs(store)
    every = _page(client, "")
    assert [r.run_id for r in every.items] == [r.run_id for r in reversed(runs)]
    assert every.items[0].duration_seconds == 6.0 and every.items[0].job == "drift"
    failed = _page(client, "status=error")
    assert [(r.job, r.error) for r in failed.items] == [("compaction", "boom")]
    assert {r.job for r in _page(client, "job=drift").items} == {"drift"}


def test_pages_follow_the_cursor(client: TestClient, store: LocalStore) -> None:
    """Pages of two walk all five runs once."""
    runs = job_runs(store)
    seen, cursor = [], ""
    while True:
        page = _page(client, f"limit=2&cursor={cursor}")
        seen += [r.run_id for r in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [r.run_id for r in reversed(runs)]


def test_bad_filters_are_refused(client: TestClient) -> None:
    """An unknown status is a 422, a job name no job can have a 400."""
    assert client.get("/api/v1/jobs?status=crashed").status_code == 422
    assert client.get("/api/v1/jobs?job=-x").status_code == 400
