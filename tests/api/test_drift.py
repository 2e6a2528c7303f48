"""`GET /api/v1/models/{model}/drift`: windows for short ranges, days for long ones."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from observability.analyze.sketch_store import rebuild_sketches, save_bins
from observability.analyze.sketches import BinSpec
from observability.analyze.timeline import Method, timeline
from observability.core.metrics import Metrics
from observability.core.settings import Settings
from observability.dashboard.schemas import DriftTimeline
from observability.runtime import Runtime
from observability.service.app import create_app
from observability.service.roles import Role
from observability.store.local import LocalStore
from tests.api.seed import END, MODEL, day_of_windows, drift_window, predictions

DAY = timedelta(days=1)


def _drift(client: TestClient, query: str) -> DriftTimeline:
    response = client.get(f"/api/v1/models/{MODEL}/drift?{query}")
    assert response.status_code == 200, response.text
    return DriftTimeline.model_validate_json(response.content)


def test_short_range_has_a_point_per_window(client: TestClient, store: LocalStore) -> None:
    """A day is answered window by window from drift_metrics, each with its verdicts."""
    reports = day_of_windows(store)
    body = _drift(client, "since=2026-11-01&until=2026-11-02")
    assert (body.resolution, body.source) == ("window", "drift_metrics")
    assert [p.report_id for p in body.points] == reports
    assert all(p.drifted_features == [] for p in body.points[:12])
    assert all(p.drifted_features == ["amount"] for p in body.points[12:])
    last = body.points[-1]
    assert last.share_drifted == pytest.approx(1 / 3)
    amount = next(f for f in last.features if f.feature == "amount")
    assert (amount.method, amount.score, amount.threshold, amount.drifted) == (
        "psi",
        0.4,
        0.1,
        True,
    )


def test_range_bounds_are_half_open(client: TestClient, store: LocalStore) -> None:
    """A window starting at `until` is left out; one starting at `since` is in."""
    reports = day_of_windows(store)
    body = _drift(client, "since=2026-11-01T05:00&until=2026-11-01T07:00")
    assert [p.report_id for p in body.points] == reports[5:7]


def test_long_range_without_sketches_merges_windows_per_day(
    client: TestClient, store: LocalStore
) -> None:
    """Beyond 7 days, a model without sketches gets a point per day from drift_metrics:
    mean scores, and a verdict when at least half the day's windows drifted."""
    day_of_windows(store)
    body = _drift(client, "since=2026-10-01&until=2026-11-02")
    assert (body.resolution, body.source) == ("day", "drift_metrics")
    assert len(body.points) == 1
    point = body.points[0]
    assert (point.window_start, point.window_end) == (END - DAY, END)
    assert point.report_id is None and point.n_current == 24 * 2500
    amount = next(f for f in point.features if f.feature == "amount")
    assert (amount.windows, amount.drifted_windows, amount.drifted) == (24, 12, True)
    assert amount.score == pytest.approx((12 * 0.02 + 12 * 0.4) / 24)
    assert point.drifted_features == ["amount"]
    assert point.share_drifted == pytest.approx(0.5 / 3)


def test_resolution_window_forces_windows_on_a_long_range(
    client: TestClient, store: LocalStore
) -> None:
    """`resolution=window` answers window by window whatever the range's length."""
    day_of_windows(store)
    body = _drift(client, "since=2026-10-01&until=2026-11-02&resolution=window")
    assert body.resolution == "window" and len(body.points) == 24


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("since=yesterday", 400),
        ("since=2026-11-02&until=2026-11-01", 400),
        ("resolution=hourly", 422),
        ("since=" + "9" * 80, 422),
    ],
)
def test_bad_parameters_are_problems(client: TestClient, query: str, status: int) -> None:
    """A time outside the grammar, an empty range or an unknown resolution is a 4xx problem."""
    response = client.get(f"/api/v1/models/{MODEL}/drift?{query}")
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"]


class ReadRecorder:
    """A LocalStore that remembers every key read and prefix listed (the same store)."""

    def __init__(self, store: LocalStore) -> None:
        self._store = store
        self.touched: list[str] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    def get(self, key: str) -> bytes:
        self.touched.append(key)
        return self._store.get(key)

    def get_versioned(self, key: str) -> tuple[bytes, str]:
        self.touched.append(key)
        return self._store.get_versioned(key)

    def list(self, prefix: str = "") -> Iterator[str]:
        self.touched.append(prefix)
        return self._store.list(prefix)


def test_ninety_days_from_sketches_read_no_raw_rows(
    store: LocalStore, settings: Settings, metrics: Metrics, tmp_path: Path
) -> None:
    """A 90-day timeline comes from the daily roll-ups: with every prediction file deleted
    it still gives the sketches' scores, and nothing under predictions/ is read or listed."""
    rng = np.random.default_rng(7)
    reference = {
        "amount": rng.integers(0, 10, 2000).astype(float),
        "age": rng.integers(30, 35, 2000).astype(float),
        "country": rng.choice(["de", "fr"], 2000),
    }
    spec = BinSpec.from_reference(MODEL, reference, categorical=["country"], bins=10)
    save_bins(store, spec)
    predictions(store, MODEL, END - 3 * DAY, hours=72, per_hour=20)
    assert rebuild_sketches(store, spec, END - 3 * DAY, END)
    since = END - 90 * DAY
    expected = timeline(store, spec, since, END, window=DAY, methods=(Method.PSI,))
    for key in list(store.list("predictions/")):
        store.delete(key)
    recorder = ReadRecorder(store)
    runtime = Runtime(settings, store=recorder, metrics=metrics)  # type: ignore[arg-type]
    with TestClient(create_app(runtime, frozenset({Role.API}))) as client:
        body = _drift(client, f"since={since:%Y-%m-%d}&until={END:%Y-%m-%d}")
    assert (body.resolution, body.source) == ("day", "sketches")
    assert len(body.points) == 90
    scores = {(p.window_start, f.feature): f.score for p in body.points for f in p.features}
    assert len(scores) == len(expected) == 90 * 3
    for row in expected:
        assert scores[(datetime.fromisoformat(row.window), row.feature)] == row.score
    last = body.points[-1]
    assert last.n_current == 24 * 20
    assert last.drifted_features == ["country"]  # every prediction says "de"; half are "fr"
    assert all(p.n_current == 0 and p.share_drifted is None for p in body.points[:87])
    raw = [key for key in recorder.touched if key.startswith(("predictions", "compacted/"))]
    assert raw == [] and any(key.startswith("sketches/") for key in recorder.touched)


def test_answers_are_reused_for_the_cache_ttl(
    store: LocalStore, settings: Settings, metrics: Metrics
) -> None:
    """With `api_cache_seconds`, a new window shows in the model list and day timeline only
    once that many seconds have passed; until then the same answer is served."""
    day_of_windows(store)
    runtime = Runtime(settings.replace(api_cache_seconds=3.0), store=store, metrics=metrics)
    query = "since=2026-10-01&until=2026-11-03"
    with TestClient(create_app(runtime, frozenset({Role.API}))) as client:
        before = _drift(client, query)
        models = client.get("/api/v1/models").json()
        drift_window(store, MODEL, END, END + timedelta(hours=1), {"amount": 0.9})
        assert _drift(client, query) == before
        assert client.get("/api/v1/models").json() == models
        time.sleep(3.1)
        client.get("/api/v1/models")  # the first caller after the TTL refreshes it
        assert len(_drift(client, query).points) == len(before.points) + 1
        last = client.get("/api/v1/models").json()["models"][0]["last_window"]
        assert last["window_start"] == "2026-11-02T00:00:00Z"
