"""Compaction's fast path: DuckDB turns ingest's gzip NDJSON into the Parquet file, in C.

Ingest (the collector's and the Firehose Lambda's `transform`) validated and normalised
every line it stored, so this path does not validate again: DuckDB's JSON reader decodes
the lines straight into typed columns and `COPY … (FORMAT parquet)` writes the file, with
no Python object per row. What it checks, in the same pass, is that the files are
ingest's and in their place: each row carries `ingested_at` (ingest stamps every record;
another writer's lines do not have it), the kind's required fields, its `kind`, the
partition's key and a canonical UTC timestamp inside the partition's hour (day). A row that
fails, or a line DuckDB cannot decode into the declared types, stops the statement with
`UnfitError`: the caller then compacts the partition on the reference path, which
validates per record and sends what it refuses to `errors/`. DuckDB skips top-level keys it
was not asked for; ingest never writes one (it moves unknown fields under `attributes`).

JSON-text columns hold DuckDB's rendering of the value, the same text its NDJSON reader
gives queries of uncompacted partitions; it is equal, as JSON, to the source's.

The connection is `query.sandbox.connect`'s: it can open files only under a private staging
directory, where the source files are staged (from either kind of store) and the Parquet
file is written. One connection serves every partition a `ColumnarWriter` compacts (opening
one costs ≈20 ms), each call on its own cursor and its own staging subdirectory.

Where the time goes (one thread, 200k log rows + 100k prediction rows of ingest's gzip
NDJSON): DuckDB's own gzip reader (miniz) took a fifth of it, so sources are staged
inflated by ISA-L (`isal`, ≈4x faster; the staging directory then holds the plain NDJSON,
≈6x the gzip bytes, until the call returns); the rest is DuckDB's JSON parsing, the
timestamp casts, zstd and dictionary encoding. The Parquet writer skips bloom filters: DuckDB
builds them only for dictionary-encoded columns, where the dictionary and min/max already
prune, and the reference path writes none. Tried and not kept: two threads (no faster on a
loaded 2-core machine, and compaction leaves a core to the collector), zstd level 3 (+25%
write time for a 2% smaller file), skipping dictionaries (+5% size for a few % of time),
read_json's `maximum_object_size` and `records` (no difference).
"""

from __future__ import annotations

import gzip
import io
import shutil
import tempfile
import threading
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, cast

import duckdb

# pyarrow ships no type information; its objects are Any here.
import pyarrow as pa
from isal import igzip, isal_zlib

from observability.core.fields import (
    FIELDS,
    HOT_ATTRIBUTES,
    HOT_SOURCE,
    INGESTED_AT,
    JSON_TEXT_TYPES,
    FieldType,
)
from observability.core.partitioning import KEY_COLUMN, Partition
from observability.query.sandbox import Sandbox, connect, first_line

_STAGING_PREFIX: Final = "observability-compaction-"
_OUTPUT: Final = "part.parquet"
_GZIP_MAGIC: Final = b"\x1f\x8b"
#: Bytes inflated at a time while staging a gzip source: bounds the memory of one file.
_INFLATE_CHUNK: Final = 1 << 20
#: What inflating a damaged gzip file raises (isal's stubs declare its error as a value).
_INFLATE_ERRORS: Final[tuple[type[Exception], ...]] = (
    EOFError,
    gzip.BadGzipFile,
    cast("type[Exception]", isal_zlib.error),
)
#: Length of a canonical UTC timestamp, `2026-11-23T13:05:00.000000Z`.
_CANONICAL_LENGTH: Final = 27
_READ_TYPES: Final[Mapping[FieldType, str]] = {
    FieldType.INTEGER: "BIGINT",
    FieldType.NUMBER: "DOUBLE",
}


class UnfitError(Exception):
    """Files the fast path does not take as they are; the reference path decides."""


@dataclass(frozen=True, slots=True)
class Written:
    """The Parquet file the fast path wrote, and its row count."""

    data: bytes
    rows: int


class ColumnarWriter:
    """A sandboxed DuckDB connection and its staging directory, opened on first use and
    released by `close()` (or when the writer is collected); safe to share across threads."""

    def __init__(self, *, row_group_rows: int, zstd_level: int, threads: int | None = None):
        self._options = f"ROW_GROUP_SIZE {int(row_group_rows)}, COMPRESSION_LEVEL {int(zstd_level)}"
        self._threads = threads
        self._lock = threading.Lock()
        self._opened: tuple[Path, duckdb.DuckDBPyConnection] | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None

    def write(self, partition: Partition, schema: pa.Schema, sources: Iterable[bytes]) -> Written:
        """The partition's files (gzip or plain NDJSON) as one zstd Parquet file of `schema`,
        its metadata in the footer; UnfitError when a row is not ingest's or misplaced, or a
        file is not readable."""
        root, connection = self.open()
        staging = Path(tempfile.mkdtemp(dir=root))
        try:
            paths = []
            for number, data in enumerate(sources):
                path = staging / f"{number:06d}.json"
                _stage(path, data)
                paths.append(path.as_posix())
            if not paths:
                raise UnfitError("no source files")
            output = staging / _OUTPUT
            statement = copy_sql(partition, schema, paths, output.as_posix(), self._options)
            with connection.cursor() as cursor:
                try:
                    counted = cursor.execute(statement).fetchone()
                except duckdb.Error as exc:
                    raise UnfitError(first_line(exc)) from None
            return Written(output.read_bytes(), int(counted[0]) if counted else 0)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def close(self) -> None:
        """Close the connection and remove the staging directory (a later write reopens)."""
        with self._lock:
            if self._finalizer is not None:
                self._finalizer()
            self._opened = self._finalizer = None

    def open(self) -> tuple[Path, duckdb.DuckDBPyConnection]:
        """The staging directory and the connection confined to it, opened on first use."""
        with self._lock:
            if self._opened is None:
                root = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX))
                try:
                    connection = connect(Sandbox((f"{root.as_posix()}/",), threads=self._threads))
                except BaseException:
                    shutil.rmtree(root, ignore_errors=True)
                    raise
                self._opened = (root, connection)
                self._finalizer = weakref.finalize(self, _release, root, connection)
            return self._opened


