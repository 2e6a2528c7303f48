"""The collector: transform a batch, journal it, buffer it per partition, flush like Firehose.

Durability: a batch's accepted lines are in the fsync'ed journal before `ingest`
returns (see `journal` for the contract); rejected lines are in `errors/` before it
returns. Buffers are memory only and rebuilt from the journal after a crash. A flush
seals the current segment together with exactly the buffers its blocks filled, so
the store files of one segment hold exactly that segment's lines, named after it.
If the store fails, the sealed segment stays on disk and in memory and is retried;
lines added to a buffer whose fsync then fails may be stored and also retried by the
client (a duplicate with the same `record_id`, never a loss). A batch the journal
refuses takes its errors/ files back with it (`commit`), so a retry stores them once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from observability.core.errors import Rejection, StoreError
from observability.core.metrics import Metrics
from observability.core.partitioning import Partition, parse_prefix
from observability.core.schema import Kind, utc_now_iso
from observability.service.collector.journal import (
    JournalLock,
    Segment,
    encode_block,
    leftover_segments,
    read_segment,
)
from observability.service.errors import JournalError, NotReadyError, OverloadedError
from observability.store.base import ObjectStore
from observability.store.errors import ErrorWriter
from observability.store.files import encode_ndjson_gz
from observability.transform.lines import Accepted, transform_lines

STAGE: Final = "collector"
DATA_SUFFIX: Final = ".json.gz"
#: Refuse new batches while this many times `buffer_max_bytes` waits for the store.
BACKLOG_FACTOR: Final = 8
BACKLOG_MIN_BYTES: Final = 64 * 1024 * 1024
#: Lines validated between two yields to the event loop: a few milliseconds of work.
PREPARE_STEP: Final = 500

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BufferPolicy:
    """Firehose-like buffering hints: flush at this many bytes or this age."""

    max_bytes: int
    max_seconds: float


@dataclass(slots=True)
class IngestResult:
    """Per-batch outcome: how many lines were accepted, and each refused line."""

    accepted: int
    rejected: list[Rejection]


@dataclass(frozen=True, slots=True)
class PreparedBatch:
    """A transformed batch, ready to be made durable by `Collector.commit`.

    `groups` holds, per partition, chunks of record lines joined by newlines (a chunk may
    be a single line): the journal, the buffers and the store files take them as they are.
    """

    kind: Kind
    accepted: int
    rejected: list[Rejection]
    groups: dict[Partition, list[bytes]]


@dataclass(slots=True)
class _Buffers:
    """Lines of one open segment, by partition (in newline-joined chunks)."""

    groups: dict[Partition, list[bytes]] = field(default_factory=dict)
    nbytes: int = 0
    first_at: float | None = None


@dataclass(slots=True)
class _Sealed:
    segment: Segment
    buffers: _Buffers


@dataclass(slots=True)
class ReplayReport:
    """What startup replay recovered from a previous process's journal."""

    segments: int = 0
    lines: int = 0
    files: int = 0
    torn_bytes: int = 0


