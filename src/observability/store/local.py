"""A directory laid out exactly like the S3 bucket.

Conditional writes are atomic across processes, as S3's are: `put_if_absent` writes a
temporary file and hard-links it to the key (`link` fails if the key exists, and the key
never shows half a file); `put_if_match` and `delete_if_match` compare and swap under an
exclusive `flock` on one lock file at the store's root, `.cas.lock`, which `list` skips.
An ETag is a hash of the content, as S3's is for a single-part upload.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from observability.core.errors import StoreError

#: The lock file of conditional writes, at the root; not a key.
LOCK_NAME: Final = ".cas.lock"


class LocalStore:
    """Writes go to a temporary file in the target directory, fsync, then rename."""

    def __init__(self, root: Path, *, fsync: bool = True) -> None:
        self.root = root.resolve()
        self._fsync = fsync
        self.root.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        """`file://` URL of the root."""
        return self.root.as_uri()

    def path(self, key: str) -> Path:
        """The file behind a key; refuses keys that would escape the root."""
        target = (self.root / key).resolve()
        if not target.is_relative_to(self.root):
            raise StoreError(f"key escapes the store: {key!r}")
        return target

    def put(self, key: str, data: bytes) -> None:
        """Atomic write: temporary name in the same directory, then rename."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._write_temporary(target, data)
        try:
            tmp.replace(target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        if self._fsync:
            fsync_dir(target.parent)

    def get(self, key: str) -> bytes:
        """Read a file; KeyError when absent."""
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None

    def list(self, prefix: str = "") -> Iterator[str]:
        """Keys under a prefix, skipping temporary files of writes in progress.

        Never leaves the root: a prefix that is absolute or has a `..` segment names no
        key, and symbolic links (to files or directories) are neither listed nor followed.
        """
        if prefix.startswith("/") or ".." in prefix.split("/") or "\0" in prefix:
            return
        base = self.root / prefix
        start = base if base.is_dir() else base.parent
        if not start.is_dir() or start.resolve() != start:  # absent, or a link on the way
            return
        keys = []
        pending = [str(start)]
        cut = len(str(self.root)) + 1
        while pending:
            try:
                entries = list(os.scandir(pending.pop()))
            except FileNotFoundError:  # removed while listing
                continue
            for entry in entries:
                if entry.is_symlink():
                    continue
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                    continue
                if entry.name.startswith(".tmp-") or entry.name == LOCK_NAME:
                    continue
                key = entry.path[cut:].replace(os.sep, "/")
                if key.startswith(prefix):
                    keys.append(key)
        yield from sorted(keys)

    def delete(self, key: str) -> None:
        """Remove a file if present."""
        self.path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        """Whether the file exists."""
        return self.path(key).is_file()

    def get_versioned(self, key: str) -> tuple[bytes, str]:
        """Read a file and hash what was read (a rename never changes an open file)."""
        data = self.get(key)
        return data, etag_of(data)

    def put_if_absent(self, key: str, data: bytes) -> str | None:
        """Write a temporary file, then hard-link it to the key: `link` refuses an existing key."""
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._write_temporary(target, data)
        try:
            os.link(tmp, target)
        except FileExistsError:
            return None
        finally:
            tmp.unlink(missing_ok=True)
        if self._fsync:
            fsync_dir(target.parent)
        return etag_of(data)

    def put_if_match(self, key: str, data: bytes, etag: str) -> str | None:
        """Compare the current content's ETag and replace the file, under the store's lock."""
        with self._cas_lock():
            if self._current_etag(key) != etag:
                return None
            self.put(key, data)
        return etag_of(data)

    def delete_if_match(self, key: str, etag: str) -> bool:
        """Compare the current content's ETag and remove the file, under the store's lock."""
        with self._cas_lock():
            if self._current_etag(key) != etag:
                return False
            self.delete(key)
        return True

    def _current_etag(self, key: str) -> str | None:
        try:
            return self.get_versioned(key)[1]
        except KeyError:
            return None

    def _write_temporary(self, target: Path, data: bytes) -> Path:
        """A synced temporary file next to `target`, for a rename or a link."""
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                if self._fsync:
                    handle.flush()
                    os.fsync(handle.fileno())
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return Path(tmp)

    @contextlib.contextmanager
    def _cas_lock(self) -> Iterator[None]:
        """An exclusive flock on the root's lock file: one compare-and-swap at a time, across
        processes and threads (each call opens its own file description)."""
        fd = os.open(self.root / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing the description releases the lock


def etag_of(data: bytes) -> str:
    """A local object's ETag: a hash of its content."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def fsync_dir(directory: Path) -> None:
    """Sync a directory so that a rename or a new file in it survives a power loss."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
