"""Compaction: one partition's gzip NDJSON files -> one zstd Parquet file under `compacted/`.

Scans over gzip NDJSON parse every byte; Parquet lets DuckDB and Athena read only the
columns a query needs. The rules that make a re-run safe:

- One output per partition (an hour; a day for labels) with a fixed name,
  `compacted/<partition prefix>/part-0000.parquet`, written with one `ObjectStore.put`,
  so it is replaced atomically and a reader never sees half of it.
- The file's key-value metadata `observability.manifest` lists the source keys it covers.
  It is written with the rows, so it is the authority. A `_manifest.json` sidecar with the
  same list (plus counts) is written after the file; a re-run compares it with the current
  listing and does nothing when they agree. A stale sidecar (a crash between the two puts)
  only causes a rewrite. Names starting with `_` are ignored by Athena and by our globs.
- Source files are never deleted here; on S3 each one the file covers is tagged
  (`store/tags.py`) for the bucket's lifecycle rule, which moves or expires it. Readers
  prefer compacted data for partitions where it exists and read only the source files
  that its manifest does not list (files that arrived after compaction), so no record is
  counted twice.
- Column types come from `core.schema.FIELDS`. Fields whose JSON type varies by record
  (`attributes`, `features`, `exception`, `prediction`, `label`) are stored as JSON text, so
  two files never disagree on a column's type (the text is the source's on the reference
  path, DuckDB's rendering of it on the fast path: equal as JSON). Partition columns live
  in the path only.
- A line that cannot be stored goes to `errors/compaction/<reason>/`, never dropped; a
  rewrite does not report again the lines of sources an earlier run already covered.
- Two ways to the same file. The fast path (`columnar.py`) has DuckDB read ingest's files
  and write the Parquet file without validating again (ingest did); anything it does not
  take as is (a line ingest did not write, a misplaced row, a decoding error) sends the
  partition down the reference path below, which checks every record. `reference=True`
  uses the reference path alone (the baseline that benchmarks and tests compare with).
- Hot attributes (`core.fields.HOT_ATTRIBUTES`, `latency_ms` of logs) are typed columns
  after `ingested_at`, and stay in `attributes`. The sidecar lists the file's columns: a
  file with other columns is rewritten by the next run, and readers skip it until then.
- A closed day's hour files may then be rolled up into one day file (`store/rollup.py`).
- An optional `on_compacted(partition, table)` hook (drift sketches use it) sees the rows
  just written. It runs after the Parquet put and before the sidecar, so a hook that fails
  leaves the sidecar stale and the next run compacts the partition, and calls it, again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import orjson

# pyarrow ships no type information; its objects are Any here.
import pyarrow as pa
import pyarrow.parquet as pq

from observability.core import keys
from observability.core.errors import Reason, Rejection
from observability.core.fields import HOT_ATTRIBUTES
from observability.core.metrics import Metrics
from observability.core.partitioning import KEY_COLUMN, Partition, parse_prefix
from observability.core.schema import FIELDS, INGESTED_AT, Kind, utc_now_iso
from observability.store.base import ObjectStore
from observability.store.columnar import ColumnarWriter, UnfitError
from observability.store.errors import ErrorWriter
from observability.store.reference import (
    ARROW_TYPES,
    TIMESTAMP,
    UNREADABLE,
    convert,
    dictionary_columns,
    split,
)
from observability.store.tags import mark_compacted

log = logging.getLogger(__name__)

STAGE: Final = "compaction"
OUTPUT_NAME: Final = "part-0000.parquet"
MANIFEST_NAME: Final = "_manifest.json"
MANIFEST_METADATA_KEY: Final = b"observability.manifest"
MANIFEST_VERSION: Final = 1
#: Lines decoded at a time: bounds memory, and a working set this small stays in cache.
CHUNK_LINES: Final = 4096
#: Rows per Parquet row group: large enough for column pruning to pay off.
ROW_GROUP_ROWS: Final = 131_072
#: Level 1 measured here: ~40% less write time than zstd's default 3, files within 1%.
ZSTD_LEVEL: Final = 1
#: DuckDB threads of the fast path: compaction is a background job beside the collector
#: and the API; one thread did as well as two on a loaded 2-core machine, and leaves a core.
DUCKDB_THREADS: Final = 1


def arrow_schema(kind: Kind) -> pa.Schema:
    """The Parquet schema of a kind: FIELDS minus partition columns, `ingested_at`, then
    the kind's hot attributes."""
    columns = [
        pa.field(f.name, ARROW_TYPES.get(f.type, pa.string()))
        for f in FIELDS[kind]
        if f.name != KEY_COLUMN[kind]
    ]
    columns.append(pa.field(INGESTED_AT, TIMESTAMP))
    columns += [pa.field(h.name, ARROW_TYPES[h.type]) for h in HOT_ATTRIBUTES[kind]]
    return pa.schema(columns)


