"""Backfill: NDJSON files (plain or gzip) through the shared transform into the store.

A backfill is the collector without HTTP: the same `transform_lines`, the same partition
layout and gzip NDJSON files, refusals to `errors/ingest/<reason>/`. It buffers per
partition and writes a partition's file when the run ends, or earlier when the buffers
pass `MAX_BUFFER_BYTES` (the largest go first), so a backfill of many small files does not
leave many small objects behind.

Memory is bounded by constants, not by the input: files are read `READ_BYTES` at a time
(decompressed), lines are transformed `CHUNK_LINES` / `CHUNK_BYTES` at a time, and a line
over the record limit is never held whole: it is refused as `too_large` with its first
`OVERSIZE_HEAD_BYTES` kept in `errors/`. A file that stops being readable gzip part way
keeps the lines before the damage and is refused from there as `bad_encoding`.

With `from_errors=True` the input is `errors/` files: each line's `raw` record is replayed,
so refused records can be ingested again once the producer or the schema is fixed.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Final

import orjson

from observability.core.errors import Reason, RecordError, Rejection
from observability.core.metrics import Metrics
from observability.core.partitioning import Partition
from observability.core.schema import MAX_RECORD_BYTES, Kind, utc_now_iso
from observability.store.base import ObjectStore
from observability.store.errors import ErrorWriter
from observability.store.files import encode_ndjson_gz, new_filename
from observability.transform.lines import transform_lines

STAGE: Final = "ingest"
#: Lines transformed at a time; also how often progress is reported.
CHUNK_LINES: Final = 10_000
#: ... and at most about this many bytes of them.
CHUNK_BYTES: Final = 4 * 1024 * 1024
#: Decompressed bytes read from a file at a time.
READ_BYTES: Final = 1024 * 1024
#: Bytes buffered over all partitions (lines plus their bookkeeping) before the largest
#: partitions are written; also the most one data file holds.
MAX_BUFFER_BYTES: Final = 64 * 1024 * 1024
#: Of a line over the limit, what `errors/` keeps (it is never held whole).
OVERSIZE_HEAD_BYTES: Final = 1024
#: An `errors/` line carries a record of up to MAX_RECORD_BYTES, JSON-escaped (six bytes
#: for a control character at worst), besides its reason and message.
MAX_ERRORS_LINE_BYTES: Final = 8 * MAX_RECORD_BYTES
#: What a buffered line costs besides its bytes (the bytes object and its list slot),
#: and what a partition's buffer costs: so that a million one-line partitions count too.
_LINE_OVERHEAD: Final = 48
_PARTITION_OVERHEAD: Final = 512
_GZIP_MAGIC: Final = b"\x1f\x8b"


@dataclass
class BackfillSummary:
    """What a backfill did: counts by outcome and the data files it wrote."""

    lines: int = 0
    accepted: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    files: list[str] = field(default_factory=list)
    error_files: list[str] = field(default_factory=list)
    bytes_read: int = 0

    @property
    def rejected_total(self) -> int:
        """Lines refused, all reasons together."""
        return sum(self.rejected.values())


def input_files(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, and the files under named directories, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file()))
        else:
            found.append(path)
    return found


class Backfill:
    """One run: transform lines, buffer them per partition, write gzip NDJSON files."""

    def __init__(
        self,
        store: ObjectStore,
        metrics: Metrics,
        kind: Kind | None,
        *,
        from_errors: bool = False,
        max_buffer_bytes: int = MAX_BUFFER_BYTES,
    ) -> None:
        self._store = store
        self._metrics = metrics
        self._kind = kind
        self._from_errors = from_errors
        self._line_limit = MAX_ERRORS_LINE_BYTES if from_errors else MAX_RECORD_BYTES
        self._max_buffer_bytes = max_buffer_bytes
        self._errors = ErrorWriter(store, metrics)
        self._buffers: dict[Partition, list[bytes]] = {}
        self._buffered: Counter[Partition] = Counter()
        self._buffered_total = 0
        self._ingested_at = utc_now_iso()
        self.summary = BackfillSummary()

    def run(
        self, files: Sequence[Path], on_bytes: Callable[[int], None] | None = None
    ) -> BackfillSummary:
        """Ingest every file; `on_bytes` gets the (compressed) bytes read since its last call."""
        for path in files:
            self._ingest_file(path, on_bytes)
        for partition in list(self._buffers):
            self._write(partition)
        return self.summary

    def _ingest_file(self, path: Path, on_bytes: Callable[[int], None] | None) -> None:
        with path.open("rb") as raw:
            stream: BinaryIO = raw
            if raw.read(2) == _GZIP_MAGIC:
                stream = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
            raw.seek(0)
            position = 0
            chunk: list[tuple[int, bytes]] = []
            size = 0
            refused: list[Rejection] = []
            limit = self._line_limit
            reader = LineReader(stream, limit)
            for number, line, length in reader:
                if length > limit:
                    refused.append(_oversize(path, number, line, length, limit))
                elif line.strip():
                    chunk.append((number, line.rstrip(b"\r")))
                    size += length
                if len(chunk) < CHUNK_LINES and size < CHUNK_BYTES and len(refused) < CHUNK_LINES:
                    continue
                self._process(path, chunk, refused)
                chunk, size, refused = [], 0, []
                if on_bytes is not None:
                    now = raw.tell()
                    on_bytes(now - position)
                    position = now
            if reader.error is not None:
                refused.append(_unreadable(path, reader))
            self._process(path, chunk, refused)
            if on_bytes is not None:
                on_bytes(raw.tell() - position)
            self.summary.bytes_read += raw.tell()

    def _process(
        self, path: Path, chunk: list[tuple[int, bytes]], refused: list[Rejection]
    ) -> None:
        self.summary.lines += len(chunk) + len(refused)
        lines: list[bytes] = []
        numbers: list[int] = []
        for number, text in chunk:
            line = text
            if self._from_errors:
                try:
                    line = replay_line(text)
                except RecordError as error:
                    refused.append(_located(Rejection.from_error(error, text), path, number))
                    continue
            lines.append(line)
            numbers.append(number)
        processed = transform_lines(lines, self._kind, self._ingested_at)
        for rejection in processed.rejected:
            index = rejection.index or 0
            refused.append(_located(rejection, path, numbers[index]))
        for accepted in processed.accepted:
            self._add(accepted.partition, accepted.line)
        kinds = Counter(accepted.partition.kind.value for accepted in processed.accepted)
        for kind, count in kinds.items():
            self._metrics.records_accepted.labels(stage=STAGE, kind=kind).inc(count)
        self.summary.accepted += len(processed.accepted)
        if refused:
            self.summary.error_files += self._errors.write(STAGE, refused)
            self.summary.rejected.update(r.reason.value for r in refused)

    def _add(self, partition: Partition, line: bytes) -> None:
        """Buffer one line; write partitions when the buffers pass their bound."""
        buffer = self._buffers.get(partition)
        cost = len(line) + 1 + _LINE_OVERHEAD
        if buffer is None:
            buffer = self._buffers[partition] = []
            cost += _PARTITION_OVERHEAD
        buffer.append(line)
        self._buffered[partition] += cost
        self._buffered_total += cost
        if self._buffered_total < self._max_buffer_bytes:
            return
        # The largest first, down to half the bound: big partitions get big files and
        # the small ones keep gathering lines.
        for largest, _cost in self._buffered.most_common():
            if self._buffered_total <= self._max_buffer_bytes // 2:
                break
            self._write(largest)

    def _write(self, partition: Partition) -> None:
        lines = self._buffers.pop(partition)
        self._buffered_total -= self._buffered.pop(partition, 0)
        key = partition.object_key(new_filename())
        data = encode_ndjson_gz(lines)
        del lines
        self._store.put(key, data)
        self._metrics.store_files_written.labels(kind=partition.kind.value).inc()
        self._metrics.store_bytes_written.labels(kind=partition.kind.value).inc(len(data))
        self.summary.files.append(key)


class LineReader:
    """The lines of a stream, read `read_bytes` at a time, as (number, line, length).

    A line over `limit` bytes is never held whole: it comes as its first
    OVERSIZE_HEAD_BYTES with its full length. If the stream stops being readable (damaged
    gzip), iteration ends there and `error` says why; `broken` is then the line it broke
    in: its number, its head and the bytes of it that were read.
    """

    def __init__(self, stream: BinaryIO, limit: int, read_bytes: int = READ_BYTES) -> None:
        self._stream = stream
        self._limit = limit
        self._read_bytes = read_bytes
        self.error: str | None = None
        self.broken: tuple[int, bytes, int] = (0, b"", 0)

    def __iter__(self) -> Iterator[tuple[int, bytes, int]]:
        limit, head_bytes = self._limit, OVERSIZE_HEAD_BYTES
        number = 0
        carry = bytearray()  # the current line so far; only its head once over `limit`
        size = 0  # the current line's length so far
        while True:
            try:
                block = self._stream.read(self._read_bytes)
            except (OSError, EOFError, zlib.error) as exc:  # BadGzipFile is an OSError
                self.error = f"{type(exc).__name__}: {exc}"
                self.broken = (number + 1, bytes(carry[:head_bytes]), size)
                return
            if not block:
                break
            pieces = block.split(b"\n")
            for piece in pieces[:-1]:
                number += 1
                if not size:
                    length = len(piece)
                    yield number, piece if length <= limit else piece[:head_bytes], length
                    continue
                length = size + len(piece)
                if length > limit:
                    yield number, (bytes(carry) + piece[:head_bytes])[:head_bytes], length
                else:
                    yield number, bytes(carry) + piece, length
                carry.clear()
                size = 0
            tail = pieces[-1]
            if tail:
                size += len(tail)
                if size <= limit:
                    carry += tail
                elif len(carry) < head_bytes:
                    carry += tail[: head_bytes - len(carry)]
                else:
                    del carry[head_bytes:]
        if size:
            yield number + 1, bytes(carry if size <= limit else carry[:head_bytes]), size


def replay_line(line: bytes) -> bytes:
    """The original record kept in one `errors/` line (its `raw`, decoded)."""
    if len(line) > MAX_ERRORS_LINE_BYTES:
        raise RecordError(
            Reason.TOO_LARGE, f"errors/ line is {len(line)} bytes; at most {MAX_ERRORS_LINE_BYTES}"
        )
    try:
        entry = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise RecordError(Reason.MALFORMED_JSON, f"not an errors/ line: {exc}") from None
    raw = entry.get("raw") if type(entry) is dict else None
    if type(raw) is not str:
        raise RecordError(Reason.MISSING_FIELD, "not an errors/ line: no raw record", "raw")
    if entry.get("raw_encoding") == "base64":
        try:
            return base64.b64decode(raw, validate=True)
        except binascii.Error:
            raise RecordError(Reason.BAD_ENCODING, "raw is not valid base64", "raw") from None
    return raw.encode("utf-8")


def _oversize(path: Path, number: int, head: bytes, length: int, limit: int) -> Rejection:
    """A line over the limit, refused before the transform with only its head kept."""
    message = (
        f"{path.name}:{number}: line is {length} bytes; the limit is {limit}; "
        f"raw holds its first {len(head)} bytes"
    )
    return Rejection(Reason.TOO_LARGE, message, head, number)


def _unreadable(path: Path, reader: LineReader) -> Rejection:
    """Where a file stopped being readable: the rest of it is refused, the lines before kept."""
    number, head, length = reader.broken
    message = (
        f"{path.name}:{number}: not readable from here on ({reader.error}); raw holds the "
        f"head of the line it broke in ({length} bytes of it were read)"
    )
    return Rejection(Reason.BAD_ENCODING, message, head, number)


def _located(rejection: Rejection, path: Path, number: int) -> Rejection:
    """The same refusal, its message naming the file and line it came from."""
    message = f"{path.name}:{number}: {rejection.message}"
    return Rejection(rejection.reason, message, rejection.raw, number, rejection.field)
