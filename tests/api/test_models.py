"""`GET /api/v1/models`: configured and seen models, each with its last window."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from observability.core.settings import Settings
from observability.dashboard.schemas import ModelList
from observability.store.local import LocalStore
from tests.api.seed import END, MODEL, day_of_windows, drift_window, labels, predictions


def test_lists_configured_and_seen_models(client: TestClient, store: LocalStore) -> None:
    """A model of models.yaml without windows and a model with windows only are both listed."""
    drift_window(store, "churn", END - timedelta(hours=1), END, {"tenure": 0.5})
    body = ModelList.model_validate_json(client.get("/api/v1/models").content)
    by_name = {m.model: m for m in body.models}
    assert sorted(by_name) == ["churn", MODEL]
    assert by_name[MODEL].configured and by_name[MODEL].last_window is None
    assert by_name[MODEL].features == ["amount", "age", "country"]
    churn = by_name["churn"]
    assert not churn.configured and churn.features == ["tenure"]
    assert churn.last_window is not None
    assert churn.last_window.drifted_features == ["tenure"]
    assert churn.links.drift.endswith("/api/v1/models/churn/drift")


def test_last_window_status_drift_count_and_performance(
    client: TestClient, store: LocalStore
) -> None:
    """The latest window gives the status and drifted count; accuracy and label coverage
    come from the predictions joined to their labels in that window."""
    day_of_windows(store)
    start = END - timedelta(hours=1)
    ids = predictions(store, MODEL, start, hours=1, per_hour=40)
    # 20 of 40 labelled; the predictions alternate a/b, the labels are all "a": 10 right.
    labels(store, MODEL, dict.fromkeys(ids[:20], "a"), at=END + timedelta(minutes=30))
    body = ModelList.model_validate_json(client.get("/api/v1/models").content)
    summary = next(m for m in body.models if m.model == MODEL)
    last = summary.last_window
    assert last is not None
    assert (last.window_start, last.window_end) == (start, END)
    assert last.status == "ok" and last.drifted_count == 1 and last.drifted_features == ["amount"]
    performance = summary.performance
    assert performance is not None
    assert (performance.predictions, performance.labelled) == (40, 20)
    assert performance.label_coverage == 0.5
    assert performance.metric == "accuracy" and performance.accuracy == 0.5


def test_unknown_model_is_404_and_bad_name_400(client: TestClient) -> None:
    """A valid name nobody has is a 404 problem; a name no model can have is a 400."""
    missing = client.get("/api/v1/models/nobody/drift")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert "nobody" in missing.json()["detail"]
    bad = client.get("/api/v1/models/-starts-with-a-dash/drift")
    assert bad.status_code == 400
    assert bad.json()["type"].endswith(":bad-parameter")


def test_broken_models_file_is_a_server_error_without_details(
    client: TestClient, settings: Settings
) -> None:
    """An unusable models.yaml answers 500 and does not leak the file's path or contents."""
    path = settings.models_config
    path.write_text("models: [unclosed", encoding="utf-8")
    response = client.get("/api/v1/models")
    assert response.status_code == 500
    assert str(path) not in response.text
