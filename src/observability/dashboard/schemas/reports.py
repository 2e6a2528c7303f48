"""Reports: `models/{model}/reports` and `reports/{report_id}`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from observability.dashboard.schemas.common import example
from observability.dashboard.schemas.drift import FEATURE_EXAMPLE, FeatureDrift


class ReportLinks(BaseModel):
    """The report's JSON and HTML routes, and its UI view."""

    report: str = Field(description="The report's JSON (this API).")
    html: str | None
    quality_html: str | None
    view: str


_REPORT = {
    "report_id": "fraud~20261101T0300_20261101T0400",
    "model": "fraud",
    "window_start": "2026-11-01T03:00:00Z",
    "window_end": "2026-11-01T04:00:00Z",
    "variants": ["drift", "quality"],
    "status": "ok",
    "share_drifted": 0.5,
    "drifted_count": 1,
    "links": {
        "report": "http://127.0.0.1:8000/api/v1/reports/fraud~20261101T0300_20261101T0400",
        "html": "http://127.0.0.1:8000/api/v1/reports/fraud~20261101T0300_20261101T0400/html",
        "quality_html": "http://127.0.0.1:8000/api/v1/reports/"
        "fraud~20261101T0300_20261101T0400/html?variant=quality",
        "view": "http://127.0.0.1:8000/reports/fraud~20261101T0300_20261101T0400",
    },
}


class ReportSummary(BaseModel):
    """A stored report: its window, what was rendered, and the window's verdict."""

    model_config = example(_REPORT)

    report_id: str
    model: str
    window_start: datetime
    window_end: datetime
    variants: list[Literal["drift", "quality"]] = Field(
        description="Evidently reports stored for the window."
    )
    status: str | None
    share_drifted: float | None
    drifted_count: int | None
    links: ReportLinks


class ReportPage(BaseModel):
    """`GET /models/{model}/reports`: newest window first."""

    model_config = example({"items": [_REPORT], "next_cursor": None})

    items: list[ReportSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")


class RunInfo(BaseModel):
    """What the window's last run saw."""

    ran_at: datetime
    n_current: int
    n_labels: int
    status: str
    notes: list[str]


class ReportDetail(BaseModel):
    """`GET /reports/{report_id}`: the window's verdicts and the stored Evidently documents."""

    model_config = example(
        {
            **{k: v for k, v in _REPORT.items() if k not in ("drifted_count",)},
            "n_current": 2500,
            "drifted_features": ["amount"],
            "features": [FEATURE_EXAMPLE],
            "run": {
                "ran_at": "2026-11-01T04:05:00Z",
                "n_current": 2500,
                "n_labels": 0,
                "status": "ok",
                "notes": [],
            },
            "evidently": {"metrics": [], "tests": []},
            "evidently_quality": None,
        }
    )

    report_id: str
    model: str
    window_start: datetime
    window_end: datetime
    variants: list[Literal["drift", "quality"]]
    status: str | None
    n_current: int | None
    share_drifted: float | None
    drifted_features: list[str]
    features: list[FeatureDrift]
    run: RunInfo | None
    links: ReportLinks
    evidently: dict[str, Any] | None = Field(
        description="The stored Evidently drift document (JSON), as the job wrote it."
    )
    evidently_quality: dict[str, Any] | None = Field(
        description="The stored Evidently quality document, once labels had arrived."
    )