class Collector:
    """Thread-safe: `ingest` runs in a threadpool, `flush` in the background task."""

    def __init__(
        self,
        journal_dir: Path,
        store: ObjectStore,
        metrics: Metrics,
        errors: ErrorWriter,
        policy: BufferPolicy,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_written: Callable[[Sequence[bytes]], None] | None = None,
    ) -> None:
        self._dir = journal_dir
        self._store = store
        self._metrics = metrics
        self._errors = errors
        self.policy = policy
        self._clock = clock
        self._on_written = on_written
        self._lock_file = JournalLock(journal_dir)
        self._lock = threading.Lock()  # segment, buffers, sealed list
        self._flush_lock = threading.Lock()  # one flush at a time
        self._segment: Segment | None = None
        self._buffers = _Buffers()
        self._sealed: list[_Sealed] = []
        self._backlog_limit = max(BACKLOG_FACTOR * policy.max_bytes, BACKLOG_MIN_BYTES)
        self.ready = False

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> ReplayReport:
        """Lock the journal and replay what a previous process left, before serving."""
        self._lock_file.acquire()
        try:
            report = replay_journal(self._dir, self._store, self._metrics, self._notify)
        except BaseException:
            self._lock_file.release()
            raise
        self.ready = True
        return report

    def close(self) -> None:
        """Stop accepting, flush everything, release the journal.

        If the final flush fails, the segments stay on disk for the next start.
        """
        self.ready = False
        try:
            self.flush(force=True)
        finally:
            self._lock_file.release()

    # -- the request path ------------------------------------------------------------

    def ingest(self, kind: Kind, lines: Sequence[bytes]) -> IngestResult:
        """Transform a batch; store the bad lines in errors/, journal and buffer the good."""
        return self.commit(self.prepare(kind, lines))

    def prepare(self, kind: Kind, lines: Sequence[bytes]) -> PreparedBatch:
        """The CPU half of `ingest`: transform and group the accepted lines by partition."""
        steps = self.prepare_steps(kind, lines)
        while True:
            try:
                next(steps)
            except StopIteration as done:
                batch: PreparedBatch = done.value
                return batch

    def prepare_steps(
        self, kind: Kind, lines: Sequence[bytes]
    ) -> Generator[None, None, PreparedBatch]:
        """`prepare` in steps of PREPARE_STEP lines: it yields between steps.

        The app runs this on the event loop, yielding to other requests and `/healthz`
        between steps, and only `commit` in a thread: a CPU-bound worker thread would hold
        the GIL while the loop waits to read other bodies.
        """
        if not self.ready:
            raise NotReadyError("the collector is starting or stopping; retry shortly")
        self._check_backlog()  # before errors/ is written, so a retry duplicates nothing
        ingested_at = utc_now_iso()
        accepted = 0
        rejected: list[Rejection] = []
        chunks: dict[tuple[object, ...], tuple[Partition, list[bytes]]] = {}
        for start in range(0, len(lines), PREPARE_STEP):
            processed = transform_lines(lines[start : start + PREPARE_STEP], kind, ingested_at)
            for rejection in processed.rejected:
                rejection.index = start + (rejection.index or 0)
            rejected += processed.rejected
            accepted += len(processed.accepted)
            for key, (partition, chunk) in _chunks(processed.accepted).items():
                slot = chunks.get(key)
                if slot is None:
                    chunks[key] = (partition, [chunk])
                else:
                    slot[1].append(chunk)
            yield
        return PreparedBatch(kind, accepted, rejected, dict(chunks.values()))

    def commit(self, batch: PreparedBatch) -> IngestResult:
        """The I/O half of `ingest`: errors/ written, accepted lines journaled and fsync'ed.

        All or nothing, as far as the store allows: if the journal refuses the accepted
        lines, the errors/ files this batch wrote are deleted again before the error
        propagates, so the client's retry stores each refused line once.
        """
        written: list[str] = []
        try:
            for group in _by_reason(batch.rejected):
                written += self._errors.write(STAGE, group)
        except Exception as exc:
            self._forget(written)
            raise StoreError(f"could not write refused records to errors/: {exc}") from exc
        if batch.accepted:
            groups = batch.groups
            try:
                # Encoding here keeps the copy and CRC (which release the GIL) off the loop.
                block = encode_block({p.prefix: chunks for p, chunks in groups.items()})
                # A chunk of k lines has k - 1 newlines: with one more, lines plus newlines.
                nbytes = sum(sum(map(len, chunks)) + len(chunks) for chunks in groups.values())
                self._append(block, groups, nbytes)
            except BaseException:
                self._forget(written)
                raise
            kind = batch.kind.value
            self._metrics.records_accepted.labels(stage=STAGE, kind=kind).inc(batch.accepted)
        return IngestResult(batch.accepted, batch.rejected)

    def _forget(self, keys: Sequence[str]) -> None:
        """Delete the errors/ files of a batch that failed (a retry writes them again)."""
        for key in keys:
            try:
                self._store.delete(key)
            except Exception as exc:  # noqa: BLE001 - the retry then duplicates these lines
                log.warning("could not delete %s after a failed batch: %s", key, exc)

    def _check_backlog(self) -> None:
        with self._lock:
            if self._sealed and self._backlog_bytes() > self._backlog_limit:
                raise OverloadedError(
                    f"{self._backlog_bytes()} bytes are waiting for the store; retry later"
                )

    def _append(self, block: bytes, groups: dict[Partition, list[bytes]], nbytes: int) -> None:
        with self._lock:
            segment = self._segment
            if segment is None:
                segment = self._segment = Segment(self._dir)
            try:
                end = segment.write(block)
            except JournalError:
                self._seal_locked()  # never append after a possibly torn block
                raise
            buffers = self._buffers
            for partition, group in groups.items():
                existing = buffers.groups.get(partition)
                if existing is None:
                    buffers.groups[partition] = group
                else:
                    existing.extend(group)
            buffers.nbytes += nbytes
            if buffers.first_at is None:
                buffers.first_at = self._clock()
            segment.acquire()
            self._metrics.collector_buffered_bytes.set(self._backlog_bytes())
        try:
            segment.sync(end)
        except JournalError:
            with self._lock:
                if self._segment is segment:
                    self._seal_locked()
            raise

    # -- flushing --------------------------------------------------------------------

    def flush_due(self) -> bool:
        """Whether the buffers reached the size or age bound, or a retry is pending."""
        with self._lock:
            return bool(self._sealed) or self._buffers_due_locked()

    def flush(self, *, force: bool = False) -> int:
        """Seal the open segment (if due or forced) and write sealed ones; returns files.

        A retry after a failed write does not seal a young buffer early.
        """
        with self._flush_lock:
            with self._lock:
                if force or self._buffers_due_locked():
                    self._seal_locked()
            written = 0
            while True:
                with self._lock:
                    if not self._sealed:
                        break
                    sealed = self._sealed[0]
                written += self._write_sealed(sealed)
                with self._lock:
                    self._sealed.pop(0)
                    self._metrics.collector_buffered_bytes.set(self._backlog_bytes())
                sealed.segment.remove()
            return written

    def _buffers_due_locked(self) -> bool:
        buffers = self._buffers
        if buffers.nbytes >= self.policy.max_bytes:
            return True
        first = buffers.first_at
        return first is not None and self._clock() - first >= self.policy.max_seconds

    def buffered_bytes(self) -> int:
        """Bytes accepted and not yet in the store."""
        with self._lock:
            return self._backlog_bytes()

    def oldest_unflushed_age(self) -> float:
        """Seconds since the oldest journaled line not yet in the store arrived (0 if none)."""
        with self._lock:
            firsts = [s.buffers.first_at for s in self._sealed] + [self._buffers.first_at]
            known = [first for first in firsts if first is not None]
            return max(0.0, self._clock() - min(known)) if known else 0.0

    def _seal_locked(self) -> None:
        if self._segment is None:
            return
        self._sealed.append(_Sealed(self._segment, self._buffers))
        self._segment = None
        self._buffers = _Buffers()

    def _backlog_bytes(self) -> int:
        return self._buffers.nbytes + sum(s.buffers.nbytes for s in self._sealed)

    def _write_sealed(self, sealed: _Sealed) -> int:
        sealed.segment.wait_idle()
        groups = sealed.buffers.groups
        written = write_groups(sealed.segment.id, groups, self._store, self._metrics)
        self._notify(groups)
        return written

    def _notify(self, groups: Mapping[Partition, list[bytes]]) -> None:
        """Hand what was just stored to the `on_written` hook (search indexing), line by line."""
        if self._on_written is None:
            return
        for partition, chunks in groups.items():
            if partition.kind is not Kind.LABEL:
                self._on_written([line for chunk in chunks for line in chunk.split(b"\n")])


