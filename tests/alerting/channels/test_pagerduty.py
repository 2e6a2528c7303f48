"""PagerDuty Events API v2: trigger and resolve events captured by a real HTTP receiver."""

from __future__ import annotations

import logging

import pytest

from observability.alerting.channels import build_notifier, parse_receiver
from observability.alerting.model import Alert, AlertState, Notifier
from observability.core.aws import AwsClients
from observability.transport.retry import RetryPolicy
from tests.alerting.channels.conftest import drift_alert, error_rate_alert, notification
from tests.alerting.channels.receiver import Receiver, http_receiver

ROUTING_KEY = "R0UT1NGKEY0000000000000000000000"
ACCEPTED = (202, b'{"status":"success","message":"Event processed","dedup_key":"x"}')


def _notifier(receiver: Receiver, aws: AwsClients, retry: RetryPolicy) -> Notifier:
    spec = parse_receiver(
        "pager",
        {"pagerduty": {"routing_key_env": "PD_KEY", "url": receiver.url, "source": "obs-prod"}},
    )
    return build_notifier(spec, aws=aws, environ={"PD_KEY": ROUTING_KEY}, retry=retry)


def test_trigger_event_fields(no_aws: AwsClients, fast_retry: RetryPolicy) -> None:
    """Each firing alert is one `trigger` event, dedup_key its fingerprint, with a full payload."""
    alerts = (drift_alert(), error_rate_alert())
    with http_receiver("/v2/enqueue") as receiver:
        receiver.default = ACCEPTED
        result = _notifier(receiver, no_aws, fast_retry).deliver(notification(*alerts))
    assert result.ok
    assert result.detail == "2 event(s) accepted"
    drift, errors = (request.json() for request in receiver.requests)
    assert set(drift) == {
        "routing_key",
        "event_action",
        "dedup_key",
        "payload",
        "links",
        "client",
        "client_url",
    }
    assert drift["routing_key"] == ROUTING_KEY
    assert drift["event_action"] == "trigger"
    assert drift["dedup_key"] == alerts[0].fingerprint
    assert drift["client"] == "observability"
    assert drift["client_url"] == "http://127.0.0.1:8000/alerts"
    payload = drift["payload"]
    assert isinstance(payload, dict)
    assert payload["summary"] == "churn: 2 of 5 features drifted — 0.4 (threshold 0.3)"
    assert payload["source"] == "churn"
    assert payload["component"] == "churn"
    assert payload["severity"] == "critical"
    assert payload["timestamp"] == "2026-11-20T10:00:00.000000Z"
    assert payload["class"] == "ModelDrift"
    details = payload["custom_details"]
    assert details["state"] == "firing"
    assert (details["value"], details["threshold"]) == (0.4, 0.3)
    assert details["labels"] == dict(alerts[0].labels)
    assert details["context"]["drifted_features"][0]["feature"] == "age"
    assert details["context"]["accuracy"] == 0.87
    assert drift["links"] == [
        {"href": alerts[0].generator_url, "text": "open"},
        {"href": "http://127.0.0.1:8000/reports/r-1", "text": "report"},
        {"href": "http://127.0.0.1:8000/logs?q=model%3Achurn", "text": "logs"},
        {"href": "https://runbooks.invalid/drift", "text": "runbook"},
    ]
    assert errors["dedup_key"] == alerts[1].fingerprint
    assert errors["payload"]["severity"] == "warning"
    assert errors["payload"]["source"] == "checkout"


def test_resolve_event_uses_the_same_dedup_key(no_aws: AwsClients, fast_retry: RetryPolicy) -> None:
    """A resolved alert sends `resolve` with the fingerprint the trigger used, nothing else."""
    with http_receiver() as receiver:
        receiver.default = ACCEPTED
        notifier = _notifier(receiver, no_aws, fast_retry)
        assert notifier.deliver(notification(drift_alert())).ok
        assert notifier.deliver(notification(drift_alert(AlertState.RESOLVED))).ok
    trigger, resolve = (request.json() for request in receiver.requests)
    assert resolve == {
        "routing_key": ROUTING_KEY,
        "event_action": "resolve",
        "dedup_key": trigger["dedup_key"],
    }


@pytest.mark.parametrize(
    ("state", "severity", "expected"),
    [
        (AlertState.FIRING, "critical", "critical"),
        (AlertState.FIRING, "warning", "warning"),
        (AlertState.FIRING, "info", "info"),
        (AlertState.ERROR, "warning", "error"),
        (AlertState.NODATA, "critical", "critical"),
    ],
)
def test_severity_mapping(
    no_aws: AwsClients, fast_retry: RetryPolicy, state: AlertState, severity: str, expected: str
) -> None:
    """Our severities map to PagerDuty's; a rule that failed to evaluate is `error`."""
    base = drift_alert()
    alert = Alert(
        rule=base.rule,
        labels={**base.labels, "severity": severity},
        annotations=base.annotations,
        state=state,
        value=None,
        threshold=None,
        starts_at=base.starts_at,
    )
    with http_receiver() as receiver:
        receiver.default = ACCEPTED
        assert _notifier(receiver, no_aws, fast_retry).deliver(notification(alert)).ok
    event = receiver.requests[0].json()
    assert event["event_action"] == "trigger"
    assert event["payload"]["severity"] == expected


def test_throttled_then_down_stops_and_is_retryable(
    no_aws: AwsClients, fast_retry: RetryPolicy
) -> None:
    """A 429 that persists ends retryable, and the group's remaining events wait for the retry."""
    with http_receiver() as receiver:
        receiver.default = (429, b'{"status":"throttle event"}')
        result = _notifier(receiver, no_aws, fast_retry).deliver(
            notification(drift_alert(), error_rate_alert())
        )
    assert (result.ok, result.retryable) == (False, True)
    assert len(receiver.requests) == 3  # one event, three attempts, then stop
    assert result.detail.startswith("1 of 2 event(s) failed, 1 not tried: HTTP 429")


def test_routing_key_never_logged_or_returned(
    no_aws: AwsClients, fast_retry: RetryPolicy, caplog: pytest.LogCaptureFixture
) -> None:
    """An answer echoing the routing key is redacted; no log record holds it."""
    caplog.set_level(logging.DEBUG)
    with http_receiver() as receiver:
        receiver.default = (400, f'{{"errors":["bad routing_key {ROUTING_KEY}"]}}'.encode())
        result = _notifier(receiver, no_aws, fast_retry).deliver(notification(drift_alert()))
    assert (result.ok, result.retryable) == (False, False)
    assert ROUTING_KEY not in result.detail
    assert "[redacted]" in result.detail
    assert ROUTING_KEY not in caplog.text
