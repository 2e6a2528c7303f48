"""Lines to standard output, for platforms that ship stdout (Lambda, containers).

Synchronous: in Lambda a background thread is frozen between invocations, so lines
written from the caller's thread are the only ones the platform is sure to collect.
For the same reason each line is flushed by default (one write syscall per line).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import IO

from observability.core.schema import Kind
from observability.transport.base import Envelope, Outcome, SendResult
from observability.transport.locks import held_here, new_lock

_NO_LIMIT = 1 << 62


class StdoutSink:
    """Writes each NDJSON line to a binary stream (stdout unless told otherwise)."""

    name = "stdout"
    max_envelope_bytes = _NO_LIMIT
    max_envelope_lines: int | None = None

    def __init__(self, stream: IO[bytes] | None = None, *, flush_each_line: bool = True) -> None:
        self._stream = stream if stream is not None else sys.stdout.buffer
        self._flush_each_line = flush_each_line
        self._lock = new_lock()

    def submit(self, kind: Kind, group: str, line: bytes) -> None:
        """Write one line (and flush it unless batching was asked for)."""
        with self._lock:
            self._stream.write(line + b"\n")
            if self._flush_each_line:
                self._stream.flush()

    def send(self, batch: Sequence[Envelope], timeout: float | None = None) -> SendResult:
        """Write every envelope's lines."""
        with self._lock:
            for envelope in batch:
                self._stream.write(envelope.data)
            self._stream.flush()
        return SendResult([Outcome.ACCEPTED] * len(batch))

    def in_use_here(self) -> bool:
        """True while the current thread is inside this sink (a signal interrupted it)."""
        return held_here(self._lock)

    def flush(self, timeout: float | None = None) -> bool:
        """Flush the stream."""
        with self._lock:
            self._stream.flush()
        return True

    def close(self, timeout: float | None = None) -> bool:
        """Flush, and flush each later line; stdout itself stays open."""
        self._flush_each_line = True
        return self.flush()
