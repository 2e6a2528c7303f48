"""What an alert is, shared by the evaluator, the router and every notifier.

Shaped after Alertmanager's model (labels identify an alert, annotations describe it, a
fingerprint of the labels is its identity, notifications go out per group) with Grafana's
explicit `nodata` and `error` states, plus what neither has: `context` and `links`, the
evidence that explains an ML alert (drifted features with their scores, the report, the
window's accuracy, the callers' error rate, the logs of the same window).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal, Protocol

import orjson


class AlertState(StrEnum):
    """Where a rule's alert stands; `nodata` and `error` are states of their own, never silent."""

    INACTIVE = "inactive"
    PENDING = "pending"
    FIRING = "firing"
    RESOLVED = "resolved"
    NODATA = "nodata"
    ERROR = "error"


class Severity(StrEnum):
    """How urgent; inhibition lets a critical alert mute a warning with the same labels."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


def fingerprint(labels: Mapping[str, str]) -> str:
    """A stable identity for a label set (sorted, hashed): the PagerDuty dedup_key, the
    state object's name, the UI's selection."""
    canonical = orjson.dumps(dict(sorted(labels.items())))
    return hashlib.sha256(canonical).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert instance of a rule: one label set, its state and its evidence."""

    rule: str
    #: Identity: includes `alertname` (the rule) and `severity`, plus the source's labels
    #: (model, feature, service, ...) and the rule's own labels.
    labels: Mapping[str, str]
    #: `summary`, `description` (templates already rendered), `runbook_url`.
    annotations: Mapping[str, str]
    state: AlertState
    #: The value the condition saw, and what it was compared to (None for absent/nodata).
    value: float | None
    threshold: float | None
    #: When the alert became pending (or firing); when it resolved.
    starts_at: datetime
    ends_at: datetime | None = None
    #: Where a person lands to understand it (links module: model view, log search, ...).
    generator_url: str = ""
    #: Evidence, JSON-serialisable: e.g. `drifted_features` [{feature, score, threshold,
    #: n_reference, n_current}], `accuracy`, `caller_error_rates` {service: rate},
    #: `top_errors` [{event, count, sample_trace_ids}], `last_seen` {at, record}, `error`.
    context: Mapping[str, object] = field(default_factory=dict)
    #: Named links: `report`, `logs`, `model`, `runbook`, ... (name -> URL).
    links: Mapping[str, str] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        """The identity of this alert's label set."""
        return fingerprint(self.labels)

    @property
    def severity(self) -> Severity:
        """The `severity` label (warning when a rule left it out)."""
        return Severity(self.labels.get("severity", Severity.WARNING.value))

    @property
    def name(self) -> str:
        """The `alertname` label: the rule's name."""
        return self.labels.get("alertname", self.rule)


NotificationStatus = Literal["firing", "resolved"]


@dataclass(frozen=True, slots=True)
class Notification:
    """What a receiver gets: one group of alerts, as Alertmanager groups them."""

    receiver: str
    #: The group's identity (`group_by` labels, plus the route); stable across evaluations.
    group_key: str
    group_labels: Mapping[str, str]
    #: `firing` while any alert of the group fires; `resolved` once all have resolved.
    status: NotificationStatus
    alerts: tuple[Alert, ...]
    #: `OBSERVABILITY_PUBLIC_URL`: where the alerts page lives.
    external_url: str
    #: Alerts of the group the receiver already heard about and that stopped meanwhile.
    truncated_alerts: int = 0


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """How one delivery went; a retryable failure is kept and retried next evaluation."""

    ok: bool
    retryable: bool = False
    #: For the log and the UI: never a URL, a routing key or a token.
    detail: str = ""


class Notifier(Protocol):
    """A channel: Slack, PagerDuty, SNS, a webhook, or memory (tests)."""

    name: str

    def deliver(self, notification: Notification) -> DeliveryResult:
        """Send one notification; never raises for a delivery failure, reports it."""
        ...
