"""The in-memory channel: keeps notifications, fails like a receiver that is down."""

from __future__ import annotations

from observability.alerting.channels import MemoryNotifier, build_notifier, parse_receiver
from observability.alerting.model import AlertState
from observability.core.aws import AwsClients
from tests.alerting.channels.conftest import drift_alert, error_rate_alert, notification


def test_keeps_what_it_receives(no_aws: AwsClients) -> None:
    """build_notifier gives a MemoryNotifier that records deliveries in order."""
    notifier = build_notifier(parse_receiver("mem", {"memory": {}}), aws=no_aws)
    assert isinstance(notifier, MemoryNotifier)
    first, second = notification(drift_alert()), notification(error_rate_alert())
    assert notifier.deliver(first).ok and notifier.deliver(second).ok
    assert notifier.delivered == (first, second)


def test_down_receiver_fails_retryably_then_recovers() -> None:
    """While down, deliveries fail retryably and keep nothing; once up, they are kept."""
    notifier = MemoryNotifier("mem")
    notifier.set_down(True)
    result = notifier.deliver(notification(drift_alert()))
    assert (result.ok, result.retryable) == (False, True)
    assert notifier.delivered == ()
    notifier.set_down(False)
    assert notifier.deliver(notification(drift_alert())).ok
    assert len(notifier.delivered) == 1
    assert notifier.attempts == 2


def test_send_resolved_false_drops_resolved_alerts() -> None:
    """Without send_resolved a resolved-only group is not kept and a mixed one keeps firing only."""
    notifier = MemoryNotifier("mem", send_resolved=False)
    assert notifier.deliver(notification(drift_alert(AlertState.RESOLVED))).ok
    assert not notifier.delivered
    mixed = notification(drift_alert(), error_rate_alert(AlertState.RESOLVED))
    assert notifier.deliver(mixed).ok
    kept = notifier.delivered[-1]
    assert len(notifier.delivered) == 1
    assert [a.rule for a in kept.alerts] == ["ModelDrift"]
    assert kept.status == "firing"
