"""The SDK-facing sink: a bounded queue in front of a `Sink`, drained by one thread.

`submit` is on the logging hot path: a deque append, nothing else, unless the queue is
full (then it waits at most `block_budget_ms` and spills the line). The worker packs lines
into envelopes, sends them, retries only what the sink called RETRYABLE (through
`retry.py`, under a deadline), and spills whatever is still undelivered or was rejected.
On a sustained outage it spills without trying, probes every `probe_seconds`, and once a
probe gets through it replays the spill, oldest file first.
"""

from __future__ import annotations

import atexit
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, TypeAlias

from observability.core.metrics import Metrics
from observability.core.schema import MAX_RECORD_BYTES, Kind
from observability.transport.aggregate import DEFAULT_AGGREGATE_BYTES, Packed, pack
from observability.transport.base import Envelope, Outcome, SendResult, Sink
from observability.transport.retry import RetryPolicy
from observability.transport.spill import Spill, SpillEntry

#: Spill reasons; the spill file records one per line.
TOO_LARGE: Final = "too_large"
QUEUE_FULL: Final = "queue_full"
UNDELIVERED: Final = "undelivered"
REJECTED: Final = "rejected"
CLOSED: Final = "closed"
INTERNAL_ERROR: Final = "internal_error"

Item: TypeAlias = tuple[Kind, str, bytes]


@dataclass(slots=True)
class _Delivery:
    accepted: int = 0
    undelivered: list[tuple[Packed, str]] = field(default_factory=list)


