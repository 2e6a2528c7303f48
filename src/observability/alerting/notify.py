"""Notifications with Alertmanager's semantics, kept in the store so any evaluator can send.

Alerts are routed (`routes.py`), muted by silences and inhibition, and grouped by route
and `group_by` labels. Each group has a notification log (`keys.notification_log_key`):
what its receiver last heard, when, and whether a delivery is owed. A group notifies
- first `group_wait` after its earliest alert started firing;
- then when its firing set changed or an alert it told about resolved, at most once per
  `group_interval`; with no change, again every `repeat_interval`;
- once, `resolved`, when every alert it told about has resolved; then its log is removed.
A retryable failure is kept (`owed`) and retried at the next evaluation, whatever the
timers say; any other failure is retried after `group_interval`. Nothing is dropped.

Two evaluators never send the same notification: before delivering, an evaluator claims
the log with a conditional write (a claim expires after `CLAIM_TTL`, should the claimant
die); whoever loses the write skips the group. `error` and `nodata` alerts go to the
configured pipeline receiver, grouped by rule.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Final, Literal

import orjson

from observability.alerting.config import AlertsConfig
from observability.alerting.model import (
    Alert,
    AlertState,
    DeliveryResult,
    Notification,
    Notifier,
)
from observability.alerting.nflog import NotificationLog, claimed_by_another, is_due
from observability.alerting.routes import Route, inhibitor, match_routes
from observability.alerting.rules import ALERTSTATE_LABEL, AlertRecord
from observability.alerting.silences import Silence, muted_by
from observability.core import keys
from observability.store.base import ObjectStore

log = logging.getLogger(__name__)

#: How long a claimed group is left to its claimant before another evaluator takes over.
CLAIM_TTL: Final = timedelta(minutes=2)
#: Alerts in one notification; the rest are counted in `truncated_alerts`.
MAX_ALERTS: Final = 100
#: Route path of `error` and `nodata` alerts.
PIPELINE_ROUTE: Final = "pipeline"

Outcome = Literal["sent", "failed", "would-send", "claimed-elsewhere"]


@dataclass(slots=True)
class Group:
    """The alerts one route groups together for one receiver."""

    key: str
    route: Route
    labels: Mapping[str, str]
    records: list[AlertRecord] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Delivery:
    """What happened to one group's notification in one evaluation."""

    receiver: str
    group_key: str
    group_labels: Mapping[str, str]
    status: str
    alerts: int
    outcome: Outcome
    detail: str = ""

    def __str__(self) -> str:
        labels = ", ".join(f"{k}={v}" for k, v in sorted(self.group_labels.items()))
        return (
            f"{self.receiver} <- {self.status} {{{labels}}} ({self.alerts} alerts): "
            f"{self.outcome}{': ' + self.detail if self.detail else ''}"
        )


@dataclass(frozen=True, slots=True)
class Muted:
    """An active alert left out of notifications, and why."""

    fingerprint: str
    reason: str


@dataclass(slots=True)
class DispatchResult:
    """Deliveries made (or that a dry run would make) and the alerts muted."""

    deliveries: list[Delivery] = field(default_factory=list)
    muted: list[Muted] = field(default_factory=list)


