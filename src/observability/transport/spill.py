"""The sink spill: append-only NDJSON files for lines a sink could not deliver (yet).

Each spill line is one JSON object: `kind`, `group`, `reason`, `error` and the record
`line` as a string. `pending/` holds lines to replay when the destination is back;
`rejected/` holds lines the destination refused (kept for an operator, never replayed
automatically). Files are fsynced on rotation and survive a restart: a new sink replays
the old ones. Writers and replayers hold an `flock` on the file they use, so two
processes sharing the directory never replay the same file twice. The only loss is past
`max_bytes`: it is counted (`spill_full`) and reported on stderr.

Once `write_through` is set (a sink closing because the process ends), every append is
handed to the OS at once: the process may be killed by a signal's default action right
after, and the kernel keeps what was written.
"""

from __future__ import annotations

import base64
import fcntl
import os
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Final, NamedTuple

import orjson

from observability.core.metrics import Metrics
from observability.core.schema import Kind
from observability.transport import forks
from observability.transport.locks import held_here, new_lock

#: A spill file is rotated (fsynced, closed, made replayable) at this size.
DEFAULT_FILE_BYTES: Final = 4 * 1024 * 1024
#: At most one stderr warning about a full spill per this many seconds.
_WARN_EVERY_SECONDS: Final = 10.0
_SUFFIX: Final = ".ndjson"


class SpillEntry(NamedTuple):
    """One spilled line and why it was spilled."""

    kind: Kind
    group: str
    line: bytes
    reason: str
    error: str | None = None


