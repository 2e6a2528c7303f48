"""The notification log of a group, and Alertmanager's timers over it.

One object per group (`keys.notification_log_key`): what its receiver last heard (the
firing fingerprints, when), failed deliveries (and whether one is owed at once), and the
claim an evaluator takes while it delivers. `is_due` decides from it whether the group
notifies now.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson

from observability.alerting.routes import Route
from observability.alerting.rules import AlertRecord
from observability.core.times import format_instant


@dataclass(frozen=True, slots=True)
class NotificationLog:
    """What one group's receiver was told, and what is owed."""

    group_key: str
    receiver: str
    group_labels: Mapping[str, str]
    last_sent_at: datetime | None = None
    #: Fingerprints the receiver last heard as firing.
    notified: tuple[str, ...] = ()
    failures: int = 0
    #: A retryable delivery failed: send at the next evaluation.
    owed: bool = False
    last_attempt_at: datetime | None = None
    last_error: str | None = None
    claimed_by: str | None = None
    claimed_until: datetime | None = None

    def to_json(self) -> bytes:
        """The stored object."""
        return orjson.dumps(
            {
                "group_key": self.group_key,
                "receiver": self.receiver,
                "group_labels": dict(self.group_labels),
                "last_sent_at": _time(self.last_sent_at),
                "notified": list(self.notified),
                "failures": self.failures,
                "owed": self.owed,
                "last_attempt_at": _time(self.last_attempt_at),
                "last_error": self.last_error,
                "claimed_by": self.claimed_by,
                "claimed_until": _time(self.claimed_until),
            }
        )

    @classmethod
    def from_json(cls, data: bytes) -> NotificationLog:
        """Inverse of `to_json`."""
        body = orjson.loads(data)
        return cls(
            group_key=str(body["group_key"]),
            receiver=str(body["receiver"]),
            group_labels={str(k): str(v) for k, v in body["group_labels"].items()},
            last_sent_at=_parse(body.get("last_sent_at")),
            notified=tuple(str(f) for f in body.get("notified", ())),
            failures=int(body.get("failures", 0)),
            owed=bool(body.get("owed", False)),
            last_attempt_at=_parse(body.get("last_attempt_at")),
            last_error=body.get("last_error"),
            claimed_by=body.get("claimed_by"),
            claimed_until=_parse(body.get("claimed_until")),
        )


def is_due(
    route: Route,
    entry: NotificationLog | None,
    firing: Sequence[AlertRecord],
    resolved: Sequence[AlertRecord],
    now: datetime,
) -> bool:
    """Alertmanager's timers, plus: an owed (retryable) delivery is due at once, and one
    that failed otherwise is tried again after `group_interval`."""
    if not firing and not resolved:
        return False
    waiting = entry is not None and not _elapsed(entry.last_attempt_at, now, route.group_interval)
    if entry is not None and entry.failures and not entry.owed and waiting:
        return False
    if entry is not None and entry.failures and (entry.owed or entry.last_sent_at is None):
        return True
    if entry is None or entry.last_sent_at is None:
        started = min((r.fired_at or r.active_since or now for r in firing), default=now)
        return bool(firing) and now - started >= route.group_wait
    changed = bool(resolved) or {r.fingerprint for r in firing} != set(entry.notified)
    if changed:
        return now - entry.last_sent_at >= route.group_interval
    return bool(firing) and now - entry.last_sent_at >= route.repeat_interval


def claimed_by_another(entry: NotificationLog, holder: str, now: datetime) -> bool:
    """Whether another evaluator's claim on the group is still live."""
    return (
        entry.claimed_until is not None and entry.claimed_until > now and entry.claimed_by != holder
    )


def _elapsed(since: datetime | None, now: datetime, length: timedelta) -> bool:
    return since is None or now - since >= length


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else format_instant(moment)


def _parse(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))
