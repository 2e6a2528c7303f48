"""Backfill: NDJSON files (plain or gzip) through the shared transform into the store.

A backfill is the collector without HTTP: the same `transform_lines`, the same partition
layout and gzip NDJSON files, refusals to `errors/ingest/<reason>/`. It buffers per
partition and writes one file per partition per run (split only past `MAX_FILE_BYTES`),
so a backfill of many small files does not leave many small objects behind.

With `from_errors=True` the input is `errors/` files: each line's `raw` record is replayed,
so refused records can be ingested again once the producer or the schema is fixed.
"""

from __future__ import annotations

import base64
import binascii
import gzip
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Final

from observability.core.errors import Reason, RecordError, Rejection
from observability.core.metrics import Metrics
from observability.core.partitioning import Partition
from observability.core.schema import Kind, parse_json_line, utc_now_iso
from observability.store.base import ObjectStore
from observability.store.errors import ErrorWriter
from observability.store.files import encode_ndjson_gz, new_filename
from observability.transform.lines import transform_lines

STAGE: Final = "ingest"
#: Lines transformed at a time; also how often progress is reported.
CHUNK_LINES: Final = 10_000
#: Uncompressed bytes buffered for one partition before its file is written.
MAX_FILE_BYTES: Final = 64 * 1024 * 1024
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
        max_file_bytes: int = MAX_FILE_BYTES,
    ) -> None:
        self._store = store
        self._metrics = metrics
        self._kind = kind
        self._from_errors = from_errors
        self._max_file_bytes = max_file_bytes
        self._errors = ErrorWriter(store, metrics)
        self._buffers: dict[Partition, list[bytes]] = {}
        self._buffered: Counter[Partition] = Counter()
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
            for chunk in _chunks(stream, path):
                self._process(path, chunk)
                if on_bytes is not None:
                    now = raw.tell()
                    on_bytes(now - position)
                    position = now
            self.summary.bytes_read += raw.tell()

    def _process(self, path: Path, chunk: list[tuple[int, bytes]]) -> None:
        self.summary.lines += len(chunk)
        refused: list[Rejection] = []
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
            partition = accepted.partition
            self._buffers.setdefault(partition, []).append(accepted.line)
            self._buffered[partition] += len(accepted.line) + 1
            if self._buffered[partition] >= self._max_file_bytes:
                self._write(partition)
        kinds = Counter(accepted.partition.kind.value for accepted in processed.accepted)
        for kind, count in kinds.items():
            self._metrics.records_accepted.labels(stage=STAGE, kind=kind).inc(count)
        self.summary.accepted += len(processed.accepted)
        if refused:
            self.summary.error_files += self._errors.write(STAGE, refused)
            self.summary.rejected.update(r.reason.value for r in refused)

    def _write(self, partition: Partition) -> None:
        lines = self._buffers.pop(partition)
        self._buffered.pop(partition, None)
        key = partition.object_key(new_filename())
        data = encode_ndjson_gz(lines)
        self._store.put(key, data)
        self._metrics.store_files_written.labels(kind=partition.kind.value).inc()
        self._metrics.store_bytes_written.labels(kind=partition.kind.value).inc(len(data))
        self.summary.files.append(key)


def replay_line(line: bytes) -> bytes:
    """The original record kept in one `errors/` line (its `raw`, decoded)."""
    entry = parse_json_line(line)
    raw = entry.get("raw")
    if type(raw) is not str:
        raise RecordError(Reason.MISSING_FIELD, "not an errors/ line: no raw record", "raw")
    if entry.get("raw_encoding") == "base64":
        try:
            return base64.b64decode(raw, validate=True)
        except binascii.Error:
            raise RecordError(Reason.BAD_ENCODING, "raw is not valid base64", "raw") from None
    return raw.encode("utf-8")


def _located(rejection: Rejection, path: Path, number: int) -> Rejection:
    """The same refusal, its message naming the file and line it came from."""
    message = f"{path.name}:{number}: {rejection.message}"
    return Rejection(rejection.reason, message, rejection.raw, number, rejection.field)


def _chunks(stream: BinaryIO, path: Path) -> Iterator[list[tuple[int, bytes]]]:
    """(line number, line) pairs in chunks of CHUNK_LINES; blank lines are skipped."""
    chunk: list[tuple[int, bytes]] = []
    try:
        for number, line in enumerate(stream, start=1):
            stripped = line.rstrip(b"\r\n")
            if stripped.strip():
                chunk.append((number, stripped))
            if len(chunk) >= CHUNK_LINES:
                yield chunk
                chunk = []
    except (gzip.BadGzipFile, EOFError) as exc:
        raise RecordError(Reason.BAD_ENCODING, f"{path}: not a readable gzip file: {exc}") from exc
    if chunk:
        yield chunk
