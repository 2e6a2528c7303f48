"""Alert state in the store: one JSON object per alert, changed only by conditional writes.

Two evaluators (two workers, the worker and the Lambda, a person running `alerts eval`)
may look at the same alert at once. Each reads the object with its ETag and writes its
next state with `put_if_match` (or `put_if_absent` for a new alert); the loser's write is
refused, it drops its version and records no transition, so every transition is stored,
and counted in the `alerts` table, exactly once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from observability.alerting.model import AlertState
from observability.alerting.rules import AlertRecord
from observability.core import keys
from observability.core.times import format_instant
from observability.store.base import ObjectStore

_TIMES = ("active_since", "fired_at", "resolved_at", "clear_since")


@dataclass(frozen=True, slots=True)
class Stored:
    """A record as read, with the ETag a conditional write must match."""

    record: AlertRecord
    etag: str


class StateStore:
    """Reads and conditionally writes alert records under `alerts/state/`."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    def load(self) -> dict[str, Stored]:
        """Every stored alert, by fingerprint (an unreadable object is skipped, not fatal)."""
        found: dict[str, Stored] = {}
        for key in self.store.list(keys.ALERT_STATE):
            if not key.endswith(".json"):
                continue
            try:
                data, etag = self.store.get_versioned(key)
            except KeyError:  # deleted since it was listed
                continue
            record = decode(data)
            if record is not None and keys.alert_state_key(record.fingerprint) == key:
                found[record.fingerprint] = Stored(record, etag)
        return found

    def save(self, record: AlertRecord, previous: Stored | None) -> str | None:
        """Write the record if nobody changed it since `previous` was read: its new ETag,
        or None when another evaluator got there first."""
        key = keys.alert_state_key(record.fingerprint)
        data = encode(record)
        if previous is None:
            return self.store.put_if_absent(key, data)
        return self.store.put_if_match(key, data, previous.etag)

    def remove(self, previous: Stored) -> bool:
        """Delete the record if nobody changed it since it was read."""
        return self.store.delete_if_match(
            keys.alert_state_key(previous.record.fingerprint), previous.etag
        )


def encode(record: AlertRecord) -> bytes:
    """The stored JSON of a record."""
    body: dict[str, Any] = {
        "rule": record.rule,
        "rule_group": record.rule_group,
        "labels": dict(record.labels),
        "state": record.state.value,
        "annotations": dict(record.annotations),
        "value": record.value,
        "threshold": record.threshold,
        "generator_url": record.generator_url,
        "context": dict(record.context),
        "links": dict(record.links),
    }
    for name in _TIMES:
        moment: datetime | None = getattr(record, name)
        body[name] = None if moment is None else format_instant(moment)
    return orjson.dumps(body, default=str, option=orjson.OPT_SORT_KEYS)


def decode(data: bytes) -> AlertRecord | None:
    """A record from its stored JSON; None for anything that is not one."""
    try:
        body = orjson.loads(data)
        times = {name: _instant(body.get(name)) for name in _TIMES}
        return AlertRecord(
            rule=str(body["rule"]),
            rule_group=str(body["rule_group"]),
            labels=_strings(body["labels"]),
            state=AlertState(body["state"]),
            annotations=_strings(body.get("annotations") or {}),
            value=_number(body.get("value")),
            threshold=_number(body.get("threshold")),
            generator_url=str(body.get("generator_url") or ""),
            context=dict(body.get("context") or {}),
            links=_strings(body.get("links") or {}),
            **times,
        )
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
        return None


def _instant(value: object) -> datetime | None:
    if value is None:
        return None
    return datetime.fromisoformat(str(value))


def _number(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(value)
    return float(value)


def _strings(value: object) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise TypeError(value)
    return {str(k): str(v) for k, v in value.items()}
