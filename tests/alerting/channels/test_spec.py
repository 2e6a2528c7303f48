"""parse_receiver: typed specs from alerts.yaml entries, errors naming receiver and key."""

from __future__ import annotations

import pytest

from observability.alerting.channels import (
    MemorySpec,
    PagerDutySpec,
    ReceiverError,
    SlackSpec,
    SnsSpec,
    WebhookSpec,
    parse_receiver,
)
from observability.alerting.channels.secrets import SecretRef
from observability.alerting.channels.spec import PAGERDUTY_EVENTS_URL

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:hooks-AbCdEf"


def test_every_channel_parses() -> None:
    """Each channel's documented keys give its spec, with defaults filled in."""
    assert parse_receiver(
        "oncall", {"name": "oncall", "slack": {"webhook_url_env": "SLACK_URL"}}
    ) == SlackSpec("oncall", SecretRef(env="SLACK_URL"))
    assert parse_receiver(
        "pd", {"pagerduty": {"routing_key_secret_arn": ARN, "routing_key_secret_key": "pd"}}
    ) == PagerDutySpec("pd", SecretRef(secret_arn=ARN, json_key="pd"), PAGERDUTY_EVENTS_URL)
    assert parse_receiver(
        "t", {"sns": {"topic_arn": "arn:aws:sns:eu-west-1:123456789012:alerts"}}
    ) == SnsSpec("t", "arn:aws:sns:eu-west-1:123456789012:alerts")
    assert parse_receiver(
        "w", {"webhook": {"url_env": "HOOK", "max_alerts": 5, "send_resolved": False}}
    ) == WebhookSpec("w", SecretRef(env="HOOK"), max_alerts=5, send_resolved=False)
    assert parse_receiver("m", {"memory": None}) == MemorySpec("m")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            {"slack": {"webhook_url": "https://hooks.invalid/x"}},
            "receiver 'r': slack.webhook_url: a secret is never written in alerts.yaml",
        ),
        ({"slack": {}}, "receiver 'r': slack.webhook_url_env: give exactly one of"),
        (
            {"slack": {"webhook_url_env": "A", "webhook_url_secret_arn": ARN}},
            "receiver 'r': slack.webhook_url_env: give exactly one of",
        ),
        (
            {"pagerduty": {"routing_key_secret_arn": "arn:aws:s3:::bucket"}},
            "receiver 'r': pagerduty.routing_key_secret_arn: expected a Secrets Manager secret ARN",
        ),
        (
            {"pagerduty": {"routing_key_env": "K", "routing_key_secret_key": "x"}},
            "receiver 'r': pagerduty.routing_key_secret_key: only applies with",
        ),
        (
            {"pagerduty": {"routing_key_env": "K", "url": "ftp://x"}},
            "receiver 'r': pagerduty.url: expected an http(s) URL",
        ),
        ({"sns": {}}, "receiver 'r': sns.topic_arn: is required"),
        (
            {"sns": {"topic_arn": "alerts"}},
            "receiver 'r': sns.topic_arn: expected an SNS topic ARN",
        ),
        (
            {"webhook": {"url_env": "H", "max_alerts": "5"}},
            "receiver 'r': webhook.max_alerts: expected a whole number",
        ),
        (
            {"webhook": {"url_env": "H", "send_resolved": "no"}},
            "receiver 'r': webhook.send_resolved: expected true or false",
        ),
        (
            {"webhook": {"url_env": "H", "tiemout": 3}},
            "receiver 'r': webhook.tiemout: unknown key (known here: ",
        ),
        ({"webhook": ["url_env"]}, "receiver 'r': webhook: expected a mapping"),
        ({"teams": {}}, "receiver 'r': teams: unknown channel (one of slack, pagerduty"),
        ({}, "receiver 'r': expected exactly one channel"),
        (
            {"slack": {"webhook_url_env": "A"}, "memory": {}},
            "receiver 'r': expected exactly one channel (slack, pagerduty, sns, webhook, memory), "
            "got 2",
        ),
    ],
)
def test_errors_name_receiver_and_key(entry: dict[str, object], message: str) -> None:
    """Each mistake raises ReceiverError whose message names the receiver and the key."""
    with pytest.raises(ReceiverError) as error:
        parse_receiver("r", entry)
    assert str(error.value).startswith(message)


def test_not_a_mapping_or_no_name() -> None:
    """A receiver that is not a mapping, or has no name, is refused clearly."""
    with pytest.raises(ReceiverError, match=r"^receiver 'r': expected a mapping$"):
        parse_receiver("r", ["slack"])  # type: ignore[arg-type]
    with pytest.raises(ReceiverError, match=r"^receiver: name: expected a non-empty string$"):
        parse_receiver(" ", {"memory": {}})
