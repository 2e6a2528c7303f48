"""The state machine of one alert, pure: previous record + what this evaluation saw -> next.

inactive -> pending (the condition holds) -> firing (it held for `for`) -> resolved (it has
not held for `keep_firing_for`); pending -> inactive when it stops holding before `for`.
A label set that the source no longer returns counts as not holding. `nodata` and `error`
are alerts of their own (the rule's labels plus `alertstate`), firing at once while the
source returns nothing or fails, resolved when it answers again; meanwhile the rule's
other alerts keep their state, so a failing query never resolves (or raises) anything.

No I/O and no clock here: `now` is passed in, so the evaluator and the tests drive it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from observability.alerting.model import Alert, AlertState, Severity, fingerprint

#: States that a receiver hears about as firing.
ACTIVE: Final = frozenset({AlertState.FIRING, AlertState.NODATA, AlertState.ERROR})
#: The label that makes a rule's `nodata` / `error` alert an alert of its own.
ALERTSTATE_LABEL: Final = "alertstate"


@dataclass(frozen=True, slots=True)
class Sample:
    """One label set the source returned: its value, whether it breaches, its evidence."""

    labels: Mapping[str, str]
    value: float | None
    breached: bool
    #: JSON-serialisable evidence from the source itself (drift rows, the last record).
    context: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """An alert's stored state (one object per fingerprint)."""

    rule: str
    rule_group: str
    labels: Mapping[str, str]
    state: AlertState
    annotations: Mapping[str, str] = field(default_factory=dict)
    value: float | None = None
    threshold: float | None = None
    #: When the condition started holding (pending began), or the nodata/error began.
    active_since: datetime | None = None
    #: When it started firing; when it resolved.
    fired_at: datetime | None = None
    resolved_at: datetime | None = None
    #: First evaluation the condition did not hold while firing (for keep_firing_for).
    clear_since: datetime | None = None
    generator_url: str = ""
    context: Mapping[str, Any] = field(default_factory=dict)
    links: Mapping[str, str] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        """The identity of the label set."""
        return fingerprint(self.labels)

    @property
    def active(self) -> bool:
        """Firing, nodata or error: a receiver hears about it."""
        return self.state in ACTIVE

    def alert(self) -> Alert:
        """The shared model's view of this alert."""
        starts = self.fired_at or self.active_since or self.resolved_at
        assert starts is not None  # every stored record has one
        return Alert(
            rule=self.rule,
            labels=dict(self.labels),
            annotations=dict(self.annotations),
            state=self.state,
            value=self.value,
            threshold=self.threshold,
            starts_at=starts,
            ends_at=self.resolved_at if self.state is AlertState.RESOLVED else None,
            generator_url=self.generator_url,
            context=dict(self.context),
            links=dict(self.links),
        )

    def replace(self, **changes: Any) -> AlertRecord:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True, slots=True)
class Timing:
    """A rule's `for` and `keep_firing_for`, in seconds."""

    pending_seconds: float = 0.0
    keep_firing_seconds: float = 0.0


def step(
    previous: AlertRecord | None,
    seen: Sample | None,
    timing: Timing,
    now: datetime,
    fresh: AlertRecord,
) -> AlertRecord | None:
    """The next state of a condition alert; None means inactive (no record is kept).

    `fresh` is what this evaluation would store for the alert (labels, annotations, value,
    evidence) with `state` unset; `seen` is None when the source did not return its labels.
    """
    holds = seen is not None and seen.breached
    if previous is None or previous.state in (AlertState.INACTIVE, AlertState.RESOLVED):
        return _start(previous, holds, timing, now, fresh)
    if previous.state is AlertState.PENDING:
        return _pending(previous, holds, timing, now, fresh)
    return _firing(previous, seen, holds=holds, timing=timing, now=now, fresh=fresh)


def _start(
    previous: AlertRecord | None, holds: bool, timing: Timing, now: datetime, fresh: AlertRecord
) -> AlertRecord | None:
    """From inactive or resolved: pending (or firing at once without `for`) when it holds."""
    if not holds:
        return previous  # stays resolved (or inactive): nothing new to say
    if timing.pending_seconds <= 0:
        return fresh.replace(state=AlertState.FIRING, active_since=now, fired_at=now)
    return fresh.replace(state=AlertState.PENDING, active_since=now)


def _pending(
    previous: AlertRecord, holds: bool, timing: Timing, now: datetime, fresh: AlertRecord
) -> AlertRecord | None:
    """Firing once it held for `for`; inactive as soon as it does not."""
    if not holds:
        return None
    since = previous.active_since or now
    if (now - since).total_seconds() >= timing.pending_seconds:
        return fresh.replace(state=AlertState.FIRING, active_since=since, fired_at=now)
    return fresh.replace(state=AlertState.PENDING, active_since=since)


def _firing(
    previous: AlertRecord,
    seen: Sample | None,
    *,
    holds: bool,
    timing: Timing,
    now: datetime,
    fresh: AlertRecord,
) -> AlertRecord:
    """Firing while it holds and `keep_firing_for` after it stops; then resolved.

    (A condition alert is never nodata or error: those are alerts of their own.)
    """
    kept = fresh.replace(
        state=AlertState.FIRING,
        active_since=previous.active_since,
        fired_at=previous.fired_at,
        context={**previous.context, **fresh.context},
        links={**previous.links, **fresh.links},
    )
    if holds:
        return kept
    clear_since = previous.clear_since or now
    if (now - clear_since).total_seconds() >= timing.keep_firing_seconds:
        return _resolved(previous, now, seen)
    return kept.replace(
        clear_since=clear_since,
        value=previous.value if seen is None else seen.value,
    )


def step_problem(
    previous: AlertRecord | None, problem: AlertRecord | None, now: datetime
) -> AlertRecord | None:
    """The next state of a rule's `nodata` or `error` alert: active while `problem` is given."""
    if problem is not None:
        if previous is not None and previous.state is problem.state:
            return problem.replace(active_since=previous.active_since, fired_at=previous.fired_at)
        return problem.replace(active_since=now, fired_at=now)
    if previous is None or previous.state is AlertState.RESOLVED:
        return previous
    return _resolved(previous, now, None)


def _resolved(previous: AlertRecord, now: datetime, seen: Sample | None) -> AlertRecord:
    return previous.replace(
        state=AlertState.RESOLVED,
        resolved_at=now,
        clear_since=None,
        value=previous.value if seen is None else seen.value,
    )


def problem_labels(rule: str, rule_labels: Mapping[str, str], state: AlertState) -> dict[str, str]:
    """Labels of a rule's `nodata` / `error` alert: a warning for the pipeline's receiver."""
    return {
        **rule_labels,
        "alertname": rule,
        "severity": Severity.WARNING.value,
        ALERTSTATE_LABEL: state.value,
    }