class _Writer:
    """The file one spill directory is appending to, locked while open."""

    def __init__(self, directory: Path, sequence: int) -> None:
        name = f"{time.time_ns():020d}-{os.getpid()}-{sequence:06d}{_SUFFIX}"
        self.path = directory / name
        self.file: IO[bytes] = self.path.open("ab")
        fcntl.flock(self.file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.size = 0

    def close(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())
        fcntl.flock(self.file.fileno(), fcntl.LOCK_UN)
        self.file.close()

    def drop_inherited(self) -> None:
        """In a forked child: close this copy without unlocking (the lock belongs to the
        open file description the parent still uses; its buffer was written before the fork)."""
        self.file.close()


class ReplayFile:
    """A claimed pending file: its entries, and `finish` to delete or shrink it."""

    def __init__(self, spill: Spill, path: Path, handle: IO[bytes]) -> None:
        self._spill = spill
        self.path = path
        self._handle = handle
        self.size = os.fstat(handle.fileno()).st_size
        self.entries: list[SpillEntry] = []
        #: Lines that do not decode (a crash mid-write): kept under rejected/, never dropped.
        self.corrupt: list[bytes] = []
        for raw in handle.read().splitlines():
            if not raw.strip():
                continue
            try:
                self.entries.append(decode_entry(raw))
            except (ValueError, KeyError, TypeError):
                self.corrupt.append(raw)

    def finish(self, remaining: list[SpillEntry]) -> None:
        """Delete the file when everything was delivered, else keep only `remaining`."""
        try:
            if self.corrupt:
                self._spill.keep_corrupt(self.path.stem, self.corrupt)
            if remaining:
                data = b"".join(encode_entry(entry) for entry in remaining)
                temporary = self.path.with_suffix(".tmp")
                with temporary.open("wb") as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
                temporary.replace(self.path)
                self._spill.released(self.size - len(data))
            else:
                self.path.unlink()
                self._spill.released(self.size)
        finally:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()


class Spill:
    """Bounded append-only spill files under one directory, shared by threads."""

    def __init__(
        self,
        directory: Path,
        max_bytes: int,
        metrics: Metrics,
        *,
        sink: str = "sink",
        file_bytes: int = DEFAULT_FILE_BYTES,
        stderr: IO[str] | None = None,
    ) -> None:
        self.pending_dir = directory / "pending"
        self.rejected_dir = directory / "rejected"
        self.pending_dir.mkdir(parents=True, exist_ok=True)
        self.rejected_dir.mkdir(parents=True, exist_ok=True)
        self._max_bytes = max_bytes
        self._file_bytes = file_bytes
        self._metrics = metrics
        self._sink = sink
        self._stderr = stderr
        self._lock = new_lock()
        self._writers: dict[bool, _Writer] = {}
        self._sequence = 0
        self._bytes = sum(p.stat().st_size for p in self._all_files())
        self._lost = 0
        self._kept = 0
        self._warned_at = -_WARN_EVERY_SECONDS
        self._pending_hint = any(self.pending_dir.glob("*" + _SUFFIX))
        #: Read at scrape time, so the gauge is never stale (`observability_sink_spill_bytes`).
        metrics.sink_spill_bytes.labels(sink).set_function(lambda: self._bytes)
        #: Hand every append to the OS at once (set when the process is ending).
        self.write_through = False
        forks.register(self)

    @property
    def bytes_used(self) -> int:
        """Bytes in spill files (this process's view)."""
        return self._bytes

    @property
    def lost(self) -> int:
        """Lines dropped because the spill was full; always counted and reported."""
        return self._lost

    @property
    def kept(self) -> int:
        """Lines this process has spilled (pending and rejected)."""
        return self._kept

    def append(self, entries: Iterable[SpillEntry], *, replayable: bool) -> int:
        """Append entries; returns how many were kept (the rest were counted as lost)."""
        kept = lost = 0
        with self._lock:
            for entry in entries:
                data = encode_entry(entry)
                if self._bytes + len(data) > self._max_bytes:
                    lost += 1
                    continue
                writer = self._writer(replayable)
                writer.file.write(data)
                writer.size += len(data)
                self._bytes += len(data)
                kept += 1
                if writer.size >= self._file_bytes:
                    self._rotate(replayable)
            if self.write_through:
                for writer in self._writers.values():
                    writer.file.flush()
            self._kept += kept
        if kept:
            self._metrics.sink_records.labels(self._sink, "spilled").inc(kept)
        if lost:
            self._report_loss(lost)
        return kept

    def flush(self) -> None:
        """Hand buffered spill lines to the OS, so a process crash does not lose them."""
        with self._lock:
            for writer in self._writers.values():
                writer.file.flush()

    def rotate(self) -> None:
        """Close (and fsync) the current files so they can be replayed."""
        with self._lock:
            for replayable in list(self._writers):
                self._rotate(replayable)

    def close(self) -> None:
        """Rotate; the files stay for the next process to replay."""
        self.rotate()

    @property
    def has_pending(self) -> bool:
        """Cheap hint that replayable lines may exist (closed files, or the open one)."""
        return self._pending_hint or True in self._writers

    def claim_oldest(self) -> ReplayFile | None:
        """Lock and read the oldest pending file nobody else is writing or replaying.

        The open pending file is rotated first, so lines spilled a moment ago replay too.
        """
        with self._lock:
            self._rotate(True)
            self._pending_hint = False
        for path in sorted(self.pending_dir.glob("*" + _SUFFIX)):
            try:
                handle = path.open("rb")
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            if not _same_file(path, handle):  # replayed and removed while we waited
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
                handle.close()
                continue
            self._pending_hint = True  # there may be more after this one
            return ReplayFile(self, path, handle)
        return None

    def in_use_here(self) -> bool:
        """True while the current thread is inside an append or a rotation."""
        return held_here(self._lock)

    def before_fork(self) -> None:
        """Hold the lock and write buffered lines out, so no child writes them again."""
        self._lock.acquire()
        for writer in self._writers.values():
            writer.file.flush()

    def after_fork_in_parent(self) -> None:
        """Release the lock taken before the fork."""
        self._lock.release()

    def after_fork_in_child(self) -> None:
        """A new lock and new files: the open ones (and their flocks) are the parent's."""
        self._lock = new_lock()
        for writer in self._writers.values():
            writer.drop_inherited()
        self._writers.clear()
        self._kept = 0

    def keep_corrupt(self, stem: str, lines: list[bytes]) -> None:
        """Move undecodable spill lines aside (as they were) so replay can go on."""
        target = self.rejected_dir / f"{stem}.corrupt{_SUFFIX}"
        with target.open("ab") as out:
            out.write(b"".join(line + b"\n" for line in lines))
            out.flush()
            os.fsync(out.fileno())
        sys.stderr.write(
            f"observability: {len(lines)} undecodable spill line(s) kept in {target}\n"
        )

    def released(self, size: int) -> None:
        """Account for bytes removed by a finished replay."""
        with self._lock:
            self._bytes = max(0, self._bytes - size)

    def _writer(self, replayable: bool) -> _Writer:
        writer = self._writers.get(replayable)
        if writer is None:
            self._sequence += 1
            directory = self.pending_dir if replayable else self.rejected_dir
            writer = self._writers[replayable] = _Writer(directory, self._sequence)
        return writer

    def _rotate(self, replayable: bool) -> None:
        writer = self._writers.pop(replayable, None)
        if writer is not None:
            writer.close()
            if replayable:
                self._pending_hint = True

    def _all_files(self) -> list[Path]:
        return [*self.pending_dir.glob("*" + _SUFFIX), *self.rejected_dir.glob("*" + _SUFFIX)]

    def _report_loss(self, lost: int) -> None:
        self._metrics.sink_records.labels(self._sink, "spill_full").inc(lost)
        with self._lock:
            self._lost += lost
            now = time.monotonic()
            if now - self._warned_at < _WARN_EVERY_SECONDS:
                return
            self._warned_at = now
            total = self._lost
        stream = self._stderr or sys.stderr
        stream.write(
            f"observability: sink spill is full ({self._max_bytes} bytes); "
            f"{total} line(s) dropped so far (observability_sink_records_total"
            f'{{outcome="spill_full"}})\n'
        )
        stream.flush()


def encode_entry(entry: SpillEntry) -> bytes:
    """One spill line: the record line as a string (base64 if it is not UTF-8)."""
    body: dict[str, str | None] = {
        "kind": entry.kind.value,
        "group": entry.group,
        "reason": entry.reason,
        "error": entry.error,
    }
    try:
        body["line"] = entry.line.decode("utf-8")
    except UnicodeDecodeError:
        body["line_b64"] = base64.b64encode(entry.line).decode("ascii")
    return orjson.dumps(body) + b"\n"


def decode_entry(raw: bytes) -> SpillEntry:
    """Inverse of `encode_entry`."""
    body = orjson.loads(raw)
    text = body.get("line")
    line = text.encode("utf-8") if text is not None else base64.b64decode(body["line_b64"])
    return SpillEntry(Kind(body["kind"]), body["group"], line, body["reason"], body.get("error"))


def _same_file(path: Path, handle: IO[bytes]) -> bool:
    try:
        on_disk = path.stat()
    except FileNotFoundError:
        return False
    return on_disk.st_ino == os.fstat(handle.fileno()).st_ino