def _chunks(accepted: Sequence[Accepted]) -> dict[tuple[object, ...], tuple[Partition, bytes]]:
    """Accepted lines joined per partition into one newline-separated chunk each.

    Every accepted record has `kind`, so the rest of the partition tuple is a key that
    hashes in C (hashing the enum inside a Partition calls Python code). Joining matters
    for memory: orjson returns each line in a 4 KiB allocation whatever its length, so a
    buffer of separate lines would hold ten times its size.
    """
    slots: dict[tuple[object, ...], tuple[Partition, list[bytes]]] = {}
    for item in accepted:
        partition = item.partition
        slot = slots.get(partition[1:])
        if slot is None:
            slots[partition[1:]] = (partition, [item.line])
        else:
            slot[1].append(item.line)
    return {key: (partition, _joined(group)) for key, (partition, group) in slots.items()}


def _joined(lines: list[bytes]) -> bytes:
    # `join` hands a lone line back as it is, allocation and all: copy it to its size.
    return b"\n".join(lines) if len(lines) > 1 else memoryview(lines[0]).tobytes()


def _by_reason(rejected: Sequence[Rejection]) -> list[list[Rejection]]:
    """Refused lines grouped by reason: one errors/ file each, as `ErrorWriter` writes."""
    groups: dict[str, list[Rejection]] = {}
    for rejection in rejected:
        groups.setdefault(rejection.reason.value, []).append(rejection)
    return list(groups.values())


def write_groups(
    segment_id: str,
    groups: dict[Partition, list[bytes]],
    store: ObjectStore,
    metrics: Metrics,
) -> int:
    """One gzip NDJSON file per partition, named from the segment: rewrites are idempotent."""
    filename = segment_id + DATA_SUFFIX
    for partition, lines in groups.items():
        data = encode_ndjson_gz([b"\n".join(lines)])  # one chunk: no per-line Python loop
        store.put(partition.object_key(filename), data)
        kind = partition.kind.value
        metrics.store_files_written.labels(kind=kind).inc()
        metrics.store_bytes_written.labels(kind=kind).inc(len(data))
    return len(groups)


def replay_journal(
    journal_dir: Path,
    store: ObjectStore,
    metrics: Metrics,
    notify: Callable[[Mapping[Partition, list[bytes]]], None] | None = None,
) -> ReplayReport:
    """Write every leftover segment to the store, then delete it (caller holds the lock)."""
    report = ReplayReport()
    for path in leftover_segments(journal_dir):
        contents = read_segment(path)
        groups = {parse_prefix(prefix): lines for prefix, lines in contents.groups.items()}
        report.files += write_groups(contents.segment_id, groups, store, metrics)
        if notify is not None:
            notify(groups)
        report.segments += 1
        report.lines += contents.lines
        report.torn_bytes += contents.torn_bytes
        if contents.torn_bytes:
            log.warning(
                "journal segment %s ends in %d bytes of an unacknowledged, cut-off append",
                path.name,
                contents.torn_bytes,
            )
        path.unlink()
    if report.segments:
        log.info(
            "replayed %d journal segment(s): %d lines into %d file(s)",
            report.segments,
            report.lines,
            report.files,
        )
    return report
