"""Acceptance: on data with an injected shift, the API names exactly the shifted features
and serves the drift job's own report files."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from observability.analyze.job import DriftJob
from observability.core import keys
from observability.dashboard.schemas import DriftTimeline
from observability.query.duckdb import DuckDBEngine
from observability.store.local import LocalStore
from tests.analyze.generated import SHIFTED, START, frame, model_config, write_predictions

pytestmark = pytest.mark.slow
HOUR = timedelta(hours=1)


def test_drift_names_exactly_the_shifted_features(
    client: TestClient, store: LocalStore, tmp_path: Path
) -> None:
    """Before the shift no feature drifts; after it exactly the three shifted ones do, and
    the window's HTML is the stored file, sandboxed."""
    rng = np.random.default_rng(42)
    reference = tmp_path / "reference.parquet"
    frame(rng, 5000, shifted=False).to_parquet(reference)
    model = model_config(reference={"path": str(reference)})
    job = DriftJob(store, DuckDBEngine(store), {"gen": model}, clock=lambda: START + 2 * HOUR)
    for hour, shifted in ((0, False), (1, True)):
        start = START + hour * HOUR
        write_predictions(store, "gen", start, frame(rng, 2500, shifted=shifted), f"h{hour}")
        job.run("gen", start, start + HOUR)
    response = client.get("/api/v1/models/gen/drift?since=2026-11-01T00:00&until=2026-11-01T02:00")
    body = DriftTimeline.model_validate_json(response.content)
    before, after = body.points
    assert before.drifted_features == []
    assert sorted(after.drifted_features) == sorted(SHIFTED)
    assert after.share_drifted == pytest.approx(len(SHIFTED) / 8)
    assert after.report_id is not None
    html = client.get(f"/api/v1/reports/{after.report_id}/html")
    assert html.status_code == 200
    assert html.content == store.get(keys.report_key(after.report_id, keys.REPORT_HTML))
    assert html.headers["content-security-policy"] == "sandbox allow-scripts"
