"""The read side's caches: parsed objects by version, and values for a while."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from observability.dashboard.cache import Memo, ObjectCache
from observability.dashboard.listing import Entry
from observability.store.local import LocalStore


def test_objects_are_parsed_once_per_version(tmp_path: Path) -> None:
    """A version is read once; a new version is read again; an unknown one every time."""
    store = LocalStore(tmp_path, fsync=False)
    store.put("k.json", b"1")
    reads: list[str] = []

    def parse(key: str, data: bytes) -> int:
        reads.append(key)
        return int(data)

    cache = ObjectCache(store, parse)
    assert cache.get(Entry("k.json", "v1")) == 1
    assert cache.get(Entry("k.json", "v1")) == 1
    assert reads == ["k.json"] and cache.peek(Entry("k.json", "v1")) == 1
    store.put("k.json", b"2")
    assert cache.get(Entry("k.json", "v2")) == 2
    assert cache.get(Entry("k.json", "")) == 2 and cache.get(Entry("k.json", "")) == 2
    assert len(reads) == 4 and cache.peek(Entry("k.json", "")) is None


def test_object_cache_is_bounded(tmp_path: Path) -> None:
    """Past its size the least recently used object is dropped."""
    store = LocalStore(tmp_path, fsync=False)
    for i in range(3):
        store.put(f"{i}.json", str(i).encode())
    cache = ObjectCache(store, lambda _key, data: int(data), max_entries=2)
    for i in range(3):
        cache.get(Entry(f"{i}.json", "v"))
    assert len(cache) == 2 and cache.peek(Entry("0.json", "v")) is None


def test_memo_computes_once_for_concurrent_callers() -> None:
    """Callers of one missing key wait for one computation instead of each running it."""
    calls: list[int] = []
    memo: Memo[int] = Memo(ttl=60)

    def slow() -> int:
        calls.append(1)
        time.sleep(0.2)
        return 42

    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: results.append(memo.get("k", slow))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [42] * 8 and len(calls) == 1


def test_memo_serves_the_old_value_while_one_caller_refreshes() -> None:
    """After the TTL, one caller recomputes while the others get the expired value at once."""
    now = [0.0]
    memo: Memo[str] = Memo(ttl=1.0, clock=lambda: now[0])
    assert memo.get("k", lambda: "old") == "old"
    now[0] = 5.0
    started, release = threading.Event(), threading.Event()

    def refresh() -> str:
        started.set()
        release.wait(5)
        return "new"

    refresher = threading.Thread(target=lambda: memo.get("k", refresh))
    refresher.start()
    assert started.wait(5)
    assert memo.get("k", lambda: "never") == "old"
    release.set()
    refresher.join()
    assert memo.get("k", lambda: "never") == "new"
    assert Memo[int](ttl=0).get("k", lambda: 7) == 7
