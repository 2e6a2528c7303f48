"""Two small caches of the read side: parsed objects by version, and values for a while.

- `ObjectCache`: what an object parses to, by (key, version): a drift window's rows are
  read and parsed once per version of its file, whatever the number of requests. An object
  of unknown version ("") is read every time. Bounded, least recently used out first.
- `Memo`: a computed value per key for `ttl` seconds, computed by one caller at a time
  (the others wait for it instead of running the same query).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from observability.dashboard.listing import Entry
from observability.store.base import ObjectStore

T = TypeVar("T")


class ObjectCache(Generic[T]):
    """`parse(bytes)` of stored objects, cached by key and version."""

    def __init__(
        self, store: ObjectStore, parse: Callable[[str, bytes], T], max_entries: int = 50_000
    ) -> None:
        self._store = store
        self._parse = parse
        self._max = max_entries
        self._items: OrderedDict[Entry, T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, entry: Entry) -> T:
        """The parsed object; KeyError when it is gone (removed since it was listed)."""
        if entry.version:
            with self._lock:
                hit = self._items.get(entry)
                if hit is not None:
                    self._items.move_to_end(entry)
                    return hit
        value = self._parse(entry.key, self._store.get(entry.key))
        if entry.version:
            with self._lock:
                self._items[entry] = value
                while len(self._items) > self._max:
                    self._items.popitem(last=False)
        return value

    def peek(self, entry: Entry) -> T | None:
        """The cached object, or None when it would have to be read."""
        with self._lock:
            return self._items.get(entry) if entry.version else None

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


class Memo(Generic[T]):
    """Values by key for `ttl` seconds; concurrent callers of one key share one computation.

    Once a value has expired, one caller computes the next while the others keep getting
    the expired one (stale-while-revalidate): under load, a refresh never queues every
    request behind it.
    """

    def __init__(
        self, ttl: float, max_entries: int = 1_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._clock = clock
        self._values: OrderedDict[Hashable, tuple[float, T]] = OrderedDict()
        self._locks: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def fresh(self, key: Hashable) -> T | None:
        """The value of `key` if it is within its TTL, else None; never computes or waits."""
        with self._lock:
            hit = self._values.get(key)
        return hit[1] if hit is not None and hit[0] > self._clock() else None

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value of `key`, computed now when absent (or expired, by one caller)."""
        if self._ttl <= 0:
            return compute()
        with self._lock:
            hit = self._values.get(key)
            key_lock = self._locks.setdefault(key, threading.Lock())
        if hit is not None and hit[0] > self._clock():
            return hit[1]
        if hit is not None and not key_lock.acquire(blocking=False):
            return hit[1]  # another caller is refreshing it
        if hit is None:
            key_lock.acquire()  # the first value: everyone waits for it
        try:
            with self._lock:
                current = self._values.get(key)
            if current is not None and current[0] > self._clock():
                return current[1]  # computed by the caller we waited for
            value = compute()
            with self._lock:
                self._values[key] = (self._clock() + self._ttl, value)
                self._values.move_to_end(key)
                while len(self._values) > self._max:
                    dropped, _ = self._values.popitem(last=False)
                    self._locks.pop(dropped, None)
            return value
        finally:
            key_lock.release()
