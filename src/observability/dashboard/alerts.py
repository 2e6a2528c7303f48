"""Alerts and silences for the routes: the alerting package's stores, read and checked here.

`GET /alerts` reads every alert's stored state (`alerting.state.StateStore`) and says which
active silence mutes it; `GET /alerts/history` pages the `alerts` table (one row per state
change, `core.derived.ALERTS`); silences are listed, created and expired through
`alerting.silences.SilenceStore` (creating and expiring need the admin role: the auth
policy asks it of every change under `/silences`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from observability.alerting.model import AlertState
from observability.alerting.rules import AlertRecord
from observability.alerting.silences import (
    Silence,
    SilenceState,
    SilenceStore,
    muted_by,
    new_silence,
)
from observability.alerting.state import StateStore
from observability.core import keys
from observability.core.checks import is_name
from observability.core.derived import ALERTS
from observability.core.times import format_instant, parse_duration, parse_instant
from observability.dashboard.errors import BadParameterError, NotFoundError
from observability.dashboard.listing import Lister
from observability.dashboard.schemas import (
    AlertHistoryPage,
    AlertList,
    AlertTransition,
    AlertView,
    NewSilence,
    SilenceList,
    SilenceView,
)
from observability.dashboard.tables import PartitionedRows
from observability.store.base import ObjectStore

#: Most urgent first in the list.
_ORDER = {
    AlertState.ERROR: 0,
    AlertState.FIRING: 1,
    AlertState.NODATA: 2,
    AlertState.PENDING: 3,
    AlertState.RESOLVED: 4,
    AlertState.INACTIVE: 5,
}


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _labels(text: Any) -> dict[str, str]:
    try:
        value = orjson.loads(text) if isinstance(text, str) else {}
    except orjson.JSONDecodeError:
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _transition(rule: str, row: dict[str, Any]) -> AlertTransition:
    return AlertTransition(
        rule=rule,
        rule_group=str(row["rule_group"]),
        fingerprint=str(row["fingerprint"]),
        labels=_labels(row.get("labels")),
        from_state=str(row["from_state"]),
        to_state=str(row["to_state"]),
        severity=str(row.get("severity") or ""),
        changed_at=_aware(row["changed_at"]),
        value=row.get("value"),
        threshold=row.get("threshold"),
        summary=str(row.get("summary") or ""),
        error=row.get("error"),
        evaluator=str(row.get("evaluator") or ""),
    )


def _position(row: AlertTransition) -> tuple[str, str, str]:
    return (format_instant(row.changed_at), row.fingerprint, row.to_state)


def _silence_view(silence: Silence, now: datetime) -> SilenceView:
    body = silence.to_dict()
    return SilenceView(**body, state=silence.state(now).value)


def _alert_view(record: AlertRecord, silences: list[Silence], now: datetime) -> AlertView:
    muting = muted_by(silences, record.labels, now)
    return AlertView(
        fingerprint=record.fingerprint,
        rule=record.rule,
        rule_group=record.rule_group,
        state=record.state.value,
        severity=record.labels.get("severity", ""),
        labels=dict(record.labels),
        annotations=dict(record.annotations),
        value=record.value,
        threshold=record.threshold,
        active_since=record.active_since,
        fired_at=record.fired_at,
        resolved_at=record.resolved_at,
        silenced_by=muting.id if muting is not None else None,
        generator_url=record.generator_url,
        links=dict(record.links),
        context=orjson.loads(orjson.dumps(dict(record.context), default=str)),
    )


class Alerts:
    """Reads alerts, their history and silences; creates and expires silences."""

    def __init__(self, store: ObjectStore, lister: Lister) -> None:
        self._store = store
        self._states = StateStore(store)
        self._silences = SilenceStore(store)
        self._history = PartitionedRows(ALERTS, store, lister, _transition)

    def current(self, state: AlertState | None, now: datetime) -> AlertList:
        """Every alert with a stored state (of `state` only when given), most urgent first."""
        silences = self._silences.all()
        records = [
            stored.record
            for stored in self._states.load().values()
            if state is None or stored.record.state is state
        ]
        records.sort(key=lambda r: (_ORDER.get(r.state, 9), r.rule, r.fingerprint))
        return AlertList(alerts=[_alert_view(r, silences, now) for r in records])

    def history(
        self,
        *,
        rule: str | None,
        start: datetime,
        end: datetime,
        limit: int,
        after: str | None,
    ) -> AlertHistoryPage:
        """State changes in [start, end), newest first, after the cursor."""
        if rule is not None and not is_name(rule):
            raise BadParameterError(f"bad rule name {rule[:80]!r}")
        items, next_cursor = self._history.page(
            [rule] if rule is not None else self._history.values(),
            start,
            end,
            keep=lambda row: start <= row.changed_at < end,
            position=_position,
            limit=limit,
            after=after,
        )
        return AlertHistoryPage(items=items, next_cursor=next_cursor)

    def silences(self, state: SilenceState | None, now: datetime) -> SilenceList:
        """Stored silences (of `state` only when given), newest first."""
        found = [s for s in self._silences.all() if state is None or s.state(now) is state]
        return SilenceList(silences=[_silence_view(s, now) for s in found])

    def silence(self, request: NewSilence, author: str, now: datetime) -> SilenceView:
        """Create a silence from the request; SilenceError (400) says what is wrong."""
        starts = parse_instant(request.starts_at, now) if request.starts_at else now
        if (request.ends_at is None) == (request.duration is None):
            raise BadParameterError("give one of ends_at or duration")
        if request.ends_at is not None:
            ends = parse_instant(request.ends_at, now)
        else:
            assert request.duration is not None
            ends = starts + parse_duration(request.duration)
        created = new_silence(
            request.matchers,
            starts_at=starts,
            ends_at=ends,
            created_by=author,
            comment=request.comment,
            now=now,
        )
        return _silence_view(self._silences.add(created), now)

    def expire(self, silence_id: str, now: datetime) -> SilenceView:
        """End a silence now; NotFoundError when there is none with that id."""
        try:
            key = keys.silence_key(silence_id)
        except ValueError:
            raise BadParameterError(f"bad silence id {silence_id[:80]!r}") from None
        if not self._store.exists(key):
            raise NotFoundError(f"no silence {silence_id!r}")
        return _silence_view(self._silences.expire(silence_id, now), now)
