"""The `receivers:` entries of alerts.yaml, parsed into typed specs.

One receiver, one channel (`{name: oncall, slack: {webhook_url_env: SLACK_URL}}`), so a
retried delivery never re-sends to a channel that already had it. Secrets are named by
where they live (`<field>_env`, `<field>_secret_arn` with an optional `<field>_secret_key`
for a JSON secret), never written in the file: a literal `webhook_url` is refused. Errors
name the receiver and the key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from observability.alerting.channels.secrets import SecretRef
from observability.alerting.reading import Section
from observability.core.errors import ObservabilityError

#: PagerDuty Events API v2's endpoint (the US service region; EU accounts set `url`).
PAGERDUTY_EVENTS_URL: Final = "https://events.pagerduty.com/v2/enqueue"


class ReceiverError(ObservabilityError):
    """A receiver entry that cannot be used; the message names the receiver and the key."""


@dataclass(frozen=True, slots=True)
class SlackSpec:
    """A Slack incoming webhook; the webhook URL is the credential."""

    name: str
    webhook_url: SecretRef
    send_resolved: bool = True


@dataclass(frozen=True, slots=True)
class PagerDutySpec:
    """A PagerDuty service integration (Events API v2) identified by its routing key."""

    name: str
    routing_key: SecretRef
    url: str = PAGERDUTY_EVENTS_URL
    #: `payload.source` when an alert names no service or model.
    source: str = "observability"
    send_resolved: bool = True


@dataclass(frozen=True, slots=True)
class SnsSpec:
    """An SNS topic, published to with the process's boto3 client."""

    name: str
    topic_arn: str
    send_resolved: bool = True


@dataclass(frozen=True, slots=True)
class WebhookSpec:
    """Any HTTP endpoint that takes Alertmanager's webhook payload (version 4)."""

    name: str
    url: SecretRef
    #: Alertmanager's `max_alerts`: at most this many alerts per payload (0: all).
    max_alerts: int = 0
    send_resolved: bool = True


@dataclass(frozen=True, slots=True)
class MemorySpec:
    """The in-process channel for tests and dry runs."""

    name: str
    send_resolved: bool = True


ReceiverSpec = SlackSpec | PagerDutySpec | SnsSpec | WebhookSpec | MemorySpec


class _Options(Section):
    """One channel's options, read like every section of alerts.yaml (`alerting.reading`),
    plus secrets, which are named and never written."""

    error_class = ReceiverError

    def __init__(self, receiver: str, channel: str, raw: object) -> None:
        super().__init__(f"receiver {receiver!r}: {channel}", raw)

    def error(self, key: str, problem: str) -> ObservabilityError:
        """`receiver 'x': slack.webhook_url_env: problem`."""
        return ReceiverError(f"{self.where}.{key}: {problem}")

    def secret(self, field: str) -> SecretRef:
        """`<field>_env` or `<field>_secret_arn` (+ `<field>_secret_key`); never the value."""
        if self.get(field) is not None:
            raise self.error(
                field,
                f"a secret is never written in alerts.yaml; name it with {field}_env "
                f"or {field}_secret_arn",
            )
        env = self.text(f"{field}_env")
        arn = self.text(f"{field}_secret_arn")
        key = self.text(f"{field}_secret_key")
        if (env is None) == (arn is None):
            raise self.error(f"{field}_env", f"give exactly one of {field}_env, {field}_secret_arn")
        if arn is not None and not (arn.startswith("arn:") and ":secretsmanager:" in arn):
            raise self.error(f"{field}_secret_arn", "expected a Secrets Manager secret ARN")
        if key is not None and arn is None:
            raise self.error(f"{field}_secret_key", f"only applies with {field}_secret_arn")
        return SecretRef(env=env, secret_arn=arn, json_key=key)


def _slack(name: str, options: _Options) -> ReceiverSpec:
    return SlackSpec(
        name=name,
        webhook_url=options.secret("webhook_url"),
        send_resolved=options.flag("send_resolved", True),
    )


def _pagerduty(name: str, options: _Options) -> ReceiverSpec:
    url = options.text("url", PAGERDUTY_EVENTS_URL) or PAGERDUTY_EVENTS_URL
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise options.error("url", "expected an http(s) URL")
    return PagerDutySpec(
        name=name,
        routing_key=options.secret("routing_key"),
        url=url,
        source=options.text("source", "observability") or "observability",
        send_resolved=options.flag("send_resolved", True),
    )


def _sns(name: str, options: _Options) -> ReceiverSpec:
    topic_arn = options.required_text("topic_arn")
    if not (topic_arn.startswith("arn:") and ":sns:" in topic_arn):
        raise options.error("topic_arn", "expected an SNS topic ARN")
    return SnsSpec(
        name=name, topic_arn=topic_arn, send_resolved=options.flag("send_resolved", True)
    )


def _webhook(name: str, options: _Options) -> ReceiverSpec:
    return WebhookSpec(
        name=name,
        url=options.secret("url"),
        max_alerts=options.count("max_alerts", 0),
        send_resolved=options.flag("send_resolved", True),
    )


def _memory(name: str, options: _Options) -> ReceiverSpec:
    return MemorySpec(name=name, send_resolved=options.flag("send_resolved", True))


#: Channel key in alerts.yaml -> its parser (a registry, not a dispatch by string).
_PARSERS: Final[dict[str, Callable[[str, _Options], ReceiverSpec]]] = {
    "slack": _slack,
    "pagerduty": _pagerduty,
    "sns": _sns,
    "webhook": _webhook,
    "memory": _memory,
}
CHANNELS: Final = tuple(_PARSERS)


def parse_receiver(name: str, mapping: Mapping[str, object]) -> ReceiverSpec:
    """One `receivers:` entry (its `name` key, if present, is ignored) as a typed spec."""
    if not isinstance(name, str) or not name.strip():
        raise ReceiverError("receiver: name: expected a non-empty string")
    if not isinstance(mapping, Mapping):
        raise ReceiverError(f"receiver {name!r}: expected a mapping")
    channels = [str(key) for key in mapping if key != "name"]
    unknown = [key for key in channels if key not in _PARSERS]
    if unknown:
        raise ReceiverError(
            f"receiver {name!r}: {unknown[0]}: unknown channel (one of {', '.join(CHANNELS)})"
        )
    if len(channels) != 1:
        raise ReceiverError(
            f"receiver {name!r}: expected exactly one channel ({', '.join(CHANNELS)}), "
            f"got {len(channels)}"
        )
    channel = channels[0]
    options = _Options(name, channel, mapping[channel])
    spec = _PARSERS[channel](name, options)
    options.finish()
    return spec
