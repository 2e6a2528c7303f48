"""`GET /api/v1/models/{model}/features/{feature}`: reference vs current in a window."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from fastapi.testclient import TestClient

from observability.analyze.sketch_store import save_bins
from observability.analyze.sketches import BinSpec
from observability.dashboard.schemas import FeatureDistribution
from observability.store.local import LocalStore
from tests.api.seed import END, MODEL, day_of_windows, predictions

HOUR = timedelta(hours=1)


def _spec(store: LocalStore) -> BinSpec:
    rng = np.random.default_rng(3)
    reference = {
        "amount": rng.integers(0, 10, 1000).astype(float),
        "age": rng.integers(30, 35, 1000).astype(float),
        "country": rng.choice(["de", "fr"], 1000),
    }
    spec = BinSpec.from_reference(MODEL, reference, categorical=["country"], bins=5)
    save_bins(store, spec)
    return spec


def _get(client: TestClient, feature: str, query: str = "") -> FeatureDistribution:
    response = client.get(f"/api/v1/models/{MODEL}/features/{feature}?{query}")
    assert response.status_code == 200, response.text
    return FeatureDistribution.model_validate_json(response.content)


def test_numeric_counts_on_the_reference_bins(client: TestClient, store: LocalStore) -> None:
    """With bins, a numeric feature is counted on the reference's bins on both sides; an
    hour not sketched yet is counted from its stored predictions."""
    spec = _spec(store)
    reports = day_of_windows(store)
    predictions(store, MODEL, END - HOUR, hours=1, per_hour=30)
    body = _get(client, "amount")  # no window given: the last drift window
    assert body.report_id == reports[-1] and body.source == "sketches"
    assert body.kind == "numeric" and body.current is not None and body.reference is not None
    assert body.current.rows == 30 and body.reference.rows == 1000
    assert sum(b.current for b in body.buckets) == 30
    assert [b.reference for b in body.buckets] == list(spec.reference.numeric["amount"][3:])
    assert body.buckets[0].lower is None and body.buckets[-1].upper is None
    assert body.drift is not None and body.drift.drifted  # amount drifts from hour 12 on


def test_categories_on_both_sides(client: TestClient, store: LocalStore) -> None:
    """A categorical feature lists each category's reference and current counts."""
    spec = _spec(store)
    predictions(store, MODEL, END - 2 * HOUR, hours=2, per_hour=10)
    body = _get(client, "country", "since=2026-11-01T22:00&until=2026-11-02")
    counts = {c.value: (c.reference, c.current) for c in body.categories}
    reference = spec.reference.categorical["country"].counts
    assert counts == {"de": (reference["de"], 20), "fr": (reference["fr"], 0)}
    assert body.report_id is None and body.drift is None  # no window stored for that range


def test_without_bins_the_report_summary_is_used(client: TestClient, store: LocalStore) -> None:
    """Without sketches, the window's stored report gives the current side's summary."""
    report = day_of_windows(store)[6]
    numeric = _get(client, "amount", f"report_id={report}")
    assert numeric.source == "report" and numeric.summary == {"mean": 12.5}
    assert numeric.reference is None and numeric.buckets == []
    categorical = _get(client, "country", f"report_id={report}")
    assert categorical.kind == "categorical"
    assert [(c.value, c.reference, c.current) for c in categorical.categories] == [
        ("fr", None, 70),
        ("de", None, 30),
    ]


def test_unknown_feature_and_foreign_report(client: TestClient, store: LocalStore) -> None:
    """A feature nothing describes is a 404; a report of another model, half a range or a
    range over 31 days a 400."""
    reports = day_of_windows(store)
    missing = client.get(f"/api/v1/models/{MODEL}/features/shoe_size?report_id={reports[0]}")
    assert missing.status_code == 404 and "shoe_size" in missing.json()["detail"]
    foreign = client.get(
        f"/api/v1/models/{MODEL}/features/amount?report_id=churn~20261101T0000_20261101T0100"
    )
    assert foreign.status_code == 400 and "churn" in foreign.json()["detail"]
    half = client.get(f"/api/v1/models/{MODEL}/features/amount?since=2026-11-01")
    assert half.status_code == 400 and "until" in half.json()["detail"]
    too_long = client.get(
        f"/api/v1/models/{MODEL}/features/amount?since=2026-09-01&until=2026-11-01"
    )
    assert too_long.status_code == 400 and "31 days" in too_long.json()["detail"]
