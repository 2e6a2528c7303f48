"""PagerDuty Events API v2: one event per alert, `dedup_key` = the alert's fingerprint.

A firing alert (nodata and error included) sends `trigger` with a payload (summary,
source, severity, timestamp, component, group, class, custom_details holding the evidence)
and the alert's links; a resolved one sends `resolve` with the same dedup_key, so the
incident PagerDuty opened is the one that closes. Re-sending a trigger updates the same
incident, which makes retrying a whole notification safe.
"""

from __future__ import annotations

from typing import Final

import httpx
import orjson

from observability.alerting.channels.common import (
    alert_status,
    value_against_threshold,
)
from observability.alerting.channels.delivery import SecretChannel, post_json
from observability.alerting.channels.secrets import Secret, SecretReader, SecretRef
from observability.alerting.channels.spec import PagerDutySpec
from observability.alerting.model import (
    Alert,
    AlertState,
    DeliveryResult,
    Notification,
    Severity,
)
from observability.core.times import format_instant
from observability.transport.retry import RetryPolicy

SUMMARY_CHARS: Final = 1024
#: PagerDuty's severities are critical, error, warning and info.
_SEVERITY: Final = {
    Severity.CRITICAL: "critical",
    Severity.WARNING: "warning",
    Severity.INFO: "info",
}
#: Labels that name what is affected, most specific first (`payload.source` / `component`).
_SOURCE_LABELS: Final = ("model", "service", "instance", "job")
CLIENT: Final = "observability"


def _severity(alert: Alert) -> str:
    """A rule that could not be evaluated is PagerDuty's `error`; otherwise the label's level."""
    if alert.state is AlertState.ERROR:
        return "error"
    return _SEVERITY[alert.severity]


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _summary(alert: Alert) -> str:
    summary = alert.annotations.get("summary") or alert.name
    return _cut(f"{summary} — {value_against_threshold(alert)}", SUMMARY_CHARS)


def pagerduty_event(
    alert: Alert, routing_key: str, *, notification: Notification, source: str
) -> dict[str, object]:
    """The Events API v2 body for one alert of a notification."""
    if alert_status(alert) == "resolved":
        return {
            "routing_key": routing_key,
            "event_action": "resolve",
            "dedup_key": alert.fingerprint,
        }
    affected = next((alert.labels[k] for k in _SOURCE_LABELS if alert.labels.get(k)), None)
    payload: dict[str, object] = {
        "summary": _summary(alert),
        "source": affected or source,
        "severity": _severity(alert),
        "timestamp": format_instant(alert.starts_at),
        "class": alert.rule,
        "custom_details": {
            "state": alert.state.value,
            "value": alert.value,
            "threshold": alert.threshold,
            "labels": dict(alert.labels),
            "annotations": dict(alert.annotations),
            "context": dict(alert.context),
            "fingerprint": alert.fingerprint,
            "group_key": notification.group_key,
        },
    }
    if affected:
        payload["component"] = affected
    group = alert.labels.get("group") or notification.group_labels.get("alertname")
    if group:
        payload["group"] = group
    links = [{"href": url, "text": name} for name, url in alert.links.items()]
    if alert.generator_url:
        links.insert(0, {"href": alert.generator_url, "text": "open"})
    runbook = alert.annotations.get("runbook_url")
    if runbook and "runbook" not in alert.links:
        links.append({"href": runbook, "text": "runbook"})
    event: dict[str, object] = {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": alert.fingerprint,
        "payload": payload,
        "links": links,
        "client": CLIENT,
    }
    if notification.external_url:
        event["client_url"] = notification.external_url
    return event


class PagerDutyNotifier(SecretChannel):
    """Triggers and resolves PagerDuty incidents, one per alert fingerprint."""

    def __init__(
        self, spec: PagerDutySpec, *, http: httpx.Client, secrets: SecretReader, policy: RetryPolicy
    ) -> None:
        super().__init__(spec, http=http, secrets=secrets, policy=policy)
        self._spec = spec

    def secret_ref(self) -> SecretRef:
        """The routing key."""
        return self._spec.routing_key

    def send(self, sent: Notification, key: Secret) -> DeliveryResult:
        """Send every alert's event; retryable if any retryable failure remains."""
        total = len(sent.alerts)
        tried = 0
        failures: list[DeliveryResult] = []
        for alert in sent.alerts:
            tried += 1
            result = self._event(alert, key, sent)
            if result.ok:
                continue
            failures.append(result)
            if result.retryable:  # PagerDuty is down or throttling: the rest waits too
                break
        if not failures:
            return DeliveryResult(ok=True, detail=f"{total} event(s) accepted")
        waiting = f", {total - tried} not tried" if tried < total else ""
        return DeliveryResult(
            ok=False,
            retryable=any(f.retryable for f in failures),
            detail=f"{len(failures)} of {total} event(s) failed{waiting}: {failures[0].detail}",
        )

    def _event(self, alert: Alert, key: Secret, notification: Notification) -> DeliveryResult:
        event = pagerduty_event(
            alert, key.reveal(), notification=notification, source=self._spec.source
        )
        body = orjson.dumps(event, default=str, option=orjson.OPT_NON_STR_KEYS)
        return post_json(self._http, self._spec.url, body, policy=self._policy, secret=key)
