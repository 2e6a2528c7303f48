"""One JSON POST under the project's retry policy, classified the way every channel needs.

2xx is delivered; 429, 5xx and connection errors are retried within a short deadline and
reported retryable when they persist; any other status is a permanent failure. A detail
names the status and a short, redacted piece of the answer, never the URL (for Slack and
most webhooks the URL is the credential) and never an exception's message (httpx puts
URLs in them).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Final, Protocol

import httpx

from observability.alerting.channels.common import USER_AGENT, without_resolved
from observability.alerting.channels.secrets import (
    Secret,
    SecretReader,
    SecretRef,
    SecretUnavailable,
    redact,
)
from observability.alerting.model import DeliveryResult, Notification
from observability.transport.retry import RetryPolicy

#: Each request is bounded; the policy bounds the whole delivery.
REQUEST_TIMEOUT: Final = httpx.Timeout(5.0)
#: Short: a notification that cannot go out now is kept and retried next evaluation.
DELIVERY_RETRY: Final = RetryPolicy(
    base_delay=0.25, max_delay=2.0, max_attempts=4, deadline_seconds=10.0
)
#: How much of an error answer is kept for the detail (read no more than this).
_ANSWER_BYTES: Final = 300
#: Failures that another attempt cannot fix (a URL that is not http(s), a malformed one).
_PERMANENT_ERRORS: Final = (httpx.UnsupportedProtocol, httpx.InvalidURL, httpx.LocalProtocolError)


def retryable_status(status: int) -> bool:
    """Rate limited or a server error: worth another try."""
    return status == 429 or status >= 500


def post_json(
    http: httpx.Client,
    url: str,
    body: bytes,
    *,
    policy: RetryPolicy,
    secret: Secret | None = None,
    headers: dict[str, str] | None = None,
) -> DeliveryResult:
    """POST `body` to `url` until delivered or a bound is hit; `secret` is redacted from
    any answer echoed in the detail."""
    outcome: list[DeliveryResult] = []
    all_headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **(headers or {})}

    def attempt() -> bool:
        try:
            with http.stream(
                "POST", url, content=body, headers=all_headers, timeout=REQUEST_TIMEOUT
            ) as response:
                status = response.status_code
                if 200 <= status < 300:
                    outcome.append(DeliveryResult(ok=True, detail=f"HTTP {status}"))
                    return False
                answer = _first_bytes(response)
        except _PERMANENT_ERRORS as error:
            outcome.append(DeliveryResult(ok=False, detail=f"{type(error).__name__}"))
            return False
        except httpx.TransportError as error:
            outcome.append(DeliveryResult(ok=False, retryable=True, detail=type(error).__name__))
            return True
        retryable = retryable_status(status)
        shown = redact(answer, secret).strip()
        detail = f"HTTP {status}" + (f": {shown}" if shown else "")
        outcome.append(DeliveryResult(ok=False, retryable=retryable, detail=detail))
        return retryable

    run = policy.run(attempt)
    last = outcome[-1]
    if last.ok:
        return last
    plural = "s" if run.attempts != 1 else ""
    return DeliveryResult(
        ok=False,
        retryable=last.retryable,
        detail=f"{last.detail} (after {run.attempts} attempt{plural})",
    )


def _first_bytes(response: httpx.Response) -> str:
    """At most `_ANSWER_BYTES` of the answer, read without loading the rest."""
    for chunk in response.iter_bytes(chunk_size=_ANSWER_BYTES):
        return chunk[:_ANSWER_BYTES].decode("utf-8", errors="replace")
    return ""


class ChannelSpec(Protocol):
    """What every receiver's spec has."""

    @property
    def name(self) -> str:
        """The receiver's name."""
        ...

    @property
    def send_resolved(self) -> bool:
        """Whether resolved alerts are sent."""
        ...


class SecretChannel(ABC):
    """A channel that posts with a secret (a webhook URL, a routing key): the steps every
    such channel shares — skip resolved alerts a receiver does not want, read the secret,
    report a missing one as a failed delivery — around the channel's own `send`."""

    def __init__(
        self, spec: ChannelSpec, *, http: httpx.Client, secrets: SecretReader, policy: RetryPolicy
    ) -> None:
        self.name = spec.name
        self._http = http
        self._secrets = secrets
        self._policy = policy
        self._send_resolved = spec.send_resolved

    @abstractmethod
    def secret_ref(self) -> SecretRef:
        """Where this receiver's secret lives."""

    @abstractmethod
    def send(self, notification: Notification, secret: Secret) -> DeliveryResult:
        """Deliver what is left to send, with the secret read."""

    def deliver(self, notification: Notification) -> DeliveryResult:
        """Send the group's notification; a failure is reported, never raised."""
        sent = without_resolved(notification, self._send_resolved)
        if sent is None:
            return DeliveryResult(ok=True, detail="nothing to send (send_resolved: false)")
        try:
            secret = self._secrets.read(self.secret_ref())
        except SecretUnavailable as error:
            return DeliveryResult(ok=False, retryable=error.retryable, detail=str(error))
        return self.send(sent, secret)
