"""Alert channels behind one protocol: Slack, PagerDuty, SNS, a generic webhook, memory.

`parse_receiver` turns one `receivers:` entry of alerts.yaml into a typed spec (errors name
the receiver and the key); `build_notifier` makes its `Notifier` with the process's AWS
clients and HTTP client. Every channel delivers under the one retry policy with a short
deadline, reports failures as a `DeliveryResult` (retryable for 429, 5xx and connection
errors) and keeps its secret out of results, exceptions and logs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Final

import httpx

from observability.alerting.channels.delivery import DELIVERY_RETRY, REQUEST_TIMEOUT
from observability.alerting.channels.memory import MemoryNotifier
from observability.alerting.channels.pagerduty import PagerDutyNotifier
from observability.alerting.channels.secrets import SecretReader
from observability.alerting.channels.slack import SlackNotifier
from observability.alerting.channels.sns import SnsNotifier
from observability.alerting.channels.spec import (
    CHANNELS,
    MemorySpec,
    PagerDutySpec,
    ReceiverError,
    ReceiverSpec,
    SlackSpec,
    SnsSpec,
    WebhookSpec,
    parse_receiver,
)
from observability.alerting.channels.webhook import WebhookNotifier
from observability.alerting.model import Notifier
from observability.core.aws import AwsClients
from observability.transport.retry import RetryPolicy

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sns import SNSClient

__all__ = [
    "CHANNELS",
    "MemoryNotifier",
    "MemorySpec",
    "PagerDutySpec",
    "ReceiverError",
    "ReceiverSpec",
    "SlackSpec",
    "SnsSpec",
    "WebhookSpec",
    "build_notifier",
    "parse_receiver",
]


class _Parts:
    """What a channel is built from: clients made lazily (a Slack-only setup calls no AWS)."""

    def __init__(
        self,
        aws: AwsClients,
        http: httpx.Client | None,
        environ: Mapping[str, str],
        retry: RetryPolicy,
    ) -> None:
        self.aws = aws
        self._http = http
        self.retry = retry
        self.secrets = SecretReader(environ, self.secretsmanager)

    def http(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(timeout=REQUEST_TIMEOUT, follow_redirects=False)
        return self._http

    def secretsmanager(self) -> SecretsManagerClient:
        client: SecretsManagerClient = self.aws.client("secretsmanager")
        return client

    def sns(self) -> SNSClient:
        client: SNSClient = self.aws.client("sns")
        return client


def _slack(spec: ReceiverSpec, parts: _Parts) -> Notifier:
    assert isinstance(spec, SlackSpec)
    return SlackNotifier(spec, http=parts.http(), secrets=parts.secrets, policy=parts.retry)


def _pagerduty(spec: ReceiverSpec, parts: _Parts) -> Notifier:
    assert isinstance(spec, PagerDutySpec)
    return PagerDutyNotifier(spec, http=parts.http(), secrets=parts.secrets, policy=parts.retry)


def _sns(spec: ReceiverSpec, parts: _Parts) -> Notifier:
    assert isinstance(spec, SnsSpec)
    return SnsNotifier(spec, client=parts.sns, policy=parts.retry)


def _webhook(spec: ReceiverSpec, parts: _Parts) -> Notifier:
    assert isinstance(spec, WebhookSpec)
    return WebhookNotifier(spec, http=parts.http(), secrets=parts.secrets, policy=parts.retry)


def _memory(spec: ReceiverSpec, parts: _Parts) -> Notifier:
    del parts
    return MemoryNotifier(spec.name, send_resolved=spec.send_resolved)


#: Spec type -> builder (a registry, not a dispatch by string).
_BUILDERS: Final[dict[type, Callable[[ReceiverSpec, _Parts], Notifier]]] = {
    SlackSpec: _slack,
    PagerDutySpec: _pagerduty,
    SnsSpec: _sns,
    WebhookSpec: _webhook,
    MemorySpec: _memory,
}


def build_notifier(
    spec: ReceiverSpec,
    *,
    aws: AwsClients,
    http: httpx.Client | None = None,
    environ: Mapping[str, str] | None = None,
    retry: RetryPolicy | None = None,
) -> Notifier:
    """The notifier for a receiver. Secrets are read at delivery time (from `environ`,
    the process environment by default, or Secrets Manager) and cached a few minutes."""
    parts = _Parts(
        aws,
        http,
        os.environ if environ is None else environ,
        DELIVERY_RETRY if retry is None else retry,
    )
    return _BUILDERS[type(spec)](spec, parts)
