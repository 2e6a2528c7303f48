"""The generic webhook sends Alertmanager's version 4 payload, checked field by field."""

from __future__ import annotations

from observability.alerting.channels import build_notifier, parse_receiver
from observability.alerting.channels.webhook import quote_meta
from observability.alerting.model import AlertState, Notifier
from observability.core.aws import AwsClients
from observability.transport.retry import RetryPolicy
from tests.alerting.channels.conftest import drift_alert, error_rate_alert, notification
from tests.alerting.channels.receiver import Receiver, http_receiver


def _notifier(
    receiver: Receiver, aws: AwsClients, retry: RetryPolicy, **options: object
) -> Notifier:
    spec = parse_receiver("team-a (ml)", {"webhook": {"url_env": "HOOK_URL", **options}})
    return build_notifier(spec, aws=aws, environ={"HOOK_URL": receiver.url}, retry=retry)


def test_payload_matches_alertmanager_version_4(
    no_aws: AwsClients, fast_retry: RetryPolicy
) -> None:
    """Every documented field is present with Alertmanager's names, types and values."""
    firing, resolved = drift_alert(), error_rate_alert(AlertState.RESOLVED)
    with http_receiver() as receiver:
        result = _notifier(receiver, no_aws, fast_retry).deliver(
            notification(firing, resolved, receiver="team-a (ml)")
        )
    assert result.ok
    [request] = receiver.requests
    assert request.headers["Content-Type"] == "application/json"
    body = request.json()
    assert set(body) == {
        "version",
        "groupKey",
        "truncatedAlerts",
        "status",
        "receiver",
        "groupLabels",
        "commonLabels",
        "commonAnnotations",
        "externalURL",
        "alerts",
    }
    assert body["version"] == "4"
    assert body["groupKey"] == '{}:{team="ml"}'
    assert body["truncatedAlerts"] == 0
    assert body["status"] == "firing"
    assert body["receiver"] == r"team-a \(ml\)"  # Go's regexp.QuoteMeta, as Alertmanager sends
    assert body["groupLabels"] == {"team": "ml"}
    assert body["commonLabels"] == {"team": "ml"}
    assert body["commonAnnotations"] == {}
    assert body["externalURL"] == "http://127.0.0.1:8000/alerts"
    first, second = body["alerts"]
    standard = {
        "status",
        "labels",
        "annotations",
        "startsAt",
        "endsAt",
        "generatorURL",
        "fingerprint",
    }
    assert set(first) == standard | {"observability"}
    assert first["status"] == "firing"
    assert first["labels"] == dict(firing.labels)
    assert first["annotations"] == dict(firing.annotations)
    assert first["startsAt"] == "2026-11-20T10:00:00.000000Z"
    assert first["endsAt"] == "0001-01-01T00:00:00Z"
    assert first["generatorURL"] == firing.generator_url
    assert first["fingerprint"] == firing.fingerprint
    assert first["observability"]["value"] == 0.4
    assert first["observability"]["context"]["drifted_features"][1]["feature"] == "income"
    assert first["observability"]["links"]["report"] == "http://127.0.0.1:8000/reports/r-1"
    assert second["status"] == "resolved"
    assert second["endsAt"] == "2026-11-20T11:30:00.000000Z"
    assert second["generatorURL"] == ""


def test_max_alerts_truncates_and_counts(no_aws: AwsClients, fast_retry: RetryPolicy) -> None:
    """With max_alerts the payload keeps the first alerts and counts the rest in truncatedAlerts."""
    alerts = [drift_alert(model=f"m{i}") for i in range(5)]
    with http_receiver() as receiver:
        assert (
            _notifier(receiver, no_aws, fast_retry, max_alerts=2).deliver(notification(*alerts)).ok
        )
    body = receiver.requests[0].json()
    assert body["truncatedAlerts"] == 3
    assert [a["labels"]["model"] for a in body["alerts"]] == ["m0", "m1"]
    assert body["commonAnnotations"] == {
        "description": "share of drifted features above 0.3",
        "runbook_url": "https://runbooks.invalid/drift",
    }


def test_server_error_is_retried_then_delivered(
    no_aws: AwsClients, fast_retry: RetryPolicy
) -> None:
    """Two 500s then a 200: one delivery, three identical requests."""
    with http_receiver() as receiver:
        receiver.script = [(500, b"oops"), (502, b"")]
        result = _notifier(receiver, no_aws, fast_retry).deliver(notification(drift_alert()))
    assert result.ok
    assert len(receiver.requests) == 3
    assert len({request.body for request in receiver.requests}) == 1


def test_quote_meta_matches_go() -> None:
    """The receiver name is escaped exactly as Go's regexp.QuoteMeta escapes it."""
    assert quote_meta(r"a.b+c*d?e(f)g|h[i]j{k}l^m$n\o-p_q") == (
        r"a\.b\+c\*d\?e\(f\)g\|h\[i\]j\{k\}l\^m\$n\\o-p_q"
    )


def test_non_http_url_is_a_permanent_failure(no_aws: AwsClients, fast_retry: RetryPolicy) -> None:
    """A URL that is not http(s) fails once, not retryably, without echoing the URL."""
    spec = parse_receiver("w", {"webhook": {"url_env": "HOOK_URL"}})
    notifier = build_notifier(
        spec, aws=no_aws, environ={"HOOK_URL": "ftp://user:pw@host/x"}, retry=fast_retry
    )
    result = notifier.deliver(notification(drift_alert()))
    assert (result.ok, result.retryable) == (False, False)
    assert result.detail == "UnsupportedProtocol (after 1 attempt)"