@dataclass(frozen=True, slots=True)
class CompactionResult:
    """What compacting one partition did."""

    partition: Partition
    key: str
    sources: int
    rows: int
    rejected: int
    skipped: bool
    seconds: float


class Compactor:
    """Compacts partitions of one store; errors go to the same store's `errors/`."""

    def __init__(
        self,
        store: ObjectStore,
        metrics: Metrics,
        on_compacted: Callable[[Partition, pa.Table], None] | None = None,
        *,
        reference: bool = False,
    ) -> None:
        self._store = store
        self._metrics = metrics
        self._errors = ErrorWriter(store, metrics)
        self._on_compacted = on_compacted
        self._columnar = (
            None
            if reference
            else ColumnarWriter(
                row_group_rows=ROW_GROUP_ROWS, zstd_level=ZSTD_LEVEL, threads=DUCKDB_THREADS
            )
        )

    def close(self) -> None:
        """Release the fast path's DuckDB connection and staging directory (also done when
        the compactor is collected); a later `compact` opens them again."""
        if self._columnar is not None:
            self._columnar.close()

    def sources(self, partition: Partition) -> list[str]:
        """Data files directly in a partition (hidden `.`/`_` names are not data)."""
        prefix = partition.prefix
        return [
            key
            for key in self._store.list(prefix)
            if "/" not in key[len(prefix) :] and not key[len(prefix) :].startswith((".", "_"))
        ]

    def find(
        self, kinds: Iterable[Kind], start: datetime | None = None, end: datetime | None = None
    ) -> dict[Partition, list[str]]:
        """Partitions with data whose hour (day, for labels) overlaps [start, end]."""
        found: dict[Partition, list[str]] = {}
        for kind in kinds:
            for key in self._store.list(keys.kind_prefix(kind)):
                directory, _, name = key.rpartition("/")
                if name.startswith((".", "_")):
                    continue
                try:
                    partition = parse_prefix(directory + "/")
                except ValueError:
                    continue
                if partition.prefix != directory + "/" or not overlaps(partition, start, end):
                    continue
                found.setdefault(partition, []).append(key)
        return dict(sorted(found.items(), key=lambda item: item[0].prefix))

    def is_current(self, partition: Partition, sources: Sequence[str]) -> bool:
        """Whether the partition's compacted file covers exactly `sources` (nothing to do)."""
        return self._previous_sources(partition) == sorted(sources) and self._store.exists(
            partition.compacted_key(OUTPUT_NAME)
        )

    def compact(
        self,
        partition: Partition,
        sources: Sequence[str] | None = None,
    ) -> CompactionResult:
        """Rewrite a partition's files into one Parquet file unless it is already current."""
        started = time.perf_counter()
        keys = sorted(self.sources(partition) if sources is None else sources)
        output = partition.compacted_key(OUTPUT_NAME)
        previous = self._previous_sources(partition)
        if previous == keys and self._store.exists(output):
            return CompactionResult(partition, output, len(keys), 0, 0, True, 0.0)
        reported = frozenset(previous or ())  # their bad lines are in errors/ already
        kind = partition.kind
        manifest = {"version": MANIFEST_VERSION, "partition": partition.prefix, "sources": keys}
        schema = arrow_schema(kind).with_metadata({MANIFEST_METADATA_KEY: orjson.dumps(manifest)})
        if self._columnar is not None:
            try:
                written = self._columnar.write(partition, schema, map(self._store.get, keys))
            except UnfitError as unfit:
                log.info("compacting %s record by record: %s", partition.prefix, unfit)
            else:
                table = None
                if self._on_compacted is not None:
                    table = pq.read_table(pa.BufferReader(written.data))
                rows = written.rows
                return self._finish(
                    partition, manifest, written.data, (rows, 0), table=table, started=started
                )
        data, counts, table = self._by_record(partition, schema, keys, reported)
        return self._finish(partition, manifest, data, counts, table=table, started=started)

    def _by_record(
        self, partition: Partition, schema: pa.Schema, keys: list[str], reported: frozenset[str]
    ) -> tuple[bytes, tuple[int, int], pa.Table | None]:
        """The reference path: the file, (rows, rejected), and the table if the hook wants it.

        A chunk of lines at a time through `reference.convert`; what it refuses goes to
        `errors/` (unless an earlier run already reported that source's lines).
        """
        kind = partition.kind
        sink = pa.BufferOutputStream()
        rows = rejected = 0
        pending: list[pa.RecordBatch] = []
        kept: list[pa.RecordBatch] = []  # every batch, only when the hook needs the table
        with pq.ParquetWriter(
            sink,
            schema,
            compression="zstd",
            compression_level=ZSTD_LEVEL,
            use_dictionary=dictionary_columns(kind),
        ) as writer:
            for key in keys:
                data = self._store.get(key)
                try:
                    lines = split(data)
                except UNREADABLE as exc:  # the whole file, with its reason, goes to errors/
                    if key not in reported:
                        message = f"{key}: not readable gzip: {type(exc).__name__}: {exc}"
                        self._errors.write(STAGE, [Rejection(Reason.BAD_ENCODING, message, data)])
                    rejected += 1
                    continue
                for first in range(0, len(lines), CHUNK_LINES):
                    chunk = lines[first : first + CHUNK_LINES]
                    batch, rejections = convert(partition, schema, key, first, chunk)
                    if rejections and key not in reported:
                        self._errors.write(STAGE, rejections)
                    rejected += len(rejections)
                    if batch.num_rows:
                        pending.append(batch)
                        rows += batch.num_rows
                        if self._on_compacted is not None:
                            kept.append(batch)
                    if sum(b.num_rows for b in pending) >= ROW_GROUP_ROWS:
                        writer.write_table(pa.Table.from_batches(pending, schema))
                        pending = []
            if pending:
                writer.write_table(pa.Table.from_batches(pending, schema))
        table = None if self._on_compacted is None else pa.Table.from_batches(kept, schema)
        return sink.getvalue().to_pybytes(), (rows, rejected), table

    def _finish(
        self,
        partition: Partition,
        manifest: dict[str, Any],
        data: bytes,
        counts: tuple[int, int],
        *,
        table: pa.Table | None,
        started: float,
    ) -> CompactionResult:
        """Put the file, run the hook, then write the sidecar and count."""
        (rows, rejected), kind, keys = counts, partition.kind, manifest["sources"]
        output = partition.compacted_key(OUTPUT_NAME)
        self._store.put(output, data)
        if self._on_compacted is not None and table is not None:
            self._on_compacted(partition, table)
        # Before the sidecar: if tagging fails, the stale sidecar makes the next run redo it.
        mark_compacted(self._store, keys)
        sidecar = {**manifest, "file": OUTPUT_NAME, "rows": rows, "rejected": rejected}
        sidecar["columns"] = arrow_schema(kind).names
        sidecar["compacted_at"] = utc_now_iso()
        self._store.put(partition.compacted_key(MANIFEST_NAME), orjson.dumps(sidecar))
        self._metrics.records_accepted.labels(stage=STAGE, kind=kind.value).inc(rows)
        self._metrics.store_files_written.labels(kind=f"{kind.value}_parquet").inc()
        self._metrics.store_bytes_written.labels(kind=f"{kind.value}_parquet").inc(len(data))
        seconds = time.perf_counter() - started
        return CompactionResult(partition, output, len(keys), rows, rejected, False, seconds)

    def _previous_sources(self, partition: Partition) -> list[str] | None:
        """The sources the last completed run covered, from its sidecar (None if unknown)."""
        sidecar = read_sidecar(self._store, partition, arrow_schema(partition.kind).names)
        sources = None if sidecar is None else sidecar.get("sources")
        return sources if isinstance(sources, list) else None


