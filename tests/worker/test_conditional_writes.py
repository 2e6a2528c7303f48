"""Conditional writes of both stores: create-if-absent, compare-and-swap, delete-if-unchanged."""

from __future__ import annotations

import multiprocessing
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest

from observability.store.base import ObjectStore
from observability.store.local import LOCK_NAME, LocalStore

KEY = "leases/drift/fraud.json"


def test_put_if_absent_creates_once(any_store: ObjectStore) -> None:
    """The first create returns an ETag, the second returns None and leaves the first body."""
    etag = any_store.put_if_absent(KEY, b"first")
    assert etag is not None
    assert any_store.put_if_absent(KEY, b"second") is None
    assert any_store.get_versioned(KEY) == (b"first", etag)


def test_put_if_match_swaps_only_the_version_read(any_store: ObjectStore) -> None:
    """A swap against the current ETag wins once; a stale or missing one is refused."""
    first = any_store.put_if_absent(KEY, b"one")
    assert first is not None
    second = any_store.put_if_match(KEY, b"two", first)
    assert second is not None and second != first
    assert any_store.put_if_match(KEY, b"three", first) is None
    assert any_store.get(KEY) == b"two"
    assert any_store.put_if_match("leases/drift/absent.json", b"x", second) is None
    assert not any_store.exists("leases/drift/absent.json")


def test_delete_if_match_removes_only_an_unchanged_object(any_store: ObjectStore) -> None:
    """A delete with a stale ETag is refused; with the current one it removes the object."""
    first = any_store.put_if_absent(KEY, b"one")
    assert first is not None
    second = any_store.put_if_match(KEY, b"two", first)
    assert second is not None
    assert not any_store.delete_if_match(KEY, first)
    assert any_store.exists(KEY)
    assert any_store.delete_if_match(KEY, second)
    assert not any_store.exists(KEY)
    assert not any_store.delete_if_match(KEY, second)
    assert any_store.put_if_absent(KEY, b"again") is not None


def test_get_versioned_of_a_missing_key_is_key_error(any_store: ObjectStore) -> None:
    """Reading a missing object with its ETag raises KeyError, like `get`."""
    with pytest.raises(KeyError):
        any_store.get_versioned(KEY)


def test_local_lock_file_is_not_a_key(tmp_path: Path) -> None:
    """The lock file of compare-and-swap never shows in a listing."""
    store = LocalStore(tmp_path / "root", fsync=False)
    etag = store.put_if_absent(KEY, b"one")
    assert etag is not None
    assert store.put_if_match(KEY, b"two", etag) is not None
    assert (store.root / LOCK_NAME).exists()
    assert list(store.list("")) == [KEY]


def _increment(root: str, barrier: Barrier, times: int) -> None:
    """Add 1 to the counter object `times` times, each by read + compare-and-swap."""
    store = LocalStore(Path(root), fsync=False)
    barrier.wait()
    for _ in range(times):
        while True:
            data, etag = store.get_versioned("counter")
            if store.put_if_match("counter", str(int(data) + 1).encode(), etag) is not None:
                break


def _claim(root: str, barrier: Barrier, keys: int, name: str, wins: Queue[list[int]]) -> None:
    """Try to create each of `keys` claim objects with this process's name; report the wins."""
    store = LocalStore(Path(root), fsync=False)
    barrier.wait()
    won = [i for i in range(keys) if store.put_if_absent(f"claims/{i}", name.encode()) is not None]
    wins.put(won)


def test_local_compare_and_swap_is_atomic_across_processes(tmp_path: Path) -> None:
    """Four processes incrementing one counter by CAS lose no update."""
    store = LocalStore(tmp_path / "root", fsync=False)
    store.put("counter", b"0")
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(4)
    processes = [
        context.Process(target=_increment, args=(str(store.root), barrier, 100)) for _ in range(4)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0
    assert store.get("counter") == b"400"


def test_local_put_if_absent_has_one_winner_across_processes(tmp_path: Path) -> None:
    """Four processes racing to create the same 200 objects: each object has one winner."""
    store = LocalStore(tmp_path / "root", fsync=False)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(4)
    wins: Queue[list[int]] = context.Queue()
    names = [f"p{i}" for i in range(4)]
    processes = [
        context.Process(target=_claim, args=(str(store.root), barrier, 200, name, wins))
        for name in names
    ]
    for process in processes:
        process.start()
    won = sorted(index for _ in names for index in wins.get(timeout=120))
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0
    assert won == list(range(200))
    bodies = [store.get(f"claims/{index}").decode() for index in range(200)]
    assert set(bodies) <= set(names)
    assert list(store.list("claims/")) == sorted(f"claims/{index}" for index in range(200))
