"""One level of the store at a time, each object with a version, listed at most once per TTL.

The read routes walk the Hive layout (`metrics/drift/model=<m>/dt=<d>/<report id>.parquet`)
a level at a time, so a 30-day range lists 30 day directories instead of a model's whole
history. Every object comes with a `version` that changes whenever it is replaced (a
re-run rewrites a window's files under the same key): the inode, modification time and
size on local disk, the ETag on S3. Parsed objects are cached by (key, version)
(`dashboard/cache.py`), so a window's rows are read once per version, not per request.

`ObjectStore.list` is recursive and gives keys only; these listers are the read side's
view of the two stores it runs on. Any other store is listed through `ObjectStore.list`
with an empty version, which is never cached.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from observability.store.base import ObjectStore
from observability.store.local import LOCK_NAME, LocalStore
from observability.store.s3 import S3Store

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


@dataclass(frozen=True, slots=True)
class Entry:
    """An object: its key, and a version that changes when it is replaced ("" = unknown)."""

    key: str
    version: str

    @property
    def name(self) -> str:
        """The last segment of the key."""
        return self.key.rpartition("/")[2]


class Lister(Protocol):
    """A store, one directory level at a time."""

    def children(self, prefix: str) -> list[str]:
        """Names of the directories directly under `prefix` (`model=a`, `dt=2026-12-01`)."""
        ...

    def files(self, prefix: str) -> list[Entry]:
        """The objects directly under `prefix`, sorted by key."""
        ...


def _safe(prefix: str) -> bool:
    """Whether a prefix stays inside the store (no absolute path, `..` or NUL)."""
    return not (prefix.startswith("/") or ".." in prefix.split("/") or "\0" in prefix)


class LocalLister:
    """A local store's directories; symbolic links are neither listed nor followed."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def _entries(self, prefix: str) -> list[os.DirEntry[str]]:
        if not _safe(prefix):
            return []
        try:
            with os.scandir(self._root / prefix) as found:
                return [entry for entry in found if not entry.is_symlink()]
        except (FileNotFoundError, NotADirectoryError):
            return []

    def children(self, prefix: str) -> list[str]:
        """Directory names under `prefix`."""
        return sorted(e.name for e in self._entries(prefix) if e.is_dir(follow_symlinks=False))

    def files(self, prefix: str) -> list[Entry]:
        """Files under `prefix`, versioned by inode, mtime and size (temporaries skipped)."""
        found = []
        for entry in self._entries(prefix):
            name = entry.name
            if name.startswith(".tmp-") or name == LOCK_NAME:
                continue
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
                stat = entry.stat(follow_symlinks=False)
            except FileNotFoundError:  # replaced or removed while listing
                continue
            version = f"{stat.st_ino}:{stat.st_mtime_ns}:{stat.st_size}"
            found.append(Entry(prefix + name, version))
        return sorted(found, key=lambda e: e.key)


class S3Lister:
    """An S3 store's `/`-delimited levels; an object's version is its ETag."""

    def __init__(self, client: S3Client, bucket: str, base: str) -> None:
        self._client = client
        self._bucket = bucket
        self._base = base

    def _pages(self, prefix: str) -> Any:
        paginator = self._client.get_paginator("list_objects_v2")
        return paginator.paginate(Bucket=self._bucket, Prefix=self._base + prefix, Delimiter="/")

    def children(self, prefix: str) -> list[str]:
        """Common prefixes one level down, without their trailing `/`."""
        cut = len(self._base + prefix)
        return sorted(
            common["Prefix"][cut:].rstrip("/")
            for page in self._pages(prefix)
            for common in page.get("CommonPrefixes", [])
        )

    def files(self, prefix: str) -> list[Entry]:
        """Objects one level down with their ETags."""
        cut = len(self._base)
        return sorted(
            (
                Entry(item["Key"][cut:], str(item.get("ETag", "")))
                for page in self._pages(prefix)
                for item in page.get("Contents", [])
            ),
            key=lambda e: e.key,
        )


class StoreLister:
    """Any other `ObjectStore`, through its recursive `list`; versions are unknown ("")."""

    def __init__(self, store: ObjectStore) -> None:
        self._store = store

    def children(self, prefix: str) -> list[str]:
        """First segments of the keys below `prefix` that have a further segment."""
        names = set()
        for key in self._store.list(prefix):
            head, sep, _rest = key[len(prefix) :].partition("/")
            if sep:
                names.add(head)
        return sorted(names)

    def files(self, prefix: str) -> list[Entry]:
        """Keys directly under `prefix`."""
        return [Entry(k, "") for k in self._store.list(prefix) if "/" not in k[len(prefix) :]]


def open_lister(store: ObjectStore, s3_client: Callable[[], S3Client]) -> Lister:
    """The lister for a store: local directories, S3 (with the runtime's client), or generic."""
    if isinstance(store, LocalStore):
        return LocalLister(store.root)
    if isinstance(store, S3Store):
        return S3Lister(s3_client(), store.bucket, store.prefix)
    return StoreLister(store)


class CachedLister:
    """A lister whose answers are reused for `ttl` seconds: under load, a directory is
    listed at most once per TTL; a new window or report shows within that time."""

    def __init__(
        self, inner: Lister, ttl: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._inner = inner
        self._ttl = ttl
        self._clock = clock
        self._memo: dict[tuple[str, str], tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def children(self, prefix: str) -> list[str]:
        """Directory names under `prefix`, at most `ttl` seconds old."""
        found: list[str] = self._cached("children", prefix, self._inner.children)
        return found

    def files(self, prefix: str) -> list[Entry]:
        """Objects under `prefix`, at most `ttl` seconds old."""
        found: list[Entry] = self._cached("files", prefix, self._inner.files)
        return found

    def _cached(self, what: str, prefix: str, load: Callable[[str], Any]) -> Any:
        if self._ttl <= 0:
            return load(prefix)
        now = self._clock()
        with self._lock:
            hit = self._memo.get((what, prefix))
        if hit is not None and hit[0] > now:
            return hit[1]
        value = load(prefix)
        with self._lock:
            if len(self._memo) > _MAX_PREFIXES:  # expired ones first; never unbounded
                self._memo = {k: v for k, v in self._memo.items() if v[0] > now}
                if len(self._memo) > _MAX_PREFIXES:
                    self._memo.clear()
            self._memo[(what, prefix)] = (now + self._ttl, value)
        return value


#: Listings kept at once (a prefix is a model, a model-day, a job-day ...).
_MAX_PREFIXES = 20_000
