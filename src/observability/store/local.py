"""A directory laid out exactly like the S3 bucket."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from observability.core.errors import StoreError


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
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                if self._fsync:
                    handle.flush()
                    os.fsync(handle.fileno())
            Path(tmp).replace(target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
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
        """Keys under a prefix, skipping temporary files of writes in progress."""
        base = self.root / prefix
        start = base if base.is_dir() else base.parent
        if not start.exists():
            return
        keys = []
        for dirpath, _dirnames, filenames in os.walk(start):
            for name in filenames:
                if name.startswith(".tmp-"):
                    continue
                key = (Path(dirpath) / name).relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    keys.append(key)
        yield from sorted(keys)

    def delete(self, key: str) -> None:
        """Remove a file if present."""
        self.path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        """Whether the file exists."""
        return self.path(key).is_file()


def fsync_dir(directory: Path) -> None:
    """Sync a directory so that a rename or a new file in it survives a power loss."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