class Dispatcher:
    """Routes, mutes, groups and notifies; one per process (it holds the notifiers)."""

    def __init__(
        self,
        store: ObjectStore,
        config: AlertsConfig,
        notifiers: Mapping[str, Notifier],
        *,
        external_url: str,
        holder: str,
    ) -> None:
        self.store = store
        self.config = config
        self.notifiers = notifiers
        self.external_url = external_url
        self.holder = holder
        root = config.route
        self.pipeline_route = replace(
            root,
            path=PIPELINE_ROUTE,
            receiver=config.pipeline_receiver,
            matchers=(),
            group_by=("alertname", ALERTSTATE_LABEL),
            continue_matching=False,
            routes=(),
        )

    def dispatch(
        self,
        records: Iterable[AlertRecord],
        silences: Sequence[Silence],
        now: datetime,
        *,
        dry_run: bool = False,
    ) -> DispatchResult:
        """Notify every group that is due; with `dry_run`, say what would be sent."""
        result = DispatchResult()
        shown = [r for r in records if r.active or r.state is AlertState.RESOLVED]
        muted = self._muted(shown, silences, now)
        result.muted = [Muted(fp, why) for fp, why in sorted(muted.items())]
        groups = self._groups(shown)
        logs = self._logs()
        for key, group in sorted(groups.items()):
            delivery = self._group(group, logs.pop(key, None), muted, now, dry_run)
            if delivery is not None:
                result.deliveries.append(delivery)
        if not dry_run:
            for key, (_, etag) in logs.items():  # groups with no alert left at all
                self.store.delete_if_match(keys.notification_log_key(key), etag)
        return result

    # --- routing and muting -----------------------------------------------------------

    def routes_of(self, labels: Mapping[str, str]) -> list[Route]:
        """The routes an alert takes: the pipeline's for `error` / `nodata` alerts."""
        if ALERTSTATE_LABEL in labels:
            return [self.pipeline_route]
        return match_routes(self.config.route, labels)

    def _groups(self, records: Sequence[AlertRecord]) -> dict[str, Group]:
        groups: dict[str, Group] = {}
        for record in records:
            for route in self.routes_of(record.labels):
                key = route.group_key(record.labels)
                group = groups.setdefault(key, Group(key, route, route.group_labels(record.labels)))
                group.records.append(record)
        return groups

    def _muted(
        self, records: Sequence[AlertRecord], silences: Sequence[Silence], now: datetime
    ) -> dict[str, str]:
        """Fingerprint -> why, for active alerts muted by a silence or an inhibition."""
        active = [record.alert() for record in records if record.active]
        muted: dict[str, str] = {}
        for alert in active:
            silence = muted_by(silences, alert.labels, now)
            if silence is not None:
                muted[alert.fingerprint] = f"silenced by {silence.id} ({silence.comment[:80]})"
                continue
            source = inhibitor(self.config.inhibit_rules, alert, active)
            if source is not None:
                muted[alert.fingerprint] = f"inhibited by {source.name} {source.fingerprint}"
        return muted

    # --- one group --------------------------------------------------------------------

    def _logs(self) -> dict[str, tuple[NotificationLog, str]]:
        found: dict[str, tuple[NotificationLog, str]] = {}
        for key in self.store.list(keys.NOTIFICATIONS):
            try:
                data, etag = self.store.get_versioned(key)
            except KeyError:  # removed since it was listed
                continue
            try:
                entry = NotificationLog.from_json(data)
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
                log.warning("alerts: unreadable notification log %s; starting it afresh", key)
                self.store.delete_if_match(key, etag)
                continue
            found[entry.group_key] = (entry, etag)
        return found

    def _group(
        self,
        group: Group,
        stored: tuple[NotificationLog, str] | None,
        muted: Mapping[str, str],
        now: datetime,
        dry_run: bool,
    ) -> Delivery | None:
        entry, etag = stored if stored is not None else (None, None)
        firing = [r for r in group.records if r.active and r.fingerprint not in muted]
        told = set(entry.notified) if entry is not None else set()
        resolved = [
            r for r in group.records if r.state is AlertState.RESOLVED and r.fingerprint in told
        ]
        if not is_due(group.route, entry, firing, resolved, now):
            return None
        if entry is not None and claimed_by_another(entry, self.holder, now):
            return self._delivery(
                group, firing, resolved, "claimed-elsewhere", entry.claimed_by or ""
            )
        notification = self._notification(group, firing, resolved)
        if dry_run:
            return self._delivery(group, firing, resolved, "would-send")
        base = entry or NotificationLog(group.key, group.route.receiver, dict(group.labels))
        claim = replace(base, claimed_by=self.holder, claimed_until=now + CLAIM_TTL)
        key = keys.notification_log_key(group.key)
        claimed = (
            self.store.put_if_absent(key, claim.to_json())
            if etag is None
            else self.store.put_if_match(key, claim.to_json(), etag)
        )
        if claimed is None:
            return self._delivery(group, firing, resolved, "claimed-elsewhere")
        outcome = self._deliver(group.route.receiver, notification)
        self._settle(key, claim, etag=claimed, outcome=outcome, firing=firing, now=now)
        return self._delivery(
            group, firing, resolved, "sent" if outcome.ok else "failed", outcome.detail
        )

    def _notification(
        self, group: Group, firing: Sequence[AlertRecord], resolved: Sequence[AlertRecord]
    ) -> Notification:
        alerts: list[Alert] = [r.alert() for r in (*firing, *resolved)]
        return Notification(
            receiver=group.route.receiver,
            group_key=group.key,
            group_labels=dict(group.labels),
            status="firing" if firing else "resolved",
            alerts=tuple(alerts[:MAX_ALERTS]),
            external_url=self.external_url,
            truncated_alerts=max(0, len(alerts) - MAX_ALERTS),
        )

    def _deliver(self, receiver: str, notification: Notification) -> DeliveryResult:
        notifier = self.notifiers.get(receiver)
        if notifier is None:
            return DeliveryResult(ok=False, detail=f"no notifier for receiver {receiver!r}")
        try:
            return notifier.deliver(notification)
        except Exception as exc:  # a channel's bug must not lose the notification: retried
            log.exception("alerts: receiver %s raised while delivering", receiver)
            return DeliveryResult(ok=False, retryable=True, detail=type(exc).__name__)

    def _settle(
        self,
        key: str,
        claim: NotificationLog,
        *,
        etag: str,
        outcome: DeliveryResult,
        firing: Sequence[AlertRecord],
        now: datetime,
    ) -> None:
        """Record the delivery; a group told that everything resolved is closed."""
        if outcome.ok and not firing:
            if not self.store.delete_if_match(key, etag):
                log.warning("alerts: notification log %s changed during delivery", key)
            return
        if outcome.ok:
            done = replace(
                claim,
                last_sent_at=now,
                notified=tuple(sorted(r.fingerprint for r in firing)),
                failures=0,
                owed=False,
                last_attempt_at=now,
                last_error=None,
                claimed_by=None,
                claimed_until=None,
            )
        else:
            log.warning(
                "alerts: delivery to %s failed (%s); %s",
                claim.receiver,
                outcome.detail,
                "retrying next evaluation"
                if outcome.retryable
                else "retrying after group_interval",
            )
            done = replace(
                claim,
                failures=claim.failures + 1,
                owed=outcome.retryable,
                last_attempt_at=now,
                last_error=outcome.detail,
                claimed_by=None,
                claimed_until=None,
            )
        if self.store.put_if_match(key, done.to_json(), etag) is None:
            log.warning("alerts: notification log %s changed during delivery", key)

    def _delivery(
        self,
        group: Group,
        firing: Sequence[AlertRecord],
        resolved: Sequence[AlertRecord],
        outcome: Outcome,
        detail: str = "",
    ) -> Delivery:
        return Delivery(
            receiver=group.route.receiver,
            group_key=group.key,
            group_labels=dict(group.labels),
            status="firing" if firing else "resolved",
            alerts=len(firing) + len(resolved),
            outcome=outcome,
            detail=detail,
        )