def _stage(path: Path, data: bytes) -> None:
    """A source as plain NDJSON at `path`, inflated by ISA-L when it is gzip (one member
    or several); UnfitError when it is not readable gzip (the reference path decides)."""
    with path.open("wb") as out:
        if data[:2] != _GZIP_MAGIC:
            out.write(data)
            return
        try:
            # isal's igzip.py carries no annotations (its C modules do).
            with igzip.GzipFile(fileobj=io.BytesIO(data)) as source:  # type: ignore[no-untyped-call]
                while chunk := source.read(_INFLATE_CHUNK):
                    out.write(chunk)
        except _INFLATE_ERRORS as exc:
            raise UnfitError(f"a source is not readable gzip: {exc}") from None


def _release(root: Path, connection: duckdb.DuckDBPyConnection) -> None:
    connection.close()
    shutil.rmtree(root, ignore_errors=True)


def copy_sql(
    partition: Partition, schema: pa.Schema, paths: list[str], output: str, options: str
) -> str:
    """`COPY (SELECT …) TO output`: columns in `schema` order, the row checks on the first.

    Built as text, and safe so: names come from the schema, values (partition key, paths,
    metadata) are quoted by `_string`, and `options` is the caller's own numbers.
    """
    kind = partition.kind
    declared = {f.name: f for f in FIELDS[kind]}
    hot = {h.name: h for h in HOT_ATTRIBUTES[kind]}
    read = {f.name: _read_type(f.type) for f in FIELDS[kind]}
    read[INGESTED_AT] = "VARCHAR"
    columns = []
    for name in schema.names:
        if name in hot:
            columns.append(f"{hot[name].duckdb(_quote(HOT_SOURCE))} AS {_quote(name)}")
        elif name == INGESTED_AT or declared[name].type is FieldType.TIMESTAMP:
            columns.append(f"CAST({_quote(name)} AS TIMESTAMPTZ) AS {_quote(name)}")
        elif declared[name].type in JSON_TEXT_TYPES:
            columns.append(f"CAST({_quote(name)} AS VARCHAR) AS {_quote(name)}")
        else:
            columns.append(_quote(name))
    columns[0] = f"CASE {_checks(partition)} ELSE {columns[0]} END AS {_quote(schema.names[0])}"
    reader = (
        f"read_json([{', '.join(_string(p) for p in paths)}], format = 'newline_delimited', "
        "compression = 'none', "
        f"columns = {{{', '.join(f'{_string(n)}: {_string(t)}' for n, t in read.items())}}})"
    )
    metadata = ", ".join(
        f"{_string(key.decode())}: {_string(value.decode())}"
        for key, value in (schema.metadata or {}).items()
    )
    return (
        f"COPY (SELECT {', '.join(columns)} FROM {reader}) TO {_string(output)} "  # noqa: S608
        f"(FORMAT parquet, COMPRESSION zstd, WRITE_BLOOM_FILTER false, {options}, "
        f"KV_METADATA {{{metadata}}})"
    )


def _checks(partition: Partition) -> str:
    """`WHEN <a row is not ingest's, or not this partition's> THEN error(...)` clauses."""
    kind = partition.kind
    hour = partition.dt if partition.hour is None else f"{partition.dt}T{partition.hour}"
    key = _quote(KEY_COLUMN[kind])
    timestamp = _quote("timestamp")
    checks = [
        (f"{_quote(INGESTED_AT)} IS NULL", "a line without ingested_at: not written by ingest"),
        (f"{_quote('kind')} IS DISTINCT FROM {_string(kind.value)}", f"kind is not {kind.value}"),
        (f"{key} IS DISTINCT FROM {_string(partition.key)}", f"{key} is not {partition.key}"),
        *(
            (f"{_quote(f.name)} IS NULL", f"{f.name} is missing")
            for f in FIELDS[kind]
            if f.required
        ),
        (
            f"NOT (starts_with({timestamp}, {_string(hour)}) AND ends_with({timestamp}, 'Z') "
            f"AND length({timestamp}) = {_CANONICAL_LENGTH})",
            f"timestamp is not a canonical UTC time in {hour}",
        ),
    ]
    return " ".join(
        f"WHEN {condition} THEN error({_string('unfit for the fast path: ' + why)})"
        for condition, why in checks
    )


def _read_type(ftype: FieldType) -> str:
    """read_json's type for a field: JSON text stays JSON, timestamps are read as text."""
    return "JSON" if ftype in JSON_TEXT_TYPES else _READ_TYPES.get(ftype, "VARCHAR")


def _string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