def read_sidecar(
    store: ObjectStore, partition: Partition, columns: list[str]
) -> dict[str, Any] | None:
    """A partition's `_manifest.json`, if it is of this version and lists these columns: a
    file of other columns (hot attributes changed) is to be written again."""
    try:
        sidecar = orjson.loads(store.get(partition.compacted_key(MANIFEST_NAME)))
    except (KeyError, orjson.JSONDecodeError):
        return None
    if not isinstance(sidecar, dict) or sidecar.get("version") != MANIFEST_VERSION:
        return None
    return sidecar if sidecar.get("columns") == columns else None


def read_manifest(data: bytes) -> dict[str, Any]:
    """The manifest embedded in a compacted file's footer (the authority for readers)."""
    manifest = schema_manifest(pq.read_schema(pa.BufferReader(data)))
    if manifest is None:
        raise KeyError(MANIFEST_METADATA_KEY.decode())
    return manifest


def schema_manifest(schema: pa.Schema) -> dict[str, Any] | None:
    """The manifest in a compacted file's schema (None: not a file compaction wrote)."""
    raw = (schema.metadata or {}).get(MANIFEST_METADATA_KEY)
    if raw is None:
        return None
    manifest = orjson.loads(raw)
    return manifest if isinstance(manifest, dict) else None


def _floor_hour(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def overlaps(partition: Partition, start: datetime | None, end: datetime | None) -> bool:
    """Whether a partition's hour (day, for labels) overlaps [start, end], taken by hours."""
    start, end = _floor_hour(start), _floor_hour(end)
    first = partition.start
    last = first + timedelta(hours=23) if partition.hour is None else first
    return (start is None or last >= start) and (end is None or first <= end)
