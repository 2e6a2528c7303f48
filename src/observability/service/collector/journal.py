"""The collector's write-ahead journal: append-only segment files of checksummed blocks.

Durability contract
-------------------
* A request's accepted lines are appended to the current segment as ONE block
  (`>II` length + CRC-32 header, then the payload) and `fdatasync`'ed before the
  collector answers 2xx. Concurrent requests share an fsync (group commit): a writer
  whose bytes are already covered by another writer's sync does not sync again.
* A block is valid only whole: replay stops at the first short or corrupt block, which
  can only be the tail a crash cut off mid-append. Such a block was never acknowledged.
* A flush seals the segment (new appends go to a new one), writes the sealed segment's
  lines to the store, and only then deletes the segment file. Store files are named
  from the segment id, so replaying a segment whose files were already written puts
  the same keys again instead of duplicating records.
* A lock file keeps two collectors from sharing (and replaying) one journal.

Payload format: groups of `#<partition prefix>\\n` followed by the partition's NDJSON
lines, each `\\n`-terminated. A record line is a JSON object and never starts with `#`.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import struct
import threading
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from observability.service.errors import JournalError
from observability.store.files import new_filename
from observability.store.local import fsync_dir

SEGMENT_SUFFIX: Final = ".wal"
LOCK_NAME: Final = "LOCK"
_HEADER: Final = struct.Struct(">II")
_sync_data = getattr(os, "fdatasync", os.fsync)


def encode_block(groups: Mapping[str, list[bytes]]) -> bytes:
    """One journal block holding lines (or newline-joined chunks) by partition prefix."""
    parts: list[bytes] = []
    for prefix, lines in groups.items():
        parts.append(b"#" + prefix.encode() + b"\n")
        parts.append(b"\n".join(lines))
        parts.append(b"\n")
    payload = b"".join(parts)
    return _HEADER.pack(len(payload), zlib.crc32(payload)) + payload


@dataclass(slots=True)
class SegmentContents:
    """What replay found in one segment: lines per prefix, and any torn tail."""

    segment_id: str
    groups: dict[str, list[bytes]] = field(default_factory=dict)
    lines: int = 0
    torn_bytes: int = 0


def read_segment(path: Path) -> SegmentContents:
    """Decode every whole block of a segment file; a cut-off tail is reported, not read."""
    data = path.read_bytes()
    contents = SegmentContents(path.name.removesuffix(SEGMENT_SUFFIX))
    offset = 0
    while offset + _HEADER.size <= len(data):
        length, crc = _HEADER.unpack_from(data, offset)
        start = offset + _HEADER.size
        payload = data[start : start + length]
        if len(payload) < length or zlib.crc32(payload) != crc:
            break
        _decode_payload(payload, contents)
        offset = start + length
    contents.torn_bytes = len(data) - offset
    return contents


def _decode_payload(payload: bytes, contents: SegmentContents) -> None:
    current: list[bytes] | None = None
    for line in payload.split(b"\n"):
        if not line:
            continue
        if line[:1] == b"#":
            current = contents.groups.setdefault(line[1:].decode(), [])
        elif current is not None:
            current.append(line)
            contents.lines += 1


class Segment:
    """One open segment file. Writes are serialised by the caller; syncs group-commit."""

    def __init__(self, directory: Path) -> None:
        self.id = new_filename(suffix="")
        self.path = directory / f"{self.id}{SEGMENT_SUFFIX}"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND
        try:
            self._fd = os.open(self.path, flags, 0o600)
            fsync_dir(directory)  # the new name must survive a power loss too
        except OSError as exc:
            raise JournalError(f"cannot open a journal segment in {directory}: {exc}") from exc
        self.size = 0
        self._synced = 0
        self._sync_lock = threading.Lock()
        self._idle = threading.Condition()
        self._users = 0

    def write(self, block: bytes) -> int:
        """Append a block (caller holds the journal's write lock); returns the end offset.

        A failed write truncates back to the last whole block, so a half-written block
        never precedes a later one; if even that fails, the error says so and the caller
        seals this segment.
        """
        view = memoryview(block)
        try:
            while view:
                view = view[os.write(self._fd, view) :]
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, self.size)
            raise JournalError(f"journal append failed: {exc}") from exc
        self.size += len(block)
        return self.size

    def acquire(self) -> None:
        """Mark a writer that will sync this segment (caller holds the write lock)."""
        with self._idle:
            self._users += 1

    def sync(self, end: int) -> None:
        """Make bytes up to `end` durable, sharing one fdatasync among waiting writers."""
        try:
            with self._sync_lock:
                if self._synced >= end:
                    return
                target = self.size  # every byte counted here is already written
                try:
                    _sync_data(self._fd)
                except OSError as exc:
                    raise JournalError(f"journal fsync failed: {exc}") from exc
                self._synced = target
        finally:
            with self._idle:
                self._users -= 1
                if not self._users:
                    self._idle.notify_all()

    def wait_idle(self) -> None:
        """Wait until no writer is still syncing (before the file is closed)."""
        with self._idle:
            self._idle.wait_for(lambda: self._users == 0)

    def remove(self) -> None:
        """Close and delete the segment once its lines are in the store."""
        self.wait_idle()
        os.close(self._fd)
        self.path.unlink(missing_ok=True)
        fsync_dir(self.path.parent)


class JournalLock:
    """An exclusive `flock` on the journal directory, held for the collector's lifetime."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or fail with a message naming the directory."""
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.directory / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise JournalError(
                f"another collector is using the journal in {self.directory}"
            ) from None
        self._fd = fd

    def release(self) -> None:
        """Drop the lock (a SIGKILL drops it too: the kernel releases `flock`s)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def leftover_segments(directory: Path) -> list[Path]:
    """Segment files left by an earlier process, oldest first."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.name.endswith(SEGMENT_SUFFIX))
