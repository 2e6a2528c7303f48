"""The live demo's webhook receiver takes what the product's webhook notifier sends."""

from __future__ import annotations

import httpx

from observability.alerting.channels import build_notifier, parse_receiver
from observability.alerting.model import AlertState
from observability.core.aws import AwsClients
from observability.core.settings import Settings
from observability.demo.receiver import ReceivedAlert, webhook_receiver
from observability.transport.retry import RetryPolicy
from tests.alerting.channels.conftest import drift_alert, error_rate_alert, notification


def test_alerts_delivered_by_the_webhook_notifier_are_received() -> None:
    """A firing drift alert and a resolved error-rate alert arrive with status, labels,
    summary and links, as the webhook channel sends them."""
    received: list[ReceivedAlert] = []
    with webhook_receiver(received.append) as url:
        spec = parse_receiver("terminal", {"webhook": {"url_env": "DEMO_HOOK"}})
        notifier = build_notifier(
            spec,
            aws=AwsClients(Settings.from_env({})),
            environ={"DEMO_HOOK": url},
            retry=RetryPolicy(base_delay=0.005, max_delay=0.02, max_attempts=2),
        )
        alerts = (drift_alert(model="fraud"), error_rate_alert(AlertState.RESOLVED))
        result = notifier.deliver(notification(*alerts, receiver="terminal"))
    assert result.ok, result.detail
    assert [(a.name, a.status) for a in received] == [
        ("ModelDrift", "firing"),
        ("ErrorRate", "resolved"),
    ]
    assert received[0].labels["model"] == "fraud"
    assert received[0].annotations["summary"] == "fraud: 2 of 5 features drifted"
    assert received[0].links
    assert received[0].to_json()["alertname"] == "ModelDrift"


def test_bad_requests_are_refused_with_a_reason() -> None:
    """Another path is 404, a body that is not a payload is 400, and nothing is received."""
    received: list[ReceivedAlert] = []
    with webhook_receiver(received.append) as url:
        wrong_path = httpx.post(url.removesuffix("/alerts") + "/other", content=b"{}")
        not_json = httpx.post(url, content=b"{not json")
        no_alerts = httpx.post(url, json={"version": "4"})
    assert wrong_path.status_code == 404
    assert not_json.status_code == 400
    assert (no_alerts.status_code, no_alerts.text) == (
        400,
        "not an Alertmanager webhook payload (no `alerts` list)",
    )
    assert received == []
