"""Slack incoming webhooks: one Block Kit message per notification.

A header with the group's title; per alert a section (summary, description, and fields for
severity, state, value against threshold, start and labels), a section with the evidence
that explains it (drifted features and their scores, accuracy, callers' error rates, top
errors, last record seen) and the alert's links as buttons. Block Kit's limits are named
constants (50 blocks, 150-character header, 3,000-character sections, 10 fields of 2,000,
25 buttons of 75 characters with URLs up to 3,000); text that would pass one is cut, and
alerts past the first `MAX_ALERTS_SHOWN` are counted, not dropped silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import httpx
import orjson

from observability.alerting.channels.common import (
    alert_status,
    title,
    value_against_threshold,
)
from observability.alerting.channels.delivery import SecretChannel, post_json
from observability.alerting.channels.secrets import Secret, SecretReader, SecretRef
from observability.alerting.channels.spec import SlackSpec
from observability.alerting.model import Alert, DeliveryResult, Notification
from observability.core.times import format_instant
from observability.transport.retry import RetryPolicy

MAX_BLOCKS: Final = 50
HEADER_CHARS: Final = 150
SECTION_CHARS: Final = 3000
FIELD_CHARS: Final = 2000
MAX_FIELDS: Final = 10
MAX_BUTTONS: Final = 25
BUTTON_TEXT_CHARS: Final = 75
BUTTON_URL_CHARS: Final = 3000
#: Header + 4 blocks per alert + a closing context stays under MAX_BLOCKS.
MAX_ALERTS_SHOWN: Final = 10
#: Rows of a list in the evidence (drifted features, top errors) before "and N more".
_EVIDENCE_ROWS: Final = 10
_STATUS_MARK: Final = {"firing": ":red_circle:", "resolved": ":large_green_circle:"}
#: Labels already shown elsewhere in the message.
_SHOWN_LABELS: Final = frozenset({"alertname", "severity"})


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def escape(text: str) -> str:
    """Slack's mrkdwn escaping: `&`, `<` and `>` are control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _mrkdwn(text: str, limit: int = SECTION_CHARS) -> dict[str, str]:
    return {"type": "mrkdwn", "text": _cut(text, limit)}


