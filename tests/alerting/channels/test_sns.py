"""SNS through the moto server: the published message read back from a subscribed SQS queue."""

from __future__ import annotations

import orjson
import pytest

from observability.alerting.channels import build_notifier, parse_receiver
from observability.alerting.channels.sns import MESSAGE_BYTES, SUBJECT_CHARS, sns_message, subject
from observability.alerting.model import Alert, AlertState
from observability.core.aws import AwsClients
from observability.transport.retry import RetryPolicy
from tests.alerting.channels.conftest import drift_alert, error_rate_alert, notification

pytestmark = pytest.mark.aws


def _topic_with_queue(aws: AwsClients) -> tuple[str, str]:
    """A topic and the URL of an SQS queue subscribed to it."""
    sns, sqs = aws.client("sns"), aws.client("sqs")
    topic_arn = sns.create_topic(Name="alerts")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="alerts-copy")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return topic_arn, queue_url


def test_publish_subject_message_and_attributes(aws: AwsClients, fast_retry: RetryPolicy) -> None:
    """The queue receives our subject, the JSON payload and status/severity attributes."""
    topic_arn, queue_url = _topic_with_queue(aws)
    notifier = build_notifier(
        parse_receiver("topic", {"sns": {"topic_arn": topic_arn}}), aws=aws, retry=fast_retry
    )
    result = notifier.deliver(notification(drift_alert(), error_rate_alert()))
    assert result.ok
    assert result.detail.startswith("message ")
    messages = aws.client("sqs").receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)["Messages"]
    envelope = orjson.loads(messages[0]["Body"])
    assert envelope["Type"] == "Notification"
    assert envelope["TopicArn"] == topic_arn
    assert envelope["Subject"] == "[FIRING:2] 2 rules (team=ml)"
    assert envelope["MessageAttributes"]["status"] == {"Type": "String", "Value": "firing"}
    assert envelope["MessageAttributes"]["severity"] == {"Type": "String", "Value": "critical"}
    message = orjson.loads(envelope["Message"])
    assert message["version"] == "4"
    assert message["receiver"] == "oncall"
    assert [a["labels"]["alertname"] for a in message["alerts"]] == ["ModelDrift", "ErrorRate"]
    assert message["alerts"][0]["observability"]["context"]["accuracy"] == 0.87


def test_missing_topic_is_a_permanent_failure(aws: AwsClients, fast_retry: RetryPolicy) -> None:
    """Publishing to a topic that does not exist fails once, not retryably, with AWS's code."""
    spec = parse_receiver("t", {"sns": {"topic_arn": "arn:aws:sns:us-east-1:123456789012:none"}})
    result = build_notifier(spec, aws=aws, retry=fast_retry).deliver(notification(drift_alert()))
    assert (result.ok, result.retryable) == (False, False)
    assert result.detail == "NotFound (after 1 attempt)"


def test_subject_follows_sns_rules() -> None:
    """Non-ASCII, control characters and length are made to fit SNS's subject rules."""
    base = drift_alert()
    alert = Alert(
        rule=base.rule,
        labels={**base.labels, "alertname": "Dérive\nmodèle " + "x" * 200},
        annotations={},
        state=AlertState.FIRING,
        value=1.0,
        threshold=None,
        starts_at=base.starts_at,
    )
    text = subject(notification(alert))
    assert len(text) <= SUBJECT_CHARS
    assert text.isascii()
    assert all(ch.isprintable() for ch in text)
    assert text.startswith("[FIRING:1] D?rive mod?le xxx")


def test_message_fits_sns_limit() -> None:
    """A group too large for one SNS message drops trailing alerts and counts them."""
    alerts = [
        Alert(
            rule="Big",
            labels={"alertname": "Big", "n": str(i)},
            annotations={"description": "y" * 10_000},
            state=AlertState.FIRING,
            value=1.0,
            threshold=None,
            starts_at=drift_alert().starts_at,
        )
        for i in range(100)
    ]
    message = sns_message(notification(*alerts))
    assert len(message.encode()) <= MESSAGE_BYTES
    document = orjson.loads(message)
    assert 0 < len(document["alerts"]) < 100
    assert document["truncatedAlerts"] == 100 - len(document["alerts"])
