"""The read side on an S3 store (moto): the same answers as on a local directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from observability.core.aws import AwsClients
from observability.core.metrics import Metrics
from observability.core.settings import Settings
from observability.dashboard.schemas import DriftTimeline, ReportPage
from observability.runtime import Runtime
from observability.service.app import create_app
from observability.service.roles import Role
from observability.store.s3 import S3Store
from tests.api.seed import HTML, MODEL, day_of_windows, models_file

pytestmark = pytest.mark.aws
BUCKET = "dashboard-test"


def test_drift_reports_and_html_from_s3(
    aws_settings: Settings, aws: AwsClients, metrics: Metrics, tmp_path: Path
) -> None:
    """Windows, the report list and a report's HTML are read from the bucket's prefix."""
    aws.s3().create_bucket(Bucket=BUCKET)
    store = S3Store(aws.s3(), BUCKET, "env/prod")
    reports = day_of_windows(store)
    settings = aws_settings.replace(
        store_url=f"s3://{BUCKET}/env/prod",
        models_config=models_file(tmp_path / "models.yaml"),
        api_cache_seconds=0.0,
    )
    runtime = Runtime(settings, session=aws.session, store=store, metrics=metrics)
    with TestClient(create_app(runtime, frozenset({Role.API}))) as client:
        drift = client.get(f"/api/v1/models/{MODEL}/drift?since=2026-11-01&until=2026-11-02")
        timeline = DriftTimeline.model_validate_json(drift.content)
        assert [p.report_id for p in timeline.points] == reports
        assert timeline.points[-1].drifted_features == ["amount"]
        listed = client.get(f"/api/v1/models/{MODEL}/reports")
        assert len(ReportPage.model_validate_json(listed.content).items) == 4
        html = client.get(f"/api/v1/reports/{reports[0]}/html")
        assert html.content == HTML