def _number(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return escape(str(value))
    return f"{value:.4g}"


def _drifted(value: object) -> list[str]:
    rows = value if isinstance(value, list) else []
    lines = ["*Drifted features*"]
    for row in rows[:_EVIDENCE_ROWS]:
        if not isinstance(row, Mapping):
            continue
        line = f"• `{escape(str(row.get('feature', '?')))}` score {_number(row.get('score'))}"
        if row.get("threshold") is not None:
            line += f" (threshold {_number(row.get('threshold'))})"
        if row.get("n_reference") is not None or row.get("n_current") is not None:
            line += (
                f", rows {_number(row.get('n_reference', '?'))} reference"
                f" / {_number(row.get('n_current', '?'))} current"
            )
        lines.append(line)
    if len(rows) > _EVIDENCE_ROWS:
        lines.append(f"… and {len(rows) - _EVIDENCE_ROWS} more")
    return lines


def _top_errors(value: object) -> list[str]:
    rows = value if isinstance(value, list) else []
    lines = ["*Top errors*"]
    for row in rows[:_EVIDENCE_ROWS]:
        if not isinstance(row, Mapping):
            continue
        traces = row.get("sample_trace_ids") or []
        sample = ", ".join(escape(str(t)) for t in traces[:3]) if isinstance(traces, list) else ""
        line = f"• `{escape(str(row.get('event', '?')))}` x{_number(row.get('count', '?'))}"
        lines.append(line + (f" (traces {sample})" if sample else ""))
    if len(rows) > _EVIDENCE_ROWS:
        lines.append(f"… and {len(rows) - _EVIDENCE_ROWS} more")
    return lines


def _rates(value: object) -> list[str]:
    rates = value if isinstance(value, Mapping) else {}
    shown = ", ".join(
        f"{escape(str(service))} {_number(rate)}" for service, rate in sorted(rates.items())
    )
    return [f"*Callers' error rate*: {shown or 'none'}"]


def _last_seen(value: object) -> list[str]:
    if not isinstance(value, Mapping):
        return [f"*Last seen*: {escape(str(value))}"]
    at = escape(str(value.get("at", "never")))
    record = value.get("record")
    shown = f" — `{_cut(escape(_json(record)), 300)}`" if record else ""
    return [f"*Last record*: {at}{shown}"]


def _json(value: object) -> str:
    return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


def evidence_lines(context: Mapping[str, object]) -> list[str]:
    """The alert's context as mrkdwn lines: known evidence in words, the rest as JSON."""
    lines: list[str] = []
    for key, value in context.items():
        if key == "drifted_features":
            lines += _drifted(value)
        elif key == "top_errors":
            lines += _top_errors(value)
        elif key == "caller_error_rates":
            lines += _rates(value)
        elif key == "last_seen":
            lines += _last_seen(value)
        elif key == "accuracy":
            lines.append(f"*Accuracy*: {_number(value)}")
        elif key == "error":
            lines.append(f"*Error*: {_cut(escape(str(value)), 500)}")
        else:
            lines.append(f"*{escape(key)}*: {_cut(escape(_json(value)), 300)}")
    return lines


def _buttons(alert: Alert, index: int) -> list[dict[str, object]]:
    links: dict[str, str] = {}
    if alert.generator_url:
        links["open"] = alert.generator_url
    links.update(alert.links)
    runbook = alert.annotations.get("runbook_url")
    if runbook:
        links.setdefault("runbook", runbook)
    buttons: list[dict[str, object]] = []
    for number, (name, url) in enumerate(links.items()):
        # Slack refuses the whole message for one malformed or oversized URL.
        if not url.startswith(("http://", "https://")) or len(url) > BUTTON_URL_CHARS:
            continue
        buttons.append(
            {
                "type": "button",
                "text": {
                    "type": "plain_text",
                    "text": _cut(name.replace("_", " "), BUTTON_TEXT_CHARS),
                },
                "url": url,
                "action_id": f"alert-{index}-link-{number}",
            }
        )
    return buttons[:MAX_BUTTONS]


def _alert_blocks(alert: Alert, index: int) -> list[dict[str, object]]:
    status = alert_status(alert)
    summary = alert.annotations.get("summary", "")
    description = alert.annotations.get("description", "")
    text = f"{_STATUS_MARK[status]} *{escape(alert.name)}*"
    if summary:
        text += f" — {escape(summary)}"
    if description:
        text += f"\n{escape(description)}"
    labels = ", ".join(
        f"{k}={v}" for k, v in sorted(alert.labels.items()) if k not in _SHOWN_LABELS
    )
    fields = [
        ("Severity", alert.severity.value),
        ("State", alert.state.value),
        ("Value", value_against_threshold(alert)),
        ("Since", format_instant(alert.starts_at)),
    ]
    if alert.ends_at is not None:
        fields.append(("Ended", format_instant(alert.ends_at)))
    if labels:
        fields.append(("Labels", labels))
    blocks: list[dict[str, object]] = [
        {
            "type": "section",
            "text": _mrkdwn(text),
            "fields": [
                _mrkdwn(f"*{name}*\n{escape(value)}", FIELD_CHARS)
                for name, value in fields[:MAX_FIELDS]
            ],
        }
    ]
    evidence = evidence_lines(alert.context)
    if evidence:
        blocks.append({"type": "section", "text": _mrkdwn("\n".join(evidence))})
    buttons = _buttons(alert, index)
    if buttons:
        blocks.append({"type": "actions", "elements": buttons})
    blocks.append({"type": "divider"})
    return blocks


def slack_message(notification: Notification) -> dict[str, object]:
    """The incoming-webhook body: `text` (the notification's fallback) and `blocks`."""
    heading = title(notification)
    blocks: list[dict[str, object]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(heading, HEADER_CHARS)}}
    ]
    shown = notification.alerts[:MAX_ALERTS_SHOWN]
    for index, alert in enumerate(shown):
        blocks += _alert_blocks(alert, index)
    hidden = len(notification.alerts) - len(shown) + notification.truncated_alerts
    if hidden > 0:
        more = f"… and {hidden} more alert{'s' if hidden != 1 else ''}"
        if notification.external_url:
            more += f": <{notification.external_url}|see all alerts>"
        blocks.append({"type": "context", "elements": [_mrkdwn(more)]})
    return {"text": heading, "blocks": blocks[:MAX_BLOCKS]}


class SlackNotifier(SecretChannel):
    """Posts Block Kit messages to a Slack incoming webhook (the URL is the secret)."""

    def __init__(
        self, spec: SlackSpec, *, http: httpx.Client, secrets: SecretReader, policy: RetryPolicy
    ) -> None:
        super().__init__(spec, http=http, secrets=secrets, policy=policy)
        self._spec = spec

    def secret_ref(self) -> SecretRef:
        """The webhook URL."""
        return self._spec.webhook_url

    def send(self, notification: Notification, secret: Secret) -> DeliveryResult:
        """One message for the group."""
        body = orjson.dumps(slack_message(notification))
        return post_json(self._http, secret.reveal(), body, policy=self._policy, secret=secret)
