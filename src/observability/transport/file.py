"""NDJSON files on local disk, one per record kind: `<dir>/logs.ndjson` and so on.

Synchronous by design: an append to a buffered file costs about as much as a queue hop,
and there is nothing to retry. `flush` fsyncs, so what was flushed survives a crash.
One file per kind keeps `observability ingest <dir>/logs.ndjson --kind log` working.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from observability.core.schema import Kind
from observability.transport.base import Envelope, Outcome, SendResult

_NO_LIMIT = 1 << 62


class FileSink:
    """Appends NDJSON lines; usable directly as a `LineSink` or behind a `BackgroundSink`."""

    name = "file"
    max_envelope_bytes = _NO_LIMIT

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._directory.mkdir(parents=True, exist_ok=True)
        self._files: dict[Kind, IO[bytes]] = {}
        self._lock = threading.Lock()
        self._closed = False

    def path(self, kind: Kind) -> Path:
        """The file that lines of `kind` go to."""
        return self._directory / f"{kind.plural}.ndjson"

    def submit(self, kind: Kind, group: str, line: bytes) -> None:
        """Append one line (buffered)."""
        with self._lock:
            self._file(kind).write(line + b"\n")

    def send(self, batch: Sequence[Envelope]) -> SendResult:
        """Append each envelope's lines; an OSError (disk full) leaves the rest RETRYABLE."""
        result = SendResult([Outcome.ACCEPTED] * len(batch))
        with self._lock:
            for index, envelope in enumerate(batch):
                try:
                    self._file(envelope.kind).write(envelope.data)
                except OSError as exc:
                    for later in range(index, len(batch)):
                        result.outcomes[later] = Outcome.RETRYABLE
                        result.reasons[later] = f"{type(exc).__name__}: {exc}"
                    break
        return result

    def flush(self, timeout: float | None = None) -> bool:
        """Write buffered lines through to disk."""
        with self._lock:
            for handle in self._files.values():
                handle.flush()
                os.fsync(handle.fileno())
        return True

    def close(self) -> None:
        """Flush and close the files; later lines reopen them (idempotent)."""
        self.flush()
        with self._lock:
            for handle in self._files.values():
                handle.close()
            self._files.clear()

    def _file(self, kind: Kind) -> IO[bytes]:
        handle = self._files.get(kind)
        if handle is None:
            handle = self._files[kind] = self.path(kind).open("ab")
        return handle
