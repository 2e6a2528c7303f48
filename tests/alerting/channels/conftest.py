"""Alerts, notifications and a fast retry policy shared by the channels' tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from observability.alerting.model import Alert, AlertState, Notification
from observability.core.aws import AwsClients
from observability.core.settings import Settings
from observability.transport.retry import RetryPolicy

PUBLIC = "http://127.0.0.1:8000"
STARTS = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
ENDS = datetime(2026, 11, 20, 11, 30, tzinfo=UTC)


def drift_alert(state: AlertState = AlertState.FIRING, model: str = "churn") -> Alert:
    """A drift alert with the evidence a drift rule attaches."""
    return Alert(
        rule="ModelDrift",
        labels={"alertname": "ModelDrift", "severity": "critical", "model": model, "team": "ml"},
        annotations={
            "summary": f"{model}: 2 of 5 features drifted",
            "description": "share of drifted features above 0.3",
            "runbook_url": "https://runbooks.invalid/drift",
        },
        state=state,
        value=0.4,
        threshold=0.3,
        starts_at=STARTS,
        ends_at=ENDS if state is AlertState.RESOLVED else None,
        generator_url=f"{PUBLIC}/models/{model}?since=2026-11-20T09%3A00%3A00.000000Z",
        context={
            "drifted_features": [
                {
                    "feature": "age",
                    "score": 0.31,
                    "threshold": 0.1,
                    "n_reference": 1000,
                    "n_current": 980,
                },
                {
                    "feature": "income",
                    "score": 0.27,
                    "threshold": 0.1,
                    "n_reference": 1000,
                    "n_current": 980,
                },
            ],
            "accuracy": 0.87,
            "caller_error_rates": {"checkout": 0.021},
        },
        links={"report": f"{PUBLIC}/reports/r-1", "logs": f"{PUBLIC}/logs?q=model%3Achurn"},
    )


def error_rate_alert(state: AlertState = AlertState.FIRING) -> Alert:
    """A warning-level SQL alert on a service's error rate."""
    return Alert(
        rule="ErrorRate",
        labels={
            "alertname": "ErrorRate",
            "severity": "warning",
            "service": "checkout",
            "team": "ml",
        },
        annotations={"summary": "checkout error rate 7%"},
        state=state,
        value=0.07,
        threshold=0.05,
        starts_at=STARTS,
        ends_at=ENDS if state is AlertState.RESOLVED else None,
        context={
            "top_errors": [
                {"event": "payment_failed", "count": 12, "sample_trace_ids": ["t1", "t2"]}
            ]
        },
        links={"logs": f"{PUBLIC}/logs?q=level%3Aerror"},
    )


def notification(*alerts: Alert, receiver: str = "oncall") -> Notification:
    """A group of alerts as the router hands it to a receiver."""
    firing = any(a.state is not AlertState.RESOLVED for a in alerts)
    return Notification(
        receiver=receiver,
        group_key='{}:{team="ml"}',
        group_labels={"team": "ml"},
        status="firing" if firing else "resolved",
        alerts=alerts,
        external_url=f"{PUBLIC}/alerts",
    )


@pytest.fixture
def fast_retry() -> RetryPolicy:
    """The delivery policy's shape with millisecond waits, so retries are tested quickly."""
    return RetryPolicy(base_delay=0.005, max_delay=0.02, max_attempts=3, deadline_seconds=5.0)


@pytest.fixture
def no_aws() -> AwsClients:
    """AWS clients that are never used (HTTP channels)."""
    return AwsClients(Settings.from_env({}))
