"""Slack incoming webhook: the Block Kit message a real HTTP receiver gets, and failures."""

from __future__ import annotations

import logging

import pytest

from observability.alerting.channels import build_notifier, parse_receiver
from observability.alerting.channels.slack import (
    BUTTON_TEXT_CHARS,
    HEADER_CHARS,
    MAX_BLOCKS,
    MAX_FIELDS,
    slack_message,
)
from observability.alerting.model import Alert, AlertState, Notifier
from observability.core.aws import AwsClients
from observability.transport.retry import RetryPolicy
from tests.alerting.channels.conftest import drift_alert, error_rate_alert, notification
from tests.alerting.channels.receiver import http_receiver


def _notifier(url_env: dict[str, str], aws: AwsClients, retry: RetryPolicy) -> Notifier:
    spec = parse_receiver("oncall", {"name": "oncall", "slack": {"webhook_url_env": "SLACK_URL"}})
    return build_notifier(spec, aws=aws, environ=url_env, retry=retry)


def test_message_follows_block_kit(no_aws: AwsClients, fast_retry: RetryPolicy) -> None:
    """A drift alert arrives as a Block Kit message: header, fields, evidence, link buttons."""
    with http_receiver("/services/T000/B000/XXXX") as receiver:
        notifier = _notifier({"SLACK_URL": receiver.url}, no_aws, fast_retry)
        result = notifier.deliver(notification(drift_alert()))
    assert result.ok
    [request] = receiver.requests
    assert request.path == "/services/T000/B000/XXXX"
    assert request.headers["Content-Type"] == "application/json"
    message = request.json()
    assert message["text"] == "[FIRING:1] ModelDrift (team=ml)"
    blocks = message["blocks"]
    assert isinstance(blocks, list)
    assert [b["type"] for b in blocks] == ["header", "section", "section", "actions", "divider"]
    assert blocks[0]["text"] == {"type": "plain_text", "text": "[FIRING:1] ModelDrift (team=ml)"}
    summary = blocks[1]
    assert summary["text"]["type"] == "mrkdwn"
    assert "*ModelDrift*" in summary["text"]["text"]
    assert "churn: 2 of 5 features drifted" in summary["text"]["text"]
    fields = {f["text"].split("\n")[0]: f["text"].split("\n")[1] for f in summary["fields"]}
    assert fields["*Severity*"] == "critical"
    assert fields["*State*"] == "firing"
    assert fields["*Value*"] == "0.4 (threshold 0.3)"
    assert fields["*Since*"] == "2026-11-20T10:00:00.000000Z"
    assert fields["*Labels*"] == "model=churn, team=ml"
    evidence = blocks[2]["text"]["text"]
    assert "*Drifted features*" in evidence
    assert "`age` score 0.31 (threshold 0.1), rows 1000 reference / 980 current" in evidence
    assert "`income` score 0.27" in evidence
    assert "*Accuracy*: 0.87" in evidence
    assert "*Callers' error rate*: checkout 0.021" in evidence
    buttons = blocks[3]["elements"]
    assert [(b["type"], b["text"]["text"], b["url"]) for b in buttons] == [
        ("button", "open", drift_alert().generator_url),
        ("button", "report", "http://127.0.0.1:8000/reports/r-1"),
        ("button", "logs", "http://127.0.0.1:8000/logs?q=model%3Achurn"),
        ("button", "runbook", "https://runbooks.invalid/drift"),
    ]
    assert len({b["action_id"] for b in buttons}) == len(buttons)
    assert all(b["text"]["type"] == "plain_text" for b in buttons)


def test_limits_hold_for_a_large_group() -> None:
    """Fifty alerts with long texts stay within Block Kit's limits and the rest is counted."""
    long = "x" * 5000
    alerts = [
        Alert(
            rule=f"Rule{i}",
            labels={"alertname": f"Rule{i}", "severity": "warning", "service": long[:200]},
            annotations={"summary": long},
            state=AlertState.FIRING,
            value=float(i),
            threshold=1.0,
            starts_at=drift_alert().starts_at,
            links={f"link{j}": f"http://127.0.0.1/{j}" for j in range(40)},
            context={"error": long},
        )
        for i in range(50)
    ]
    message = slack_message(notification(*alerts))
    blocks = message["blocks"]
    assert isinstance(blocks, list)
    assert len(blocks) <= MAX_BLOCKS
    assert len(blocks[0]["text"]["text"]) <= HEADER_CHARS
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
            assert len(block.get("fields", [])) <= MAX_FIELDS
            assert all(len(f["text"]) <= 2000 for f in block.get("fields", []))
        if block["type"] == "actions":
            assert len(block["elements"]) <= 25
            assert all(len(b["text"]["text"]) <= BUTTON_TEXT_CHARS for b in block["elements"])
    assert blocks[-1]["type"] == "context"
    assert blocks[-1]["elements"][0]["text"].startswith("… and 40 more alerts")


