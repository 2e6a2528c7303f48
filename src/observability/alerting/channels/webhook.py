"""A generic webhook speaking Alertmanager's payload (version 4), so anything that takes
Alertmanager's webhook takes ours.

The fields, their names and their values follow Alertmanager's `notify/webhook/webhook.go`
(`version`, `groupKey`, `truncatedAlerts` for `max_alerts`) and `template/template.go`
(`receiver` regexp-quoted, `status`, `groupLabels`, `commonLabels` and `commonAnnotations`
over the alerts sent, `externalURL`, and per alert `status`, `labels`, `annotations`,
`startsAt`, `endsAt` (Go's zero time when unset), `generatorURL`, `fingerprint`). Each alert
also carries one extra key, `observability` (state, value, threshold, context, links): the
evidence Alertmanager has no field for; JSON decoders of the standard payload ignore it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Final

import httpx
import orjson

from observability.alerting.channels.common import alert_status
from observability.alerting.channels.delivery import SecretChannel, post_json
from observability.alerting.channels.secrets import Secret, SecretReader, SecretRef
from observability.alerting.channels.spec import WebhookSpec
from observability.alerting.model import Alert, DeliveryResult, Notification
from observability.core.times import format_instant
from observability.transport.retry import RetryPolicy

PAYLOAD_VERSION: Final = "4"
#: How Go renders an unset time.Time, which Alertmanager sends for an alert with no end.
GO_ZERO_TIME: Final = "0001-01-01T00:00:00Z"
#: The characters Go's regexp.QuoteMeta escapes.
_REGEXP_META: Final = re.compile(r"([\\.+*?()|\[\]{}^$])")
#: The extra per-alert key holding our evidence.
EXTENSION_KEY: Final = "observability"


def quote_meta(text: str) -> str:
    """Go's `regexp.QuoteMeta`, which Alertmanager applies to the receiver's name."""
    return _REGEXP_META.sub(r"\\\1", text)


def _instant(moment: datetime | None) -> str:
    return GO_ZERO_TIME if moment is None else format_instant(moment)


def _common(maps: Iterable[Mapping[str, str]]) -> dict[str, str]:
    """The pairs every map shares (Alertmanager's commonLabels / commonAnnotations)."""
    iterator = iter(maps)
    first = next(iterator, None)
    if first is None:
        return {}
    common = dict(first)
    for other in iterator:
        common = {k: v for k, v in common.items() if other.get(k) == v}
    return common


def alert_object(alert: Alert) -> dict[str, object]:
    """One alert as Alertmanager's webhook renders it, plus our evidence."""
    return {
        "status": alert_status(alert),
        "labels": dict(alert.labels),
        "annotations": dict(alert.annotations),
        "startsAt": _instant(alert.starts_at),
        "endsAt": _instant(alert.ends_at),
        "generatorURL": alert.generator_url,
        "fingerprint": alert.fingerprint,
        EXTENSION_KEY: {
            "state": alert.state.value,
            "value": alert.value,
            "threshold": alert.threshold,
            "context": dict(alert.context),
            "links": dict(alert.links),
        },
    }


def alertmanager_payload(notification: Notification, *, max_alerts: int = 0) -> dict[str, object]:
    """The version 4 webhook message for a notification, truncated to `max_alerts` (0: all)."""
    alerts = list(notification.alerts)
    truncated = 0
    if max_alerts and len(alerts) > max_alerts:
        truncated = len(alerts) - max_alerts
        alerts = alerts[:max_alerts]
    return {
        "version": PAYLOAD_VERSION,
        "groupKey": notification.group_key,
        "truncatedAlerts": truncated + notification.truncated_alerts,
        "status": notification.status,
        "receiver": quote_meta(notification.receiver),
        "groupLabels": dict(notification.group_labels),
        "commonLabels": _common(alert.labels for alert in alerts),
        "commonAnnotations": _common(alert.annotations for alert in alerts),
        "externalURL": notification.external_url,
        "alerts": [alert_object(alert) for alert in alerts],
    }


def encode(document: object) -> bytes:
    """JSON bytes; a value the evidence holds that JSON lacks (a date, a set) becomes text."""
    return orjson.dumps(document, default=str, option=orjson.OPT_NON_STR_KEYS)


class WebhookNotifier(SecretChannel):
    """POSTs the Alertmanager payload to a URL read from the environment or Secrets Manager."""

    def __init__(
        self, spec: WebhookSpec, *, http: httpx.Client, secrets: SecretReader, policy: RetryPolicy
    ) -> None:
        super().__init__(spec, http=http, secrets=secrets, policy=policy)
        self._spec = spec

    def secret_ref(self) -> SecretRef:
        """The URL."""
        return self._spec.url

    def send(self, notification: Notification, secret: Secret) -> DeliveryResult:
        """The group's payload."""
        body = encode(alertmanager_payload(notification, max_alerts=self._spec.max_alerts))
        return post_json(self._http, secret.reveal(), body, policy=self._policy, secret=secret)
