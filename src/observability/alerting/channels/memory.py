"""The in-process channel: keeps what it receives, and can be made to fail like a receiver
that is down, so routing, retries and resolution are tested end to end without a network."""

from __future__ import annotations

import threading

from observability.alerting.channels.common import without_resolved
from observability.alerting.model import DeliveryResult, Notification


class MemoryNotifier:
    """Delivered notifications in order; `set_down(True)` makes deliveries fail retryably."""

    def __init__(self, name: str, *, send_resolved: bool = True) -> None:
        self.name = name
        self._send_resolved = send_resolved
        self._delivered: list[Notification] = []
        self._attempts = 0
        self._down = False
        self._lock = threading.Lock()

    @property
    def delivered(self) -> tuple[Notification, ...]:
        """What the receiver got, oldest first."""
        with self._lock:
            return tuple(self._delivered)

    @property
    def attempts(self) -> int:
        """Every call to deliver, failed ones included."""
        with self._lock:
            return self._attempts

    def set_down(self, down: bool) -> None:
        """Refuse (retryably) every delivery until set back, as an unreachable receiver does."""
        with self._lock:
            self._down = down

    def deliver(self, notification: Notification) -> DeliveryResult:
        """Keep the notification, or report the outage."""
        with self._lock:
            self._attempts += 1
            if self._down:
                return DeliveryResult(ok=False, retryable=True, detail="receiver down")
            sent = without_resolved(notification, self._send_resolved)
            if sent is None:
                return DeliveryResult(ok=True, detail="nothing to send (send_resolved: false)")
            self._delivered.append(sent)
            return DeliveryResult(ok=True, detail="kept in memory")
