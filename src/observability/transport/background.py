"""The SDK-facing sink: a bounded queue in front of a `Sink`, drained by one thread.

`submit` is on the logging hot path: a deque append, nothing else, unless the queue is
full (then it waits at most `block_budget_ms` and spills the line). The worker packs lines
into envelopes under the destination's limits, sends them, halves what was refused as too
large, retries only what the sink called RETRYABLE (through `retry.py`, under a deadline),
and spills whatever is still undelivered or was rejected. On a sustained outage it spills
without trying, probes every `probe_seconds`, and once a probe gets through it replays the
spill, oldest file first.

`close` ends in bounded time: the worker gets `close_seconds` to deliver what is queued
(its requests are cut to what is left); then whatever it still holds is spilled by the
closer, one stderr warning says how many lines went to the spill, and the next process
replays them. The worker publishes which lines are not settled yet (`delivery.Flight`),
so the closer spills exactly those: a line is delivered, rejected or spilled, once.
"""

from __future__ import annotations

import atexit
import dataclasses
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Sequence
from typing import Final

from observability.core.metrics import Metrics
from observability.core.schema import MAX_RECORD_BYTES, Kind
from observability.transport import forks
from observability.transport.aggregate import DEFAULT_AGGREGATE_BYTES, Packed, pack
from observability.transport.base import Envelope, Outcome, SendResult, Sink
from observability.transport.delivery import Abandoned, Delivery, Flight, Item
from observability.transport.locks import held_here, new_lock
from observability.transport.retry import RetryPolicy
from observability.transport.spill import Spill, SpillEntry
from observability.transport.threads import mark_delivery_thread

