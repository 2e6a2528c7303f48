"""NDJSON files on local disk, one per record kind: `<dir>/logs.ndjson` and so on.

Synchronous by design: appending to a buffer costs about as much as a queue hop, and
there is nothing to retry. Lines reach the files whole: the buffer is written with one
`write` of complete lines to a descriptor opened with O_APPEND, so processes sharing a
file (a server's workers) never interleave inside a line. `flush` fsyncs, so what was
flushed survives a crash. After `close` every line is written at once: the process is
ending, maybe by a signal's default action, which runs no more code.
One file per kind keeps `observability ingest <dir>/logs.ndjson --kind log` working.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from observability.core.schema import Kind
from observability.transport import forks
from observability.transport.base import Envelope, Outcome, SendResult
from observability.transport.locks import held_here, new_lock

_NO_LIMIT = 1 << 62
#: Buffered bytes per kind before they are written (whole lines only).
BUFFER_BYTES: Final = 64 * 1024


class FileSink:
    """Appends NDJSON lines; usable directly as a `LineSink` or behind a `BackgroundSink`."""

    name = "file"
    max_envelope_bytes = _NO_LIMIT
    max_envelope_lines: int | None = None

    def __init__(self, directory: Path, *, buffer_bytes: int = BUFFER_BYTES) -> None:
        self._directory = directory
        self._directory.mkdir(parents=True, exist_ok=True)
        self._buffer_bytes = buffer_bytes
        self._descriptors: dict[Kind, int] = {}
        self._buffers: dict[Kind, bytearray] = {}
        self._lock = new_lock()
        self._through = False
        forks.register(self)

    def path(self, kind: Kind) -> Path:
        """The file that lines of `kind` go to."""
        return self._directory / f"{kind.plural}.ndjson"

    def submit(self, kind: Kind, group: str, line: bytes) -> None:
        """Append one line to the buffer; write the buffer out when it is full (or closed)."""
        with self._lock:
            buffer = self._buffers.get(kind)
            if buffer is None:
                buffer = self._buffers[kind] = bytearray()
            buffer += line
            buffer += b"\n"
            if self._through or len(buffer) >= self._buffer_bytes:
                self._write_out(kind, buffer)

    def send(self, batch: Sequence[Envelope], timeout: float | None = None) -> SendResult:
        """Write each envelope's lines through; an OSError (disk full) leaves the rest
        RETRYABLE."""
        result = SendResult([Outcome.ACCEPTED] * len(batch))
        with self._lock:
            for index, envelope in enumerate(batch):
                try:
                    _write_all(self._descriptor(envelope.kind), envelope.data)
                except OSError as exc:
                    for later in range(index, len(batch)):
                        result.outcomes[later] = Outcome.RETRYABLE
                        result.reasons[later] = f"{type(exc).__name__}: {exc}"
                    break
        return result

    def flush(self, timeout: float | None = None) -> bool:
        """Write buffered lines through to disk."""
        with self._lock:
            self._write_buffers()
            for descriptor in self._descriptors.values():
                os.fsync(descriptor)
        return True

    def close(self, timeout: float | None = None) -> bool:
        """Flush and close the files; later lines reopen them and are written at once."""
        with self._lock:
            self._write_buffers()
            for descriptor in self._descriptors.values():
                os.fsync(descriptor)
                os.close(descriptor)
            self._descriptors.clear()
            self._through = True
        return True

    def in_use_here(self) -> bool:
        """True while the current thread is inside this sink (a signal interrupted it)."""
        return held_here(self._lock)

    def before_fork(self) -> None:
        """Hold the lock with the buffers written out, so no child writes them again."""
        self._lock.acquire()
        self._write_buffers()

    def after_fork_in_parent(self) -> None:
        """Release the lock taken before the fork."""
        self._lock.release()

    def after_fork_in_child(self) -> None:
        """A new lock; the O_APPEND descriptors are safe to share with the parent."""
        self._lock = new_lock()

    def _write_buffers(self) -> None:
        for kind, buffer in self._buffers.items():
            if buffer:
                self._write_out(kind, buffer)

    def _write_out(self, kind: Kind, buffer: bytearray) -> None:
        _write_all(self._descriptor(kind), buffer)
        buffer.clear()

    def _descriptor(self, kind: Kind) -> int:
        descriptor = self._descriptors.get(kind)
        if descriptor is None:
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
            descriptor = self._descriptors[kind] = os.open(self.path(kind), flags, 0o644)
        return descriptor


def _write_all(descriptor: int, data: bytes | bytearray) -> None:
    """One `write` in the usual case; loops only if the kernel took part of it."""
    written = os.write(descriptor, data)
    while written < len(data):
        written += os.write(descriptor, data[written:])
