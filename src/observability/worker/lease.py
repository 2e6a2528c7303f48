"""Leases in the store: one running task per job and target, across workers and hosts.

A lease is an object at `keys.lease_key(job, target)` naming its holder and when it
expires. It is taken with a create-if-absent put, renewed and released with writes
conditional on the ETag the holder last wrote, so two workers never both believe they
hold it. A holder that dies stops renewing; once the expiry passes, another worker takes
the lease over with a put conditional on the ETag it read (two of them racing: one wins).
The store's conditional writes do the arbitration; S3 evaluates them atomically.

While a task runs, `Leases.hold` renews the lease from a background thread every third of
its time to live, so a long drift run keeps it and a killed process loses it at expiry.
Expiry is compared across hosts, so the workers' clocks are assumed to agree (NTP) to well
within the time to live (minutes by default).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final

import orjson

from observability.core import keys
from observability.store.base import ObjectStore

log = logging.getLogger(__name__)

LEASE_VERSION: Final = 1


@dataclass(frozen=True, slots=True)
class Lease:
    """A lease this worker holds: what the object says, and the ETag of our last write."""

    job: str
    target: str
    holder: str
    acquired_at: datetime
    expires_at: datetime
    etag: str

    @property
    def key(self) -> str:
        """The lease object's key."""
        return keys.lease_key(self.job, self.target)

    def body(self) -> bytes:
        """The lease object: holder and timestamps, readable by people and other workers."""
        return orjson.dumps(
            {
                "version": LEASE_VERSION,
                "job": self.job,
                "target": self.target,
                "holder": self.holder,
                "acquired_at": self.acquired_at.isoformat(),
                "expires_at": self.expires_at.isoformat(),
            }
        )


@dataclass(frozen=True, slots=True)
class Busy:
    """Another worker holds the lease until `expires_at` (a good moment to try again)."""

    holder: str
    expires_at: datetime


def _read(data: bytes) -> Busy | None:
    """Holder and expiry of a lease object; None for an object that is not one."""
    try:
        raw = orjson.loads(data)
        return Busy(str(raw["holder"]), datetime.fromisoformat(raw["expires_at"]))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


def _names(lease: Lease) -> tuple[str, str]:
    return lease.job, lease.target


class Leases:
    """Takes, renews and releases leases for one holder; time comes from `clock`."""

    def __init__(
        self,
        store: ObjectStore,
        holder: str,
        ttl: timedelta,
        clock: Callable[[], datetime],
    ) -> None:
        if ttl <= timedelta(0):
            raise ValueError("a lease's time to live must be positive")
        self.store = store
        self.holder = holder
        self.ttl = ttl
        self._clock = clock

    def acquire(self, job: str, target: str) -> Lease | Busy:
        """Take the lease if it is free or expired; else who holds it and until when."""
        key = keys.lease_key(job, target)
        now = self._clock()
        lease = Lease(job, target, self.holder, now, now + self.ttl, etag="")
        # Each attempt loses only to another worker's write between our two requests (a
        # release, a takeover); the next attempt then sees that worker's lease.
        for _attempt in range(3):
            etag = self.store.put_if_absent(key, lease.body())
            if etag is not None:
                return replace(lease, etag=etag)
            try:
                data, current = self.store.get_versioned(key)
            except KeyError:
                continue
            held = _read(data)
            if held is not None and held.expires_at > now:
                return held
            etag = self.store.put_if_match(key, lease.body(), current)
            if etag is None:
                continue
            previous = "an unreadable lease" if held is None else f"{held.holder}'s lease"
            log.warning("job %s target %s: took over %s (expired)", job, target, previous)
            return replace(lease, etag=etag)
        return Busy("unknown", now + self.ttl)

    def renew(self, lease: Lease) -> Lease | None:
        """Extend the lease by its time to live; None when it is no longer ours."""
        renewed = replace(lease, expires_at=self._clock() + self.ttl)
        etag = self.store.put_if_match(lease.key, renewed.body(), lease.etag)
        return None if etag is None else replace(renewed, etag=etag)

    def release(self, lease: Lease) -> bool:
        """Remove the lease if it is still ours; False when it was lost (expired, taken)."""
        return self.store.delete_if_match(lease.key, lease.etag)

    @contextmanager
    def hold(
        self,
        lease: Lease,
        renew_every: float | None = None,
        on_renewed: Callable[[], None] | None = None,
    ) -> Iterator[Renewal]:
        """Keep `lease` renewed while the block runs (calling `on_renewed` after each
        renewal), then release it."""
        interval = renew_every if renew_every is not None else self.ttl.total_seconds() / 3
        renewal = Renewal(self, lease, interval, on_renewed)
        renewal.start()
        try:
            yield renewal
        finally:
            renewal.stop()
            current = renewal.lease
            try:
                if current is not None and not self.release(current):
                    log.warning("job %s target %s: lease lost before release", *_names(lease))
            except Exception:
                # The run itself is over; an unreleased lease only expires.
                log.exception("job %s target %s: lease release failed", *_names(lease))


class Renewal:
    """A thread that renews one lease every `interval` seconds until stopped or lost."""

    def __init__(
        self,
        leases: Leases,
        lease: Lease,
        interval: float,
        on_renewed: Callable[[], None] | None = None,
    ) -> None:
        self._leases = leases
        self._on_renewed = on_renewed
        self._lock = threading.Lock()
        self._lease: Lease | None = lease
        self._interval = max(interval, 0.05)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"lease-{lease.job}", daemon=True)

    @property
    def lease(self) -> Lease | None:
        """The lease as last renewed; None once it was lost."""
        with self._lock:
            return self._lease

    def start(self) -> None:
        """Start renewing."""
        self._thread.start()

    def stop(self) -> None:
        """Stop renewing (the lease stays as it is)."""
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            current = self.lease
            if current is None:
                return
            try:
                renewed = self._leases.renew(current)
            except Exception:
                # The store may be back before the lease expires: keep trying.
                log.exception("job %s target %s: lease renewal failed", current.job, current.target)
                continue
            with self._lock:
                self._lease = renewed
            if renewed is None:
                log.error(
                    "job %s target %s: lease lost while running (another worker took it over)",
                    current.job,
                    current.target,
                )
                return
            if self._on_renewed is not None:
                self._on_renewed()
