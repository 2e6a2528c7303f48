"""What every channel says the same way: an alert's status, a group's title, a value.

Alertmanager's two statuses (`firing`, `resolved`) are what receivers understand; our
`nodata` and `error` states are problems a person must look at, so they notify as firing.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Final

from observability.alerting.model import Alert, AlertState, Notification, NotificationStatus

#: States that tell a receiver the problem is over.
_RESOLVED_STATES: Final = frozenset({AlertState.RESOLVED, AlertState.INACTIVE})
#: Attached to every request a channel makes.
USER_AGENT: Final = "observability-alerting"


def alert_status(alert: Alert) -> NotificationStatus:
    """`resolved` once the alert is over, else `firing` (nodata and error included)."""
    return "resolved" if alert.state in _RESOLVED_STATES else "firing"


def without_resolved(notification: Notification, send_resolved: bool) -> Notification | None:
    """The notification a receiver gets: resolved alerts dropped when it does not want them
    (Alertmanager's `send_resolved: false`); None when nothing is left to send."""
    if send_resolved:
        return notification
    firing = tuple(alert for alert in notification.alerts if alert_status(alert) == "firing")
    if not firing:
        return None
    return replace(notification, alerts=firing, status="firing")


def format_number(value: float | None) -> str:
    """A value as a person reads it: four significant digits, `n/a` when absent."""
    if value is None:
        return "n/a"
    if math.isnan(value):
        return "NaN"
    return f"{value:.4g}"


def value_against_threshold(alert: Alert) -> str:
    """`0.42 (threshold 0.3)`, or the value alone when the rule has no threshold."""
    if alert.threshold is None:
        return format_number(alert.value)
    return f"{format_number(alert.value)} (threshold {format_number(alert.threshold)})"


def title(notification: Notification) -> str:
    """Alertmanager's default title: `[FIRING:2] DriftDetected (model=churn)`."""
    counted = [a for a in notification.alerts if alert_status(a) == notification.status]
    names = sorted({alert.name for alert in notification.alerts})
    name = names[0] if len(names) == 1 else f"{len(names)} rules"
    labels = " ".join(
        f"{key}={value}"
        for key, value in sorted(notification.group_labels.items())
        if key != "alertname"
    )
    head = f"[{notification.status.upper()}:{len(counted)}] {name}"
    return f"{head} ({labels})" if labels else head


def most_severe(notification: Notification) -> str:
    """The highest severity among the notification's alerts (`critical` > `warning` > `info`)."""
    order = {"info": 0, "warning": 1, "critical": 2}
    severities = [alert.severity.value for alert in notification.alerts]
    return max(severities, key=lambda s: order.get(s, 1), default="warning")
