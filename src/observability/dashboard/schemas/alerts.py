"""Alerts and silences: `alerts`, `alerts/history` and `silences`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from observability.dashboard.schemas.common import example

_ALERT = {
    "fingerprint": "3f1c2a7b0d3e9f1c",
    "rule": "fraud-drift",
    "rule_group": "models",
    "state": "firing",
    "severity": "warning",
    "labels": {"alertname": "fraud-drift", "model": "fraud", "severity": "warning"},
    "annotations": {"summary": "3 features of fraud drifted"},
    "value": 0.375,
    "threshold": 0.3,
    "active_since": "2026-11-01T04:05:00Z",
    "fired_at": "2026-11-01T04:10:00Z",
    "resolved_at": None,
    "silenced_by": None,
    "generator_url": "http://127.0.0.1:8000/models/fraud",
    "links": {"report": "http://127.0.0.1:8000/reports/fraud~20261101T0300_20261101T0400"},
    "context": {"drifted_features": [{"feature": "amount", "score": 0.4, "threshold": 0.1}]},
}


class AlertView(BaseModel):
    """An alert as it stands (its stored state), with its evidence and links."""

    model_config = example(_ALERT)

    fingerprint: str
    rule: str
    rule_group: str
    state: str = Field(description="pending, firing, resolved, nodata or error.")
    severity: str
    labels: dict[str, str]
    annotations: dict[str, str]
    value: float | None
    threshold: float | None
    active_since: datetime | None
    fired_at: datetime | None
    resolved_at: datetime | None
    silenced_by: str | None = Field(description="The active silence muting it now, if any.")
    generator_url: str
    links: dict[str, str]
    context: dict[str, Any] = Field(description="The evidence the rule gathered.")


class AlertList(BaseModel):
    """`GET /alerts`: every alert with a stored state, most urgent first."""

    model_config = example({"alerts": [_ALERT]})

    alerts: list[AlertView]


_TRANSITION = {
    "rule": "fraud-drift",
    "rule_group": "models",
    "fingerprint": "3f1c2a7b0d3e9f1c",
    "labels": {"alertname": "fraud-drift", "model": "fraud", "severity": "warning"},
    "from_state": "pending",
    "to_state": "firing",
    "severity": "warning",
    "changed_at": "2026-11-01T04:10:00Z",
    "value": 0.375,
    "threshold": 0.3,
    "summary": "3 features of fraud drifted",
    "error": None,
    "evaluator": "host-1234-ab12cd",
}


class AlertTransition(BaseModel):
    """One state change of an alert (a row of the `alerts` table)."""

    model_config = example(_TRANSITION)

    rule: str
    rule_group: str
    fingerprint: str
    labels: dict[str, str]
    from_state: str
    to_state: str
    severity: str
    changed_at: datetime
    value: float | None
    threshold: float | None
    summary: str
    error: str | None
    evaluator: str


class AlertHistoryPage(BaseModel):
    """`GET /alerts/history`: newest change first."""

    model_config = example({"items": [_TRANSITION], "next_cursor": None})

    items: list[AlertTransition]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")


_SILENCE = {
    "id": "9f1c2a7b0d3e4f5a",
    "matchers": ['alertname="fraud-drift"', 'model="fraud"'],
    "starts_at": "2026-11-01T04:00:00Z",
    "ends_at": "2026-11-01T08:00:00Z",
    "created_by": "key:ops-admin",
    "comment": "retraining fraud tonight",
    "created_at": "2026-11-01T04:00:00Z",
    "state": "active",
}


class SilenceView(BaseModel):
    """A silence: the alerts its matchers select are not notified while it is active."""

    model_config = example(_SILENCE)

    id: str
    matchers: list[str]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str
    created_at: datetime
    state: Literal["pending", "active", "expired"]


class SilenceList(BaseModel):
    """`GET /silences`: newest first (expired ones are kept a few days)."""

    model_config = example({"silences": [_SILENCE]})

    silences: list[SilenceView]


class NewSilence(BaseModel):
    """`POST /silences` (admin): matchers, an end (`ends_at` or `duration`), and why."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "matchers": ['alertname="fraud-drift"', 'model="fraud"'],
                    "duration": "4h",
                    "comment": "retraining fraud tonight",
                }
            ]
        },
    )

    matchers: list[str] = Field(
        min_length=1, max_length=32, description='Alertmanager matchers: `model="fraud"`, ...'
    )
    starts_at: str | None = Field(
        default=None, max_length=64, description="A time (default: now), as `since` takes."
    )
    ends_at: str | None = Field(default=None, max_length=64, description="A time.")
    duration: str | None = Field(
        default=None, max_length=32, description="Instead of ends_at: how long (30m, 4h, 2d)."
    )
    comment: str = Field(min_length=1, max_length=2000)
