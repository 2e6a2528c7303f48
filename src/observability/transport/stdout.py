"""Lines to standard output, for platforms that ship stdout (Lambda, containers).

Synchronous: in Lambda a background thread is frozen between invocations, so lines
written from the caller's thread are the only ones the platform is sure to collect.
For the same reason each line is flushed by default (one write syscall per line).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from typing import IO

from observability.core.schema import Kind
from observability.transport.base import Envelope, Outcome, SendResult

_NO_LIMIT = 1 << 62


class StdoutSink:
    """Writes each NDJSON line to a binary stream (stdout unless told otherwise)."""

    name = "stdout"
    max_envelope_bytes = _NO_LIMIT

    def __init__(self, stream: IO[bytes] | None = None, *, flush_each_line: bool = True) -> None:
        self._stream = stream if stream is not None else sys.stdout.buffer
        self._flush_each_line = flush_each_line
        self._lock = threading.Lock()

    def submit(self, kind: Kind, group: str, line: bytes) -> None:
        """Write one line (and flush it unless batching was asked for)."""
        with self._lock:
            self._stream.write(line + b"\n")
            if self._flush_each_line:
                self._stream.flush()

    def send(self, batch: Sequence[Envelope]) -> SendResult:
        """Write every envelope's lines."""
        with self._lock:
            for envelope in batch:
                self._stream.write(envelope.data)
            self._stream.flush()
        return SendResult([Outcome.ACCEPTED] * len(batch))

    def flush(self, timeout: float | None = None) -> bool:
        """Flush the stream."""
        with self._lock:
            self._stream.flush()
        return True

    def close(self) -> None:
        """Flush; stdout itself stays open."""
        self.flush()
