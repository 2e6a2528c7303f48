"""The service's copy of the keys: no store read per request, new and revoked keys seen in
time, and a store outage survived for a while, then refused."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest

from observability.auth.apikeys import KeyStore
from observability.auth.keyring import STALE_FACTOR, KeyRing
from observability.auth.roles import KeyRole
from observability.auth.secret import ServerSecret
from observability.core.errors import StoreError
from observability.service.errors import UnauthorizedError
from observability.store.local import LocalStore

SECRET = ServerSecret(b"k" * 40)
TTL = 10.0


class Clock:
    """Monotonic time that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingStore(LocalStore):
    """A real local store that counts reads and can be told to fail them."""

    def __init__(self, store: LocalStore) -> None:
        super().__init__(store.root, fsync=False)
        self.calls: Counter[str] = Counter()
        self.failing = False

    def list(self, prefix: str = "") -> Iterator[str]:
        self.calls["list"] += 1
        if self.failing:
            raise OSError("the disk went away")
        return super().list(prefix)

    def get(self, key: str) -> bytes:
        self.calls["get"] += 1
        return super().get(key)


@pytest.fixture
def counting(store: LocalStore) -> CountingStore:
    """The test store, counted."""
    return CountingStore(store)


def ring_of(store: LocalStore, clock: Clock) -> KeyRing:
    """A ring over `store` with the test secret and clock."""
    return KeyRing(KeyStore(store), lambda: SECRET, TTL, clock=clock)


def test_steady_state_reads_nothing(counting: CountingStore) -> None:
    """Checks within the TTL read nothing; after it, one listing and no record re-read."""
    key, _ = KeyStore(counting).create(KeyRole.VIEWER, "v", SECRET)
    clock = Clock()
    ring = ring_of(counting, clock)
    ring.refresh()
    before = counting.calls.copy()
    for _ in range(1000):
        assert not ring.stale()
        assert ring.check(key).roles == {KeyRole.VIEWER}
    assert counting.calls == before
    clock.now += TTL
    assert ring.stale()
    ring.refresh()
    assert counting.calls - before == Counter({"list": 1})


def test_revocation_counts_within_the_ttl(store: LocalStore) -> None:
    """A key revoked in the store is refused at the first refresh after the TTL."""
    keystore = KeyStore(store)
    key, record = keystore.create(KeyRole.ADMIN, "a", SECRET)
    clock = Clock()
    ring = ring_of(store, clock)
    ring.refresh()
    keystore.revoke(record.key_id)
    assert ring.check(key).subject == record.key_id  # still trusted inside the TTL
    clock.now += TTL
    ring.refresh()
    with pytest.raises(UnauthorizedError, match="revoked"):
        ring.check(key)


def test_unknown_id_forces_a_look_at_most_once_a_second(counting: CountingStore) -> None:
    """A fresh key's id makes the ring look again at once; random ids cannot make every
    request a listing."""
    clock = Clock()
    ring = ring_of(counting, clock)
    ring.refresh()
    clock.now += 1.5
    key, _ = KeyStore(counting).create(KeyRole.INGEST, "i", SECRET)
    assert not ring.known(key)
    ring.refresh(force=True)
    assert ring.check(key).roles == {KeyRole.INGEST}
    listings = counting.calls["list"]
    for _ in range(50):
        ring.refresh(force=True)
    assert counting.calls["list"] == listings


def test_store_outage_uses_the_last_copy_then_refuses(counting: CountingStore) -> None:
    """While the store fails, the last copy serves up to STALE_FACTOR TTLs, then 503s."""
    key, _ = KeyStore(counting).create(KeyRole.VIEWER, "v", SECRET)
    clock = Clock()
    ring = ring_of(counting, clock)
    ring.refresh()
    counting.failing = True
    clock.now += TTL
    ring.refresh()
    assert ring.check(key).roles == {KeyRole.VIEWER}
    clock.now += TTL * STALE_FACTOR
    with pytest.raises(StoreError, match="the disk went away"):
        ring.refresh()


def test_first_listing_failing_is_an_error(counting: CountingStore) -> None:
    """With no copy at all, a failing store is a StoreError (a 503), never an open door."""
    counting.failing = True
    ring = ring_of(counting, Clock())
    with pytest.raises(StoreError):
        ring.refresh()
    assert not ring.auth_on


def test_a_key_made_under_another_secret_is_named(
    store: LocalStore, caplog: pytest.LogCaptureFixture
) -> None:
    """A key hashed with another server secret is refused, and the log says why (once)."""
    key, record = KeyStore(store).create(KeyRole.VIEWER, "elsewhere", ServerSecret(b"o" * 40))
    clock = Clock()
    ring = ring_of(store, clock)
    ring.refresh()
    clock.now += TTL
    ring.refresh()
    with pytest.raises(UnauthorizedError, match="not valid"):
        ring.check(key)
    messages = [r.getMessage() for r in caplog.records if "another server secret" in r.getMessage()]
    assert len(messages) == 1 and record.key_id in messages[0]
    assert key not in caplog.text
