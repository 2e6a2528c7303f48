"""Silences in the store: made with checks, listed, muting by matchers in their range, expired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from observability.alerting.silences import (
    Silence,
    SilenceError,
    SilenceState,
    SilenceStore,
    muted_by,
    new_silence,
)
from observability.store.local import LocalStore

NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)


def _silence(
    start: datetime = NOW, hours: int = 2, matchers: tuple[str, ...] = ('model="fraud"',)
) -> Silence:
    return new_silence(
        list(matchers),
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        created_by="oncall",
        comment="retraining",
        now=NOW,
    )


def test_a_silence_mutes_matching_alerts_within_its_range(store: LocalStore) -> None:
    """Active between start and end, for labels all its matchers select."""
    silences = SilenceStore(store)
    made = silences.add(_silence(matchers=('model="fraud"', 'severity!="critical"')))
    later = silences.add(_silence(start=NOW + timedelta(hours=5)))
    assert [s.id for s in silences.all()] == sorted([made.id, later.id], reverse=True)
    active = silences.active(NOW + timedelta(minutes=1))
    assert [s.id for s in active] == [made.id]
    fraud = {"model": "fraud", "severity": "warning"}
    assert muted_by(active, fraud, NOW) is not None
    assert muted_by(active, {**fraud, "severity": "critical"}, NOW) is None
    assert muted_by(active, fraud, NOW + timedelta(hours=3)) is None
    assert later.state(NOW) is SilenceState.PENDING
    assert silences.get(made.id) == made


def test_expiring_ends_it_now_and_is_idempotent(store: LocalStore) -> None:
    """Expired at the given instant; expiring again changes nothing; a pending one too."""
    silences = SilenceStore(store)
    made = silences.add(_silence())
    pending = silences.add(_silence(start=NOW + timedelta(hours=1)))
    at = NOW + timedelta(minutes=30)
    ended = silences.expire(made.id, at)
    assert ended.ends_at == at and ended.state(at) is SilenceState.EXPIRED
    assert silences.expire(made.id, at + timedelta(hours=1)) == ended
    assert silences.expire(pending.id, at).state(at) is SilenceState.EXPIRED
    assert silences.active(at) == []
    with pytest.raises(SilenceError, match="no silence"):
        silences.expire("nope", at)
    with pytest.raises(SilenceError, match="no silence"):
        silences.get("../etc")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"matchers": ()}, "at least one matcher"),
        ({"matchers": ('team=~".*"',)}, "would mute all"),
        ({"matchers": ("nonsense",)}, "matcher:"),
        ({"hours": -1}, "ends after it starts"),
        ({"start": NOW - timedelta(hours=5)}, "must end in the future"),
    ],
)
def test_a_bad_silence_is_refused(kwargs: dict[str, object], message: str) -> None:
    """Each problem is a SilenceError saying which."""
    with pytest.raises(SilenceError, match=message):
        _silence(**kwargs)  # type: ignore[arg-type]


def test_long_expired_silences_are_pruned(store: LocalStore) -> None:
    """Silences expired more than five days ago are deleted; recent ones are kept."""
    silences = SilenceStore(store)
    old = silences.add(_silence())
    recent = silences.add(_silence(hours=100))
    assert silences.prune(NOW + timedelta(days=6)) == [old.id]
    assert [s.id for s in silences.all()] == [recent.id]