#: Spill reasons; the spill file records one per line.
TOO_LARGE: Final = "too_large"
QUEUE_FULL: Final = "queue_full"
UNDELIVERED: Final = "undelivered"
REJECTED: Final = "rejected"
CLOSED: Final = "closed"
INTERNAL_ERROR: Final = "internal_error"
#: What `close` allows past its deadline for the worker to notice it and spill.
CLOSE_GRACE_SECONDS: Final = 0.5


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
        policy = retry_policy or RetryPolicy()
        if policy.sleep is time.sleep:  # a backoff ends early when close() begins
            policy = dataclasses.replace(policy, sleep=self._backoff_sleep)
        self._policy = policy
        self._max_line = min(sink.max_envelope_bytes - 1, MAX_RECORD_BYTES)
        self._aggregate_bytes = min(aggregate_bytes, sink.max_envelope_bytes) if aggregate else None
        self._aggregate_lines = sink.max_envelope_lines
        self._wake_lines = min(wake_lines, queue_records)
        self._drain_lines = drain_lines
        self._probe_seconds = probe_seconds
        self._close_seconds = close_seconds
        self._stopping = False
        self._closed = False
        self._close_deadline = float("inf")
        self._closer: int | None = None
        self._close_result: bool | None = None
        self._warned_closed = False
        self._sent = metrics.sink_records.labels(self._name, "sent")
        self._retried = metrics.sink_records.labels(self._name, "retried")
        self._replayed = metrics.sink_records.labels(self._name, "replayed")
        self._rejected = metrics.sink_records.labels(self._name, "rejected")
        self._depth = metrics.sink_queue_depth.labels(self._name)
        self._fresh_state()
        forks.register(self)
        self._start()
        atexit.register(self.close)

    def _fresh_state(self) -> None:
        """Queue, locks and worker state as in a new sink (also in a forked child)."""
        self._queue: deque[Item | threading.Event] = deque()
        self._wake = threading.Event()
        self._closing = threading.Event()
        self._room = threading.Condition()
        self._state = new_lock()
        self._closed_event = threading.Event()
        self._flush_waiters = 0
        self._outage = False
        self._next_probe = 0.0
        self._outage_error = ""
        self._flight = Flight()

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"{self._name}-sink", daemon=True)
        self._thread.start()

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
        if self._closed:  # closed while appending: the closer may have drained already
            self._spill_leftovers()
        elif len(queue) >= self._wake_lines and not self._wake.is_set():
            self._wake.set()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything submitted before this call is delivered or spilled."""
        if self._stopping:  # closing (or closed): its own deadline bounds the wait
            self._closed_event.wait(timeout)
            self._spill.flush()
            return bool(self._close_result)
        marker = threading.Event()
        with self._state:
            self._flush_waiters += 1
        self._queue.append(marker)
        self._wake.set()
        deadline = None if timeout is None else time.monotonic() + timeout
        while not marker.wait(0.05):
            if self._closed:
                return False
            if not self._thread.is_alive():  # closed meanwhile: nobody else will see it
                self._spill_leftovers()
            elif deadline is not None and time.monotonic() >= deadline:
                return False
        return True

    def close(self, timeout: float | None = None) -> bool:
        """Deliver for at most `timeout` (default `close_seconds`), spill the rest, stop.

        Returns within the deadline plus `CLOSE_GRACE_SECONDS`; True when every line was
        delivered. Later lines go straight to the spill, handed to the OS at once.
        """
        budget = self._close_seconds if timeout is None else max(0.0, timeout)
        with self._state:
            first = not self._stopping
            if first:
                self._stopping = True
                self._closer = threading.get_ident()
                self._close_deadline = time.monotonic() + budget
        if not first:  # closing elsewhere (or re-entered from a signal handler): bounded wait
            if self._closer != threading.get_ident():
                self._closed_event.wait(budget + CLOSE_GRACE_SECONDS)
            return bool(self._close_result)
        atexit.unregister(self.close)
        kept_before = self._spill.kept
        self._closing.set()
        self._wake.set()
        self._thread.join(budget + CLOSE_GRACE_SECONDS)
        stopped = not self._thread.is_alive()
        self._spill.write_through = True
        self._closed = True
        if not stopped:
            self._abandon(f"not delivered within the {budget:g} s shutdown deadline")
        self._spill_leftovers()
        self._spill.close()
        self._depth.set(0)
        spilled = self._spill.kept - kept_before
        if spilled:
            self._warn(spilled, budget)
        self._close_result = stopped and spilled == 0
        self._closed_event.set()
        return self._close_result

    def in_use_here(self) -> bool:
        """True while the current thread is inside this sink (a signal interrupted it)."""
        return held_here(self._state) or held_here(self._room) or self._spill.in_use_here()

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
            if not self._warned_closed:
                self._warned_closed = True
                sys.stderr.write(
                    f"observability: {self._name} sink is closed; lines logged from now on "
                    f"are kept in {self._spill.pending_dir} for the next process\n"
                )

    def _abandon(self, error: str) -> None:
        """At the deadline: take the lines the stuck worker holds and spill them."""
        items, parts = self._flight.take()
        self._spill_items(items, UNDELIVERED, error)
        for part in parts:
            self._spill_lines(part, UNDELIVERED, error)

    def _warn(self, spilled: int, budget: float) -> None:
        sys.stderr.write(
            f"observability: {self._name} sink: {spilled} line(s) went to the spill at "
            f"shutdown (deadline {budget:g} s): {self._spill.pending_dir.parent}; "
            "pending lines are replayed by the next process using it\n"
        )
        sys.stderr.flush()

    # -- fork ----------------------------------------------------------------------------

    def before_fork(self) -> None:
        """Nothing to write: queued lines stay the parent's to deliver."""

    def after_fork_in_parent(self) -> None:
        """Nothing was held."""

    def after_fork_in_child(self) -> None:
        """Forget the parent's queue and locks; start this process's own worker."""
        self._fresh_state()
        if self._stopping:  # the parent was closing: this copy takes nothing more
            self._closed = True
            self._closed_event.set()
            return
        self._start()

    # -- the worker ------------------------------------------------------------------------

    def _run(self) -> None:
        mark_delivery_thread()  # what httpx or botocore log here is never bridged back in
        while True:
            if not self._busy():
                self._wake.wait(self._flush_seconds)
            self._wake.clear()
            items, markers = self._drain(self._drain_lines)
            try:
                try:
                    self._cycle(items)
                except Abandoned:
                    raise
                except Exception:  # noqa: BLE001 (the worker must survive; lines are spilled)
                    traceback.print_exc(file=sys.stderr)
                    self._spill_unsettled(INTERNAL_ERROR, "sink worker failed; see stderr")
            except Abandoned:
                self._release(markers)
                return
            if markers:
                self._spill.flush()
                self._release(markers)
            if self._stopping and not self._queue:
                return

    def _backoff_sleep(self, seconds: float) -> None:
        self._closing.wait(seconds)

    def _release(self, markers: list[threading.Event]) -> None:
        with self._state:
            self._flush_waiters -= len(markers)
        for marker in markers:
            marker.set()

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
            self._flight.hold(items)
            if self._outage and (now < self._next_probe or self._stopping):
                self._spill_unsettled(UNDELIVERED, self._outage_error)
            else:
                parts = pack(items, self._aggregate_bytes, self._aggregate_lines)
                self._settle(self._deliver(parts, probe=self._outage, tracked=True), now)
        if not self._outage and not self._stopping and self._spill.has_pending:
            self._replay_one(now)
        elif self._outage and not items and now >= self._next_probe and self._spill.has_pending:
            self._replay_one(now)  # the oldest spill file is the probe when nothing is queued

    def _spill_unsettled(self, reason: str, error: str) -> None:
        flight = self._flight
        with flight.lock:
            flight.check()
            self._spill_items(flight.items, reason, error)
            for part in flight.parts:
                self._spill_lines(part, reason, error)
            flight.items, flight.parts = [], []

    def _settle(self, delivery: Delivery, now: float) -> None:
        if delivery.undelivered:
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
        parts = pack(items, self._aggregate_bytes, self._aggregate_lines)
        delivery = self._deliver(parts, probe=self._outage, tracked=False)
        remaining = [
            SpillEntry(packed.envelope.kind, packed.group, line, UNDELIVERED, reason)
            for packed, reason in delivery.undelivered
            for line in packed.lines
        ]
        claimed.finish(remaining)
        self._replayed.inc(delivery.accepted)
        self._settle(delivery, now)

    def _deliver(self, packed: Sequence[Packed], *, probe: bool, tracked: bool) -> Delivery:
        """Send, halving TOO_LARGE envelopes and retrying RETRYABLE ones; spill REJECTED
        ones. `tracked` lines are the worker's own: it publishes which are unsettled and
        spills the undelivered ones itself; a replay's stay in their claimed file."""
        delivery = Delivery(list(packed))
        delivery.retry = list(range(len(delivery.parts)))
        flight = self._flight
        attempts = 0

        def attempt() -> bool:
            nonlocal attempts
            attempts += 1
            parts = delivery.parts
            if attempts > 1:
                self._retried.inc(sum(parts[i].envelope.count for i in delivery.retry))
            todo, delivery.retry = delivery.retry, []
            while todo:  # halves of a too-large envelope go again at once, not after a backoff
                result = self._send([parts[i].envelope for i in todo])
                with flight.lock:
                    if tracked:
                        flight.check()
                    todo, refused = delivery.classify(todo, result)
                    for part, reason in refused:
                        self._rejected.inc(part.envelope.count)
                        self._spill_lines(part, REJECTED, reason, replayable=False)
                    if tracked:
                        flight.items = []
                        flight.parts = [parts[i] for i in (*delivery.retry, *todo)]
            return bool(delivery.retry)

        if probe:
            attempt()
        else:
            self._policy.run(
                attempt, deadline_seconds=self._deadline(), interrupted=self._interrupted
            )
        self._sent.inc(delivery.accepted)
        delivery.undelivered = [(delivery.parts[i], delivery.reasons[i]) for i in delivery.retry]
        if tracked:
            with flight.lock:
                flight.check()
                for part, reason in delivery.undelivered:
                    self._spill_lines(part, UNDELIVERED, reason)
                flight.parts = []
        return delivery

    def _send(self, envelopes: list[Envelope]) -> SendResult:
        timeout = None
        if self._stopping:
            timeout = max(0.0, self._close_deadline - time.monotonic())
        try:
            return self._sink.send(envelopes, timeout)
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
