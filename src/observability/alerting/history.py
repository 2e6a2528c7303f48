"""Every alert state transition is a row of the `alerts` table (`core.derived.ALERTS`).

An evaluation writes one Parquet file per rule that changed, at
`keys.alert_history_key(rule, day, name)`, in the declared columns: DuckDB and Athena read
`SELECT * FROM alerts WHERE to_state = 'firing'` with no writer ever appending to a file
another wrote. Only the evaluator whose conditional state write won records a transition.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from observability.alerting.model import AlertState
from observability.alerting.rules import AlertRecord
from observability.core import keys
from observability.core.derived import ALERTS
from observability.store.base import ObjectStore
from observability.store.files import new_filename


@dataclass(frozen=True, slots=True)
class Transition:
    """One alert moving from one state to another at one evaluation."""

    at: datetime
    before: AlertState
    after: AlertState
    record: AlertRecord

    @property
    def fingerprint(self) -> str:
        """The alert's identity."""
        return self.record.fingerprint

    def row(self, evaluator: str) -> dict[str, Any]:
        """The row in `ALERTS` column names (`rule` and `dt` are the key's partitions)."""
        record = self.record
        return {
            "changed_at": self.at,
            "rule_group": record.rule_group,
            "fingerprint": record.fingerprint,
            "labels": orjson.dumps(dict(sorted(record.labels.items()))).decode(),
            "from_state": self.before.value,
            "to_state": self.after.value,
            "severity": record.labels.get("severity", ""),
            "value": record.value,
            "threshold": record.threshold,
            "summary": record.annotations.get("summary", ""),
            "error": _error(record),
            "evaluator": evaluator,
        }

    def __str__(self) -> str:
        labels = ", ".join(f"{k}={v}" for k, v in sorted(self.record.labels.items()))
        return f"{self.record.rule} {{{labels}}}: {self.before.value} -> {self.after.value}"


def write_transitions(
    store: ObjectStore, transitions: Sequence[Transition], evaluator: str, now: datetime
) -> list[str]:
    """One file per rule with transitions; returns the keys written."""
    by_rule: dict[str, list[Transition]] = defaultdict(list)
    for transition in transitions:
        by_rule[transition.record.rule].append(transition)
    written = []
    for rule, changes in sorted(by_rule.items()):
        key = keys.alert_history_key(rule, keys.day(now), new_filename(".parquet"))
        store.put(key, ALERTS.parquet([change.row(evaluator) for change in changes]))
        written.append(key)
    return written


def _error(record: AlertRecord) -> str | None:
    error = record.context.get("error")
    return None if error is None else str(error)