def test_mrkdwn_control_characters_are_escaped() -> None:
    """Label values with `<`, `>` and `&` cannot turn into Slack links or mentions."""
    alert = error_rate_alert()
    hostile = Alert(
        rule=alert.rule,
        labels={**alert.labels, "service": "<!channel> & <http://evil|x>"},
        annotations=alert.annotations,
        state=alert.state,
        value=alert.value,
        threshold=alert.threshold,
        starts_at=alert.starts_at,
    )
    text = str(slack_message(notification(hostile)))
    assert "<!channel>" not in text
    assert "&lt;!channel&gt; &amp; &lt;http://evil|x&gt;" in text


def test_resolved_group_and_send_resolved_false(
    no_aws: AwsClients, fast_retry: RetryPolicy
) -> None:
    """A resolved group is sent as RESOLVED, and not at all when send_resolved is false."""
    resolved = notification(drift_alert(AlertState.RESOLVED))
    with http_receiver() as receiver:
        env = {"SLACK_URL": receiver.url}
        assert _notifier(env, no_aws, fast_retry).deliver(resolved).ok
        quiet = build_notifier(
            parse_receiver(
                "q", {"slack": {"webhook_url_env": "SLACK_URL", "send_resolved": False}}
            ),
            aws=no_aws,
            environ=env,
            retry=fast_retry,
        )
        assert quiet.deliver(resolved).ok
    [request] = receiver.requests
    message = request.json()
    assert message["text"] == "[RESOLVED:1] ModelDrift (team=ml)"
    assert ":large_green_circle:" in message["blocks"][1]["text"]["text"]


@pytest.mark.parametrize(
    ("script", "ok", "retryable", "attempts"),
    [
        ([(503, b"rollup_error"), (200, b"ok")], True, False, 2),
        ([(429, b"rate_limited")] * 3, False, True, 3),
        ([(400, b"invalid_payload")], False, False, 1),
        ([(404, b"channel_not_found")], False, False, 1),
    ],
)
def test_status_classification(
    no_aws: AwsClients,
    fast_retry: RetryPolicy,
    *,
    script: list[tuple[int, bytes]],
    ok: bool,
    retryable: bool,
    attempts: int,
) -> None:
    """5xx and 429 are retried under the policy and end retryable; other 4xx stop at once."""
    with http_receiver() as receiver:
        receiver.script = list(script)
        notifier = _notifier({"SLACK_URL": receiver.url}, no_aws, fast_retry)
        result = notifier.deliver(notification(drift_alert()))
    assert (result.ok, result.retryable, len(receiver.requests)) == (ok, retryable, attempts)
    if not ok:
        assert result.detail.startswith(f"HTTP {script[-1][0]}: {script[-1][1].decode()}")


def test_unreachable_receiver_is_retryable(no_aws: AwsClients, fast_retry: RetryPolicy) -> None:
    """A refused connection is a retryable failure reported without the URL."""
    with http_receiver() as receiver:
        url = receiver.url
    result = _notifier({"SLACK_URL": url}, no_aws, fast_retry).deliver(notification(drift_alert()))
    assert (result.ok, result.retryable) == (False, True)
    assert result.detail == "ConnectError (after 3 attempts)"


def test_webhook_url_never_logged_or_returned(
    no_aws: AwsClients, fast_retry: RetryPolicy, caplog: pytest.LogCaptureFixture
) -> None:
    """The webhook URL (the credential) appears in no log record and no result, even echoed."""
    secret_path = "/services/T0SECRET/B0SECRET/TOKENVALUE123"  # noqa: S105 (a test value)
    with http_receiver(secret_path) as receiver:
        receiver.script = [(400, f"bad request to {secret_path}".encode())]
        caplog.set_level(logging.DEBUG)
        notifier = _notifier({"SLACK_URL": receiver.url}, no_aws, fast_retry)
        failed = notifier.deliver(notification(drift_alert()))
        delivered = notifier.deliver(notification(drift_alert()))
        url = receiver.url
    assert not failed.ok and delivered.ok
    assert any(r.name == "httpx" for r in caplog.records)  # httpx did log each request
    for text in [caplog.text, failed.detail, delivered.detail, repr(notifier)]:
        assert "TOKENVALUE123" not in text
        assert url not in text
    assert "[redacted]" in failed.detail


def test_missing_environment_variable_names_it(no_aws: AwsClients, fast_retry: RetryPolicy) -> None:
    """An unset variable is a permanent failure whose detail names the variable."""
    result = _notifier({}, no_aws, fast_retry).deliver(notification(drift_alert()))
    assert (result.ok, result.retryable) == (False, False)
    assert result.detail == "environment variable SLACK_URL is not set"
