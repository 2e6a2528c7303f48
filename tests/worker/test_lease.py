"""Leases over both stores: taken once, refused while held, taken over after expiry."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from observability.core import keys
from observability.store.base import ObjectStore
from observability.store.local import LocalStore
from observability.worker.lease import Busy, Lease, Leases
from tests.worker.conftest import FakeClock

T0 = datetime(2026, 12, 1, 0, 5, tzinfo=UTC)
TTL = timedelta(minutes=5)
TARGET = "fraud~20261130T2300_20261201T0000"


def _leases(store: ObjectStore, holder: str, clock: FakeClock) -> Leases:
    return Leases(store, holder, TTL, clock.now)


def test_a_lease_is_held_by_one_worker_until_it_expires(any_store: ObjectStore) -> None:
    """A second worker is told who holds the lease and until when; after expiry it takes over."""
    clock = FakeClock(T0)
    first = _leases(any_store, "worker-a", clock).acquire("drift", TARGET)
    assert isinstance(first, Lease)
    body = orjson.loads(any_store.get(keys.lease_key("drift", TARGET)))
    assert body["holder"] == "worker-a"
    assert body["expires_at"] == (T0 + TTL).isoformat()
    second = _leases(any_store, "worker-b", clock)
    assert second.acquire("drift", TARGET) == Busy("worker-a", T0 + TTL)
    clock.advance(TTL)
    taken = second.acquire("drift", TARGET)
    assert isinstance(taken, Lease)
    assert taken.holder == "worker-b"
    assert _leases(any_store, "worker-a", clock).renew(first) is None
    assert not _leases(any_store, "worker-a", clock).release(first)
    assert orjson.loads(any_store.get(taken.key))["holder"] == "worker-b"


def test_renewal_extends_and_release_frees(any_store: ObjectStore) -> None:
    """A renewed lease outlives its first expiry; a released one is free for anyone at once."""
    clock = FakeClock(T0)
    leases = _leases(any_store, "worker-a", clock)
    lease = leases.acquire("drift", TARGET)
    assert isinstance(lease, Lease)
    clock.advance(timedelta(minutes=4))
    renewed = leases.renew(lease)
    assert renewed is not None
    clock.advance(timedelta(minutes=4))  # past the first expiry, within the renewed one
    assert isinstance(_leases(any_store, "worker-b", clock).acquire("drift", TARGET), Busy)
    assert leases.release(renewed)
    assert not any_store.exists(renewed.key)
    assert isinstance(_leases(any_store, "worker-b", clock).acquire("drift", TARGET), Lease)


def test_an_unreadable_lease_object_counts_as_expired(any_store: ObjectStore) -> None:
    """Garbage at a lease key does not block the job forever: it is taken over."""
    any_store.put(keys.lease_key("drift", TARGET), b"not json")
    lease = _leases(any_store, "worker-a", FakeClock(T0)).acquire("drift", TARGET)
    assert isinstance(lease, Lease)


def test_hold_renews_in_the_background_and_releases(any_store: ObjectStore) -> None:
    """While held, the lease object is rewritten; after the block it is gone."""
    leases = Leases(any_store, "worker-a", timedelta(seconds=30), lambda: datetime.now(UTC))
    lease = leases.acquire("compaction", "logs/service=a/dt=2026-12-01/hour=00/")
    assert isinstance(lease, Lease)
    with leases.hold(lease, renew_every=0.1) as renewal:
        deadline = time.monotonic() + 10
        while renewal.lease == lease and time.monotonic() < deadline:
            time.sleep(0.05)
        current = renewal.lease
        assert current is not None and current.etag != lease.etag
        assert current.expires_at > lease.expires_at
    assert not any_store.exists(lease.key)


def test_hold_notices_a_lost_lease(
    any_store: ObjectStore, caplog: pytest.LogCaptureFixture
) -> None:
    """A lease taken over by another worker is reported lost and not released from it."""
    clock = FakeClock(T0)
    leases = _leases(any_store, "worker-a", clock)
    lease = leases.acquire("drift", TARGET)
    assert isinstance(lease, Lease)
    clock.advance(TTL)  # worker-a stalled past its expiry; worker-b takes the lease over
    taken = _leases(any_store, "worker-b", clock).acquire("drift", TARGET)
    assert isinstance(taken, Lease)
    with leases.hold(lease, renew_every=0.05) as renewal:
        deadline = time.monotonic() + 10
        while renewal.lease is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert renewal.lease is None
    assert any_store.get_versioned(taken.key)[1] == taken.etag
    assert "lease lost while running" in caplog.text


def test_racing_takeovers_of_an_expired_lease_have_one_winner(tmp_path: Path) -> None:
    """Eight workers taking over one expired lease at once: exactly one gets it."""
    store = LocalStore(tmp_path / "root", fsync=False)
    clock = FakeClock(T0)
    assert isinstance(_leases(store, "dead", clock).acquire("drift", TARGET), Lease)
    clock.advance(TTL)
    barrier = threading.Barrier(8)
    results: list[Lease | Busy] = []

    def take(name: str) -> None:
        leases = _leases(store, name, clock)
        barrier.wait()
        results.append(leases.acquire("drift", TARGET))

    threads = [threading.Thread(target=take, args=(f"w{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    winners = [r for r in results if isinstance(r, Lease)]
    assert len(results) == 8 and len(winners) == 1
    assert {r.holder for r in results} == {winners[0].holder}
    assert orjson.loads(store.get(winners[0].key))["holder"] == winners[0].holder
