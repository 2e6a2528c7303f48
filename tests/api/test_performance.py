"""`GET /api/v1/models/{model}/performance`: accuracy per window with the label delay."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from observability.dashboard.schemas import ModelPerformance
from observability.store.local import LocalStore
from tests.api.seed import END, MODEL, labels, predictions

HOUR = timedelta(hours=1)


def test_accuracy_coverage_and_delay_per_window(client: TestClient, store: LocalStore) -> None:
    """Each hour shows its predictions, how many have a label, the accuracy of those, and
    how long the labels took to arrive."""
    start = END - 2 * HOUR
    ids = predictions(store, MODEL, start, hours=2, per_hour=10)
    first_hour, second_hour = ids[:10], ids[10:]
    # Predictions alternate a, b; all labels say "a". First hour: 10 labels 2 h after the
    # hour started; second hour: 4 labels.
    labels(store, MODEL, dict.fromkeys(first_hour, "a"), at=start + 2 * HOUR)
    labels(store, MODEL, dict.fromkeys(second_hour[:4], "a"), at=start + 3 * HOUR)
    response = client.get(
        f"/api/v1/models/{MODEL}/performance?since=2026-11-01T22:00&until=2026-11-02"
    )
    assert response.status_code == 200, response.text
    body = ModelPerformance.model_validate_json(response.content)
    assert body.window_hours == 1  # the model's configured window
    first, second = body.points
    assert (first.window_start, first.window_end) == (start, start + HOUR)
    assert (first.predictions, first.labelled, first.label_coverage) == (10, 10, 1.0)
    assert first.metric == "accuracy" and first.value == 0.5
    assert first.label_delay_p50_seconds is not None
    assert 2 * 3600 - 10 <= first.label_delay_p50_seconds <= 2 * 3600
    assert (second.labelled, second.label_coverage, second.accuracy) == (4, 0.4, 0.5)


def test_window_hours_must_divide_a_day(client: TestClient) -> None:
    """Only window lengths that divide 24 hours are accepted (422 otherwise)."""
    response = client.get(f"/api/v1/models/{MODEL}/performance?window_hours=5")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
