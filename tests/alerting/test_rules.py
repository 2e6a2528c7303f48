"""The alert state machine, step by step, without I/O: for, keep_firing_for, vanishing
label sets, and the rule's own nodata and error alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from observability.alerting.model import AlertState
from observability.alerting.rules import (
    AlertRecord,
    Sample,
    Timing,
    problem_labels,
    step,
    step_problem,
)

T = datetime(2026, 12, 1, 10, tzinfo=UTC)
LABELS = {"alertname": "r", "severity": "warning", "service": "checkout"}


def _fresh(value: float) -> AlertRecord:
    return AlertRecord("r", "g", LABELS, AlertState.INACTIVE, value=value, threshold=1.0)


def _run(values: list[float | None], timing: Timing) -> list[AlertState]:
    """States after each minute's value (None: the label set was not returned)."""
    record: AlertRecord | None = None
    states = []
    for minute, value in enumerate(values):
        seen = None if value is None else Sample(LABELS, value, value > 1.0)
        fresh = _fresh(value if value is not None else 0.0)
        record = step(record, seen, timing, T + timedelta(minutes=minute), fresh)
        states.append(AlertState.INACTIVE if record is None else record.state)
    return states


OFF, P, F, R = AlertState.INACTIVE, AlertState.PENDING, AlertState.FIRING, AlertState.RESOLVED


def test_pending_for_the_for_duration_then_firing() -> None:
    """A breach pends for `for`, fires, and resolves as soon as it clears."""
    assert _run([2, 2, 2, 2, 0, 0], Timing(pending_seconds=120)) == [P, P, F, F, R, R]


def test_a_pending_alert_that_clears_goes_back_to_inactive() -> None:
    """Clearing before `for` drops the alert (no record kept), and the next breach starts over."""
    assert _run([2, 0, 2, 2, 2], Timing(pending_seconds=120)) == [P, OFF, P, P, F]


def test_keep_firing_for_rides_out_short_gaps() -> None:
    """With keep_firing_for, gaps shorter than it keep the alert firing; a long one resolves."""
    timing = Timing(keep_firing_seconds=120)
    assert _run([2, 0, 2, 0, 0, 0, 0], timing) == [F, F, F, F, F, R, R]


def test_a_label_set_that_vanishes_counts_as_clear() -> None:
    """A firing alert whose labels the source stops returning resolves, keeping its value."""
    record = step(None, Sample(LABELS, 5.0, True), Timing(), T, _fresh(5.0))
    assert record is not None and record.state is F and record.fired_at == T
    gone = step(record, None, Timing(), T + timedelta(minutes=1), record)
    assert gone is not None and gone.state is R
    assert gone.value == 5.0 and gone.resolved_at == T + timedelta(minutes=1)
    assert gone.alert().ends_at == T + timedelta(minutes=1)
    assert gone.alert().starts_at == T


def test_firing_keeps_its_explanation_and_start() -> None:
    """Later evaluations keep when it fired and the evidence gathered then."""
    first = step(None, Sample(LABELS, 5.0, True), Timing(), T, _fresh(5.0))
    assert first is not None
    explained = first.replace(context={"top_errors": [1]}, links={"logs": "u"})
    later = step(
        explained, Sample(LABELS, 6.0, True), Timing(), T + timedelta(minutes=3), _fresh(6.0)
    )
    assert later is not None
    assert later.fired_at == T and later.value == 6.0
    assert later.context == {"top_errors": [1]} and later.links == {"logs": "u"}


def test_problem_alerts_start_at_once_and_resolve_when_answered() -> None:
    """An error alert is active from the first failure, unchanged while it lasts, then resolved."""
    labels = problem_labels("r", {"team": "ml"}, AlertState.ERROR)
    assert labels == {"team": "ml", "alertname": "r", "severity": "warning", "alertstate": "error"}
    problem = AlertRecord("r", "g", labels, AlertState.ERROR, context={"error": "boom"})
    first = step_problem(None, problem, T)
    assert first is not None and first.state is AlertState.ERROR and first.fired_at == T
    again = step_problem(first, problem, T + timedelta(minutes=1))
    assert again == first
    done = step_problem(again, None, T + timedelta(minutes=2))
    assert done is not None and done.state is R
    assert step_problem(None, None, T) is None
