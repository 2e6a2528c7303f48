"""`/api/v1/alerts` and `/api/v1/silences`: alert states, their history, and silences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from observability.alerting.history import Transition, write_transitions
from observability.alerting.model import AlertState
from observability.alerting.rules import AlertRecord
from observability.alerting.state import StateStore
from observability.dashboard.schemas import AlertHistoryPage, AlertList, SilenceList, SilenceView
from observability.store.local import LocalStore

NOW = datetime.now(UTC).replace(microsecond=0)


def _record(model: str, state: AlertState) -> AlertRecord:
    return AlertRecord(
        rule="fraud-drift",
        rule_group="models",
        labels={"alertname": "fraud-drift", "model": model, "severity": "warning"},
        state=state,
        annotations={"summary": f"{model} drifted"},
        value=0.5,
        threshold=0.3,
        active_since=NOW - timedelta(minutes=10),
        fired_at=NOW - timedelta(minutes=5) if state is AlertState.FIRING else None,
        context={"drifted_features": [{"feature": "amount", "score": 0.4}]},
        links={"model": f"http://127.0.0.1:8000/models/{model}"},
    )


def test_alerts_most_urgent_first_with_their_silence(client: TestClient, store: LocalStore) -> None:
    """Stored alerts come most urgent first; a silence matching one is named on it."""
    states = StateStore(store)
    states.save(_record("churn", AlertState.PENDING), None)
    states.save(_record("fraud", AlertState.FIRING), None)
    created = client.post(
        "/api/v1/silences",
        json={"matchers": ['model="fraud"'], "duration": "2h", "comment": "retraining"},
    )
    assert created.status_code == 201, created.text
    silence = SilenceView.model_validate_json(created.content)
    assert silence.state == "active" and silence.created_by == "local:local"
    body = AlertList.model_validate_json(client.get("/api/v1/alerts").content)
    assert [(a.labels["model"], a.state) for a in body.alerts] == [
        ("fraud", "firing"),
        ("churn", "pending"),
    ]
    assert body.alerts[0].silenced_by == silence.id and body.alerts[1].silenced_by is None
    assert body.alerts[0].context["drifted_features"][0]["feature"] == "amount"
    firing = AlertList.model_validate_json(client.get("/api/v1/alerts?state=firing").content)
    assert len(firing.alerts) == 1


def test_history_pages_state_changes(client: TestClient, store: LocalStore) -> None:
    """Every transition is listed once, newest first, across pages."""
    record = _record("fraud", AlertState.FIRING)
    for minutes, (before, after) in enumerate(
        [(AlertState.INACTIVE, AlertState.PENDING), (AlertState.PENDING, AlertState.FIRING)]
    ):
        at = NOW - timedelta(minutes=30 - minutes)
        write_transitions(store, [Transition(at, before, after, record)], "test", at)
    first = AlertHistoryPage.model_validate_json(
        client.get("/api/v1/alerts/history?limit=1").content
    )
    assert [i.to_state for i in first.items] == ["firing"] and first.next_cursor
    second = AlertHistoryPage.model_validate_json(
        client.get(f"/api/v1/alerts/history?limit=1&cursor={first.next_cursor}").content
    )
    assert [i.to_state for i in second.items] == ["pending"] and second.next_cursor is None
    assert second.items[0].labels["model"] == "fraud"
    assert client.get("/api/v1/alerts/history?rule=other").json()["items"] == []


def test_silences_are_listed_and_expired(client: TestClient) -> None:
    """A created silence is listed as active; expiring it ends it; an unknown id is a 404."""
    created = client.post(
        "/api/v1/silences",
        json={"matchers": ['alertname="x"'], "ends_at": "30d", "comment": "c"},
    )
    assert created.status_code == 400  # `30d` is 30 days ago: a silence must end later
    created = client.post(
        "/api/v1/silences", json={"matchers": ['alertname="x"'], "duration": "1h", "comment": "c"}
    )
    silence_id = created.json()["id"]
    listed = SilenceList.model_validate_json(client.get("/api/v1/silences?state=active").content)
    assert [s.id for s in listed.silences] == [silence_id]
    expired = client.delete(f"/api/v1/silences/{silence_id}")
    assert expired.status_code == 200 and expired.json()["state"] == "expired"
    assert client.get("/api/v1/silences?state=active").json()["silences"] == []
    assert client.delete("/api/v1/silences/0123456789abcdef").status_code == 404


def test_bad_silences_are_refused(client: TestClient) -> None:
    """A matcher that does not parse, both or neither end, or an unknown field is a 4xx."""
    bad_matcher = client.post(
        "/api/v1/silences", json={"matchers": ["no operator"], "duration": "1h", "comment": "c"}
    )
    assert bad_matcher.status_code == 400 and "matcher" in bad_matcher.json()["detail"]
    both = client.post(
        "/api/v1/silences",
        json={"matchers": ['a="b"'], "duration": "1h", "ends_at": "2200-01-01", "comment": "c"},
    )
    assert both.status_code == 400
    extra = client.post(
        "/api/v1/silences",
        json={"matchers": ['a="b"'], "duration": "1h", "comment": "c", "author": "me"},
    )
    assert extra.status_code == 422