class BackgroundSink:
    """A `LineSink` that never blocks its caller beyond a small budget and never drops."""

    def __init__(
        self,
        sink: Sink,
        *,
        metrics: Metrics,
        spill: Spill,
        queue_records: int = 100_000,
        block_budget_ms: float = 1.0,
        flush_seconds: float = 1.0,
        retry_policy: RetryPolicy | None = None,
        aggregate: bool = True,
        aggregate_bytes: int = DEFAULT_AGGREGATE_BYTES,
        wake_lines: int = 5_000,
        drain_lines: int = 50_000,
        probe_seconds: float = 5.0,
        close_seconds: float = 5.0,
    ) -> None:
        self._sink = sink
        self._name = sink.name
        self._metrics = metrics
        self._spill = spill
        self._capacity = queue_records
        self._budget = block_budget_ms / 1000.0
        self._flush_seconds = flush_seconds
        self._policy = retry_policy or RetryPolicy()
        self._max_line = min(sink.max_envelope_bytes - 1, MAX_RECORD_BYTES)
        self._aggregate_bytes = min(aggregate_bytes, sink.max_envelope_bytes) if aggregate else None
        self._wake_lines = min(wake_lines, queue_records)
        self._drain_lines = drain_lines
        self._probe_seconds = probe_seconds
        self._close_seconds = close_seconds
        self._queue: deque[Item | threading.Event] = deque()
        self._wake = threading.Event()
        self._room = threading.Condition()
        self._state = threading.Lock()
        self._flush_waiters = 0
        self._stopping = False
        self._closed = False
        self._close_deadline = float("inf")
        self._outage = False
        self._next_probe = 0.0
        self._outage_error = ""
        self._sent = metrics.sink_records.labels(self._name, "sent")
        self._retried = metrics.sink_records.labels(self._name, "retried")
        self._replayed = metrics.sink_records.labels(self._name, "replayed")
        self._rejected = metrics.sink_records.labels(self._name, "rejected")
        self._depth = metrics.sink_queue_depth.labels(self._name)
        self._thread = threading.Thread(target=self._run, name=f"{self._name}-sink", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    # -- the caller's side ---------------------------------------------------------------

    def submit(self, kind: Kind, group: str, line: bytes) -> None:
        """Queue one line; spill it instead when it is too large, the queue stays full, or
        the sink is closed."""
        if len(line) > self._max_line or self._closed:
            self._refuse(kind, group, line)
            return
        queue = self._queue
        if len(queue) >= self._capacity and not self._wait_for_room():
            self._metrics.sink_records.labels(self._name, QUEUE_FULL).inc()
            self._spill.append([SpillEntry(kind, group, line, QUEUE_FULL)], replayable=True)
            return
        queue.append((kind, group, line))
        if len(queue) >= self._wake_lines and not self._wake.is_set():
            self._wake.set()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything submitted before this call is delivered or spilled."""
        if self._stopping:  # the worker is finishing (or gone): wait for it, not a marker
            self._thread.join(timeout)
            self._spill.flush()
            return not self._thread.is_alive()
        marker = threading.Event()
        with self._state:
            self._flush_waiters += 1
        self._queue.append(marker)
        self._wake.set()
        deadline = None if timeout is None else time.monotonic() + timeout
        while not marker.wait(0.05):
            if not self._thread.is_alive():  # closed meanwhile: nobody else will see it
                self._spill_leftovers()
            elif deadline is not None and time.monotonic() >= deadline:
                return False
        return True

    def close(self) -> None:
        """Flush (retrying for at most `close_seconds`), stop the worker, rotate the spill."""
        with self._state:
            if self._stopping:
                return
            self._stopping = True
            self._close_deadline = time.monotonic() + self._close_seconds
        atexit.unregister(self.close)
        self._wake.set()
        self._thread.join(self._close_seconds + 60.0)
        self._closed = True
        if self._thread.is_alive():
            sys.stderr.write(f"observability: {self._name} sink worker did not stop in time\n")
        self._spill_leftovers()
        self._spill.close()
        self._depth.set(0)

    @property
    def queued(self) -> int:
        """Lines waiting in memory (flush markers excluded only approximately)."""
        return len(self._queue)

    def _wait_for_room(self) -> bool:
        deadline = time.perf_counter() + self._budget
        self._wake.set()
        with self._room:
            while len(self._queue) >= self._capacity:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    return False
                self._room.wait(remaining)
        return True

    def _spill_leftovers(self) -> None:
        """After the worker is gone: spill what is still queued and release flush waiters."""
        items, markers = self._drain(len(self._queue) + 1)
        if items:
            self._spill_items(items, CLOSED, "sink closed before delivery")
        self._spill.flush()
        for marker in markers:
            marker.set()

    def _refuse(self, kind: Kind, group: str, line: bytes) -> None:
        if len(line) > self._max_line:
            self._rejected.inc()
            error = f"line is {len(line)} bytes; {self._name} takes at most {self._max_line}"
            self._spill.append([SpillEntry(kind, group, line, TOO_LARGE, error)], replayable=False)
        else:
            self._spill.append([SpillEntry(kind, group, line, CLOSED)], replayable=True)

    # -- the worker ------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            if not self._busy():
                self._wake.wait(self._flush_seconds)
            self._wake.clear()
            items, markers = self._drain(self._drain_lines)
            try:
                self._cycle(items)
            except Exception:  # noqa: BLE001 (the worker must survive; the lines are spilled)
                traceback.print_exc(file=sys.stderr)
                self._spill_items(items, INTERNAL_ERROR, "sink worker failed; see stderr")
            if markers:
                self._spill.flush()
                with self._state:
                    self._flush_waiters -= len(markers)
                for marker in markers:
                    marker.set()
            if self._stopping and not self._queue:
                return

    def _busy(self) -> bool:
        return self._stopping or self._flush_waiters > 0 or len(self._queue) >= self._wake_lines

    def _drain(self, limit: int) -> tuple[list[Item], list[threading.Event]]:
        items: list[Item] = []
        markers: list[threading.Event] = []
        queue = self._queue
        for _ in range(limit):
            try:
                item = queue.popleft()
            except IndexError:
                break
            if isinstance(item, threading.Event):
                markers.append(item)
            else:
                items.append(item)
        self._depth.set(len(queue))
        with self._room:
            self._room.notify_all()
        return items, markers

    def _cycle(self, items: list[Item]) -> None:
        now = time.monotonic()
        if items:
            if self._outage and (now < self._next_probe or self._stopping):
                self._spill_items(items, UNDELIVERED, self._outage_error)
            else:
                delivery = self._deliver(pack(items, self._aggregate_bytes), probe=self._outage)
                self._settle(delivery, now)
        if not self._outage and not self._stopping and self._spill.has_pending:
            self._replay_one(now)
        elif self._outage and not items and now >= self._next_probe and self._spill.has_pending:
            self._replay_one(now)  # the oldest spill file is the probe when nothing is queued

    def _settle(self, delivery: _Delivery, now: float) -> None:
        if delivery.undelivered:
            for packed, reason in delivery.undelivered:
                self._spill_lines(packed, UNDELIVERED, reason)
            self._outage = True
            self._outage_error = delivery.undelivered[0][1]
            self._next_probe = now + self._probe_seconds
        else:
            self._outage = False

    def _replay_one(self, now: float) -> None:
        claimed = self._spill.claim_oldest()
        if claimed is None:
            return
        items = [(entry.kind, entry.group, entry.line) for entry in claimed.entries]
        delivery = self._deliver(pack(items, self._aggregate_bytes), probe=self._outage)
        remaining = [
            SpillEntry(packed.envelope.kind, packed.group, line, UNDELIVERED, reason)
            for packed, reason in delivery.undelivered
            for line in packed.lines
        ]
        claimed.finish(remaining)
        self._replayed.inc(delivery.accepted)
        if remaining:
            self._outage = True
            self._outage_error = delivery.undelivered[0][1]
            self._next_probe = now + self._probe_seconds
        else:
            self._outage = False

    def _deliver(self, packed: Sequence[Packed], *, probe: bool) -> _Delivery:
        """Send, retrying RETRYABLE envelopes; spill REJECTED ones; return the rest."""
        delivery = _Delivery()
        pending = list(range(len(packed)))
        reasons: dict[int, str] = {}
        attempts = 0

        def attempt() -> bool:
            nonlocal pending, attempts
            attempts += 1
            if attempts > 1:
                self._retried.inc(sum(packed[i].envelope.count for i in pending))
            result = self._send([packed[i].envelope for i in pending])
            still: list[int] = []
            for position, outcome in enumerate(result.outcomes):
                index = pending[position]
                if outcome is Outcome.ACCEPTED:
                    delivery.accepted += packed[index].envelope.count
                elif outcome is Outcome.REJECTED:
                    reason = result.reasons.get(position, "rejected by the destination")
                    self._rejected.inc(packed[index].envelope.count)
                    self._spill_lines(packed[index], REJECTED, reason, replayable=False)
                else:
                    still.append(index)
                    reasons[index] = result.reasons.get(position, "retryable")
            pending = still
            return bool(pending)

        if probe:
            attempt()
        else:
            self._policy.run(
                attempt, deadline_seconds=self._deadline(), interrupted=self._interrupted
            )
        self._sent.inc(delivery.accepted)
        delivery.undelivered = [(packed[i], reasons[i]) for i in pending]
        return delivery

    def _send(self, envelopes: list[Envelope]) -> SendResult:
        try:
            return self._sink.send(envelopes)
        except Exception as exc:  # noqa: BLE001 (a whole-batch failure: retried, then spilled)
            reason = f"{type(exc).__name__}: {exc}"
            return SendResult(
                [Outcome.RETRYABLE] * len(envelopes), dict.fromkeys(range(len(envelopes)), reason)
            )

    def _deadline(self) -> float:
        if self._stopping:
            return max(
                0.0, min(self._policy.deadline_seconds, self._close_deadline - time.monotonic())
            )
        return self._policy.deadline_seconds

    def _interrupted(self) -> bool:
        """Stop retrying when closing past the budget or when the queue is half full."""
        if self._stopping and time.monotonic() >= self._close_deadline:
            return True
        return len(self._queue) >= self._capacity // 2

    def _spill_lines(
        self, packed: Packed, reason: str, error: str, *, replayable: bool = True
    ) -> None:
        kind = packed.envelope.kind
        entries = [SpillEntry(kind, packed.group, line, reason, error) for line in packed.lines]
        self._spill.append(entries, replayable=replayable)

    def _spill_items(self, items: list[Item], reason: str, error: str) -> None:
        entries = [SpillEntry(kind, group, line, reason, error) for kind, group, line in items]
        self._spill.append(entries, replayable=True)
