"""An in-memory LineSink for tests (ours and users'), like `structlog.testing`."""

from __future__ import annotations

from typing import Any

import orjson

from observability.core.schema import Kind


class MemoryLineSink:
    """Keeps every submitted `(kind, group, line)`; nothing is sent anywhere."""

    def __init__(self) -> None:
        self.lines: list[tuple[Kind, str, bytes]] = []
        self.flushes = 0
        self.closed = False

    def submit(self, kind: Kind, group: str, line: bytes) -> None:
        """Keep the line (also after `close`, so a test can see late writes)."""
        self.lines.append((kind, group, line))

    def flush(self, timeout: float | None = None) -> bool:
        """Nothing is pending in memory; counts the call."""
        self.flushes += 1
        return True

    def in_use_here(self) -> bool:
        """Never: appending to a list needs no lock."""
        return False

    def close(self, timeout: float | None = None) -> bool:
        """Mark the sink closed; idempotent. Nothing is ever left undelivered."""
        self.closed = True
        return True

    def records(self, kind: Kind | None = None) -> list[dict[str, Any]]:
        """The submitted lines parsed back, optionally only one kind."""
        return [orjson.loads(line) for k, _, line in self.lines if kind is None or k is kind]

    def clear(self) -> None:
        """Forget what was submitted."""
        self.lines.clear()
