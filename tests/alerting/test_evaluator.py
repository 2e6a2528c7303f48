"""One evaluation pass after another over a real store and DuckDB: states, timers, retries,
silences and the `alerts` table, as receivers and SQL see them."""

from __future__ import annotations

from datetime import timedelta

from observability.alerting.model import AlertState
from observability.alerting.silences import SilenceStore, new_silence
from observability.core.schema import Kind
from observability.query.duckdb import DuckDBEngine
from observability.store.local import LocalStore
from tests.alerting.conftest import Harness, errors_rule_yaml, harness, log, minute, write


def _errors_at(store: LocalStore, minutes: range | list[int], service: str = "checkout") -> None:
    """One error log in each given minute (30 s in), so the 1-minute window ending at the
    next minute sees it."""
    write(
        store,
        [log(service, minute(n) + timedelta(seconds=30), level="error") for n in minutes],
        Kind.LOG,
    )


def _times(h: Harness, receiver: str = "team") -> list[tuple[str, int]]:
    return [(n.status, len(n.alerts)) for n in h.sent(receiver)]


def test_fires_once_after_for_repeats_after_repeat_interval_and_resolves_once(
    local_store: LocalStore, engine: DuckDBEngine
) -> None:
    """Pending for `for`, one notification after group_wait, one repeat after
    repeat_interval, one resolved notification, and nothing else; the gauge follows."""
    h = harness(local_store, engine, errors_rule_yaml(**{"for": "2m"}))
    _errors_at(local_store, range(40))
    states = {}
    sent_at = []
    for n in range(1, 50):
        result = h.tick(n)
        for transition in result.transitions:
            states[n] = transition.after
        sent_at += [n] * sum(1 for d in result.dispatch.deliveries if d.outcome == "sent")
        if n == 39:
            assert (h.gauge("firing"), h.gauge("pending")) == (1.0, 0.0)
    assert states == {1: AlertState.PENDING, 3: AlertState.FIRING, 41: AlertState.RESOLVED}
    assert (h.gauge("firing"), h.gauge("resolved")) == (0.0, 1.0)
    # fired at 3, group_wait 1m -> 4; repeat 30m -> 34; resolved at 41 (>= 5m after 34)
    assert sent_at == [4, 34, 41]
    assert _times(h) == [("firing", 1), ("firing", 1), ("resolved", 1)]
    first = h.sent()[0].alerts[0]
    assert first.labels["service"] == "checkout"
    assert first.annotations["summary"] == "checkout: 1 errors"
    assert first.starts_at == minute(3)
    assert h.sent()[2].alerts[0].ends_at == minute(41)
    assert h.sent("ops") == ()


def test_transitions_are_rows_of_the_alerts_table(
    local_store: LocalStore, engine: DuckDBEngine
) -> None:
    """Every transition is one row of `alerts`, queryable in SQL with its labels and value."""
    h = harness(local_store, engine, errors_rule_yaml(**{"for": "1m"}))
    _errors_at(local_store, range(3))
    for n in range(1, 6):
        h.tick(n)
    rows = engine.execute(
        "SELECT rule, from_state, to_state, value, changed_at FROM alerts ORDER BY changed_at"
    ).to_dicts()
    assert [(r["rule"], r["from_state"], r["to_state"]) for r in rows] == [
        ("errors", "inactive", "pending"),
        ("errors", "pending", "firing"),
        ("errors", "firing", "resolved"),
    ]
    assert [r["changed_at"] for r in rows] == [
        minute(1).replace(tzinfo=None),
        minute(2).replace(tzinfo=None),
        minute(4).replace(tzinfo=None),
    ]
    assert rows[0]["value"] == 1.0


def test_an_alternating_value_notifies_at_most_once_per_group_interval(
    local_store: LocalStore, engine: DuckDBEngine
) -> None:
    """A value that breaches every other evaluation stays firing with keep_firing_for: one
    notification, then only the repeat, never more than one per group_interval."""
    _errors_at(local_store, range(0, 60, 2))
    h = harness(local_store, engine, errors_rule_yaml(keep_firing_for="3m"))
    states, sent = [], []
    for n in range(1, 60):
        result = h.tick(n)
        states += [t.after for t in result.transitions]
        sent += [n for d in result.dispatch.deliveries if d.outcome == "sent"]
    assert states == [AlertState.FIRING]
    assert sent == [2, 32]  # first after group_wait, then the repeat after 30m
    assert _times(h) == [("firing", 1), ("firing", 1)]


def test_a_receiver_down_for_three_evaluations_gets_the_notification_once_afterwards(
    local_store: LocalStore, engine: DuckDBEngine
) -> None:
    """Failed deliveries are kept and retried each evaluation; once it is back, one arrives."""
    h = harness(local_store, engine, errors_rule_yaml())
    _errors_at(local_store, range(20))
    team = h.notifiers["team"]
    h.tick(1)  # fires
    team.set_down(True)
    outcomes = [[d.outcome for d in h.tick(n).dispatch.deliveries] for n in (2, 3, 4)]
    assert outcomes == [["failed"], ["failed"], ["failed"]]
    team.set_down(False)
    assert [d.outcome for d in h.tick(5).dispatch.deliveries] == ["sent"]
    for n in range(6, 15):
        h.tick(n)
    assert team.attempts == 4
    assert _times(h) == [("firing", 1)]


def test_a_silence_suppresses_and_its_expiry_restores(
    local_store: LocalStore, engine: DuckDBEngine
) -> None:
    """While silenced the firing alert is muted (nothing sent); expired, it is notified."""
    h = harness(local_store, engine, errors_rule_yaml())
    _errors_at(local_store, range(30))
    silences = SilenceStore(local_store)
    made = silences.add(
        new_silence(
            ['service="checkout"'],
            starts_at=minute(0),
            ends_at=minute(60),
            created_by="oncall",
            comment="deploy in progress",
            now=minute(0),
        )
    )
    for n in range(1, 10):
        result = h.tick(n)
        assert result.dispatch.deliveries == []
    assert [m.reason.split(" (")[0] for m in result.dispatch.muted] == [f"silenced by {made.id}"]
    silences.expire(made.id, minute(10))
    assert [d.outcome for d in h.tick(10).dispatch.deliveries] == ["sent"]
    assert _times(h) == [("firing", 1)]


def test_alerts_of_a_removed_rule_resolve(local_store: LocalStore, engine: DuckDBEngine) -> None:
    """After a rule leaves alerts.yaml its firing alert resolves, and its receiver hears so."""
    _errors_at(local_store, range(10))
    before = harness(local_store, engine, errors_rule_yaml())
    before.tick(1)
    before.tick(2)
    assert _times(before) == [("firing", 1)]
    after = harness(
        local_store, engine, errors_rule_yaml(name="errors-v2"), notifiers=before.notifiers
    )
    result = after.tick(8)
    assert sorted(str(t).split(": ", 1)[1] for t in result.transitions) == [
        "firing -> resolved",  # the old rule's alert
        "inactive -> firing",  # the new rule's
    ]
    assert _times(after) == [("firing", 1), ("resolved", 1)]
