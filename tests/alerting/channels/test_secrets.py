"""Secrets from the environment and from Secrets Manager (moto), kept out of logs and results."""

from __future__ import annotations

import logging

import pytest

from observability.alerting.channels import build_notifier, parse_receiver
from observability.alerting.channels.secrets import (
    Secret,
    SecretReader,
    SecretRef,
    SecretUnavailable,
    sensitive_parts,
)
from observability.core.aws import AwsClients
from observability.transport.retry import RetryPolicy
from tests.alerting.channels.conftest import drift_alert, notification
from tests.alerting.channels.receiver import http_receiver


def _reader(environ: dict[str, str], aws: AwsClients) -> SecretReader:
    return SecretReader(environ, lambda: aws.client("secretsmanager"))


def test_environment_value_is_read_and_hidden(no_aws: AwsClients) -> None:
    """A value from the environment is stripped, and its repr shows no part of it."""
    secret = _reader({"KEY": "  s3cr3t-value \n"}, no_aws).read(SecretRef(env="KEY"))
    assert secret.reveal() == "s3cr3t-value"
    assert "s3cr3t" not in repr(secret) and "s3cr3t" not in str(secret)


def test_unset_or_blank_variable_is_unavailable(no_aws: AwsClients) -> None:
    """A missing or blank variable raises SecretUnavailable naming it, not retryable."""
    for environ in ({}, {"KEY": "  "}):
        with pytest.raises(SecretUnavailable, match=r"^environment variable KEY is not set$") as e:
            _reader(environ, no_aws).read(SecretRef(env="KEY"))
        assert e.value.retryable is False


def test_url_parts_are_sensitive() -> None:
    """A URL secret's path, last segment, password and long query values are redacted too."""
    secret = Secret("https://u:pa55word9@hooks.invalid/services/T1/B2/abcdefghij?token=qwertyuiop")
    text = "/services/T1/B2/abcdefghij?token=qwertyuiop | abcdefghij | pa55word9 | qwertyuiop"
    assert secret.redact(text) == "[redacted] | [redacted] | [redacted] | [redacted]"
    assert "hooks.invalid" in secret.redact("host hooks.invalid")
    assert sensitive_parts("plain-routing-key") == ("plain-routing-key",)


@pytest.mark.aws
def test_secrets_manager_string_and_json_key(
    aws: AwsClients, caplog: pytest.LogCaptureFixture
) -> None:
    """A plain secret and a JSON secret's key are read; botocore's debug logs do not show them."""
    client = aws.client("secretsmanager")
    plain = client.create_secret(Name="pd", SecretString="PLAINVALUE-0001")["ARN"]
    nested = client.create_secret(
        Name="hooks", SecretString='{"slack": "JSONVALUE-0002", "other": 1}'
    )["ARN"]
    caplog.set_level(logging.DEBUG)
    reader = _reader({}, aws)
    assert reader.read(SecretRef(secret_arn=plain)).reveal() == "PLAINVALUE-0001"
    assert reader.read(SecretRef(secret_arn=nested, json_key="slack")).reveal() == "JSONVALUE-0002"
    assert any(r.name.startswith("botocore") for r in caplog.records)
    assert "PLAINVALUE-0001" not in caplog.text
    assert "JSONVALUE-0002" not in caplog.text


@pytest.mark.aws
def test_secrets_manager_failures_name_the_secret(aws: AwsClients) -> None:
    """A missing secret or key fails without a value in the message, permanently."""
    client = aws.client("secretsmanager")
    arn = client.create_secret(Name="hooks", SecretString='{"slack": "JSONVALUE-0003"}')["ARN"]
    reader = _reader({}, aws)
    missing = arn.replace(":secret:hooks", ":secret:nothere")
    with pytest.raises(SecretUnavailable, match="ResourceNotFoundException") as error:
        reader.read(SecretRef(secret_arn=missing))
    assert error.value.retryable is False
    with pytest.raises(SecretUnavailable, match="no string at key pagerduty") as error:
        reader.read(SecretRef(secret_arn=arn, json_key="pagerduty"))
    assert "JSONVALUE-0003" not in str(error.value)


@pytest.mark.aws
def test_webhook_url_from_secrets_manager(
    aws: AwsClients, fast_retry: RetryPolicy, caplog: pytest.LogCaptureFixture
) -> None:
    """A webhook whose URL lives in Secrets Manager delivers, and the URL is logged nowhere."""
    caplog.set_level(logging.DEBUG)
    with http_receiver("/hook/0123456789abcdef") as receiver:
        arn = aws.client("secretsmanager").create_secret(Name="hook", SecretString=receiver.url)[
            "ARN"
        ]
        spec = parse_receiver("hook", {"webhook": {"url_secret_arn": arn}})
        result = build_notifier(spec, aws=aws, environ={}, retry=fast_retry).deliver(
            notification(drift_alert())
        )
    assert result.ok
    assert len(receiver.requests) == 1
    assert "0123456789abcdef" not in caplog.text
    assert "0123456789abcdef" not in result.detail
