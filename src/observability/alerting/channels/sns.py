"""SNS: one publish per notification, with the process's boto3 client.

The subject is the group's title made to SNS's rules (ASCII, no control characters, under
100 characters); the message is the same JSON document the webhook sends (Alertmanager's
version 4 payload with our evidence), cut to SNS's 256 KiB by dropping trailing alerts
and counting them in `truncatedAlerts`; `status` and `severity` are message attributes so
subscriptions can filter on them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Final

from botocore.exceptions import BotoCoreError, ClientError

from observability.alerting.channels.common import most_severe, title, without_resolved
from observability.alerting.channels.spec import SnsSpec
from observability.alerting.channels.webhook import alertmanager_payload, encode
from observability.alerting.model import DeliveryResult, Notification
from observability.transport.retry import RetryPolicy

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sns.type_defs import MessageAttributeValueTypeDef

#: SNS: "must be less than 100 characters long".
SUBJECT_CHARS: Final = 99
#: SNS's message size limit, less room for the attributes.
MESSAGE_BYTES: Final = 256 * 1024 - 1024
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]+")
_RETRYABLE_CODES: Final = frozenset(
    {
        "Throttled",
        "Throttling",
        "ThrottlingException",
        "InternalError",
        "KMSThrottling",
        "ServiceUnavailable",
        "RequestLimitExceeded",
    }
)


def subject(notification: Notification) -> str:
    """The group's title as SNS accepts a subject: ASCII, one line, under 100 characters."""
    text = title(notification).encode("ascii", errors="replace").decode("ascii")
    text = _CONTROL.sub(" ", text).strip()
    if not text or not (text[0].isalnum() or text[0] in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"):
        text = f"Alert {text}".strip()
    return text if len(text) <= SUBJECT_CHARS else text[: SUBJECT_CHARS - 3] + "..."


def sns_message(notification: Notification) -> str:
    """The JSON message, under SNS's size limit (trailing alerts dropped and counted)."""
    keep = len(notification.alerts)
    while True:
        dropped = len(notification.alerts) - keep
        cut = replace(
            notification,
            alerts=notification.alerts[:keep],
            truncated_alerts=notification.truncated_alerts + dropped,
        )
        body = encode(alertmanager_payload(cut))
        if len(body) <= MESSAGE_BYTES or keep == 0:
            return body.decode("utf-8")
        keep = keep // 2 if len(body) > 2 * MESSAGE_BYTES else keep - 1


class SnsNotifier:
    """Publishes each notification to a topic; AWS errors become a failed result."""

    def __init__(
        self, spec: SnsSpec, *, client: Callable[[], SNSClient], policy: RetryPolicy
    ) -> None:
        self.name = spec.name
        self._spec = spec
        self._client = client
        self._policy = policy

    def deliver(self, notification: Notification) -> DeliveryResult:
        """Publish once; throttling, server and connection errors are retried, then reported."""
        sent = without_resolved(notification, self._spec.send_resolved)
        if sent is None:
            return DeliveryResult(ok=True, detail="nothing to send (send_resolved: false)")
        message = sns_message(sent)
        attributes: dict[str, MessageAttributeValueTypeDef] = {
            "status": {"DataType": "String", "StringValue": sent.status},
            "severity": {"DataType": "String", "StringValue": most_severe(sent)},
        }
        outcome: list[DeliveryResult] = []

        def attempt() -> bool:
            try:
                answer = self._client().publish(
                    TopicArn=self._spec.topic_arn,
                    Subject=subject(sent),
                    Message=message,
                    MessageAttributes=attributes,
                )
            except ClientError as error:
                code = str(error.response.get("Error", {}).get("Code", "ClientError"))
                status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
                retryable = code in _RETRYABLE_CODES or status >= 500 or status == 429
                outcome.append(DeliveryResult(ok=False, retryable=retryable, detail=code))
                return retryable
            except BotoCoreError as error:
                outcome.append(
                    DeliveryResult(ok=False, retryable=True, detail=type(error).__name__)
                )
                return True
            outcome.append(DeliveryResult(ok=True, detail=f"message {answer['MessageId']}"))
            return False

        run = self._policy.run(attempt)
        last = outcome[-1]
        if last.ok:
            return last
        plural = "s" if run.attempts != 1 else ""
        return DeliveryResult(
            ok=False,
            retryable=last.retryable,
            detail=f"{last.detail} (after {run.attempts} attempt{plural})",
        )
