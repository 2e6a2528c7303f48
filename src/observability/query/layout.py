"""Which files a table reference reads: compacted Parquet where it exists, NDJSON elsewhere.

Compaction keeps its source files, so a partition with a compacted file has both forms.
The compacted file's footer manifest (`observability.manifest`, see `store/compaction.py`)
lists the sources it covers: those are skipped, and files that arrived after compaction are
read as NDJSON, so no record is counted twice. A compacted file that lacks one of the
table's columns (written before a hot attribute was declared) is passed over until
compaction rewrites it: its partition is read from its NDJSON files. Listing goes through
a pyarrow filesystem (local disk or S3), one recursive listing per pinned prefix.

A closed day's hours may also be rolled up into one day file (`store/rollup.py`), which
DuckDB opens once instead of 24 times. It is read in place of its hours' files when a
query wants at least two of the hours it holds (its manifest names them); its sources are
covered as an hour file's are. An hour it does not hold is read as before.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple

# pyarrow ships no type information; its objects are Any here.
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from observability.core import keys
from observability.query.pruning import PartitionFilter
from observability.query.tables import TableSpec
from observability.store.compaction import OUTPUT_NAME, schema_manifest
from observability.store.rollup import HOUR_COLUMN, MIN_HOURS

#: Footers read in parallel when many partitions are new to the manifest cache.
_FOOTER_THREADS: Final = 8
#: Names readers pass over (sidecars, temporary files), as Athena does.
_HIDDEN: Final = (".", "_")


@dataclass(slots=True)
class FileSet:
    """The files one table reference reads, in the names DuckDB opens them by."""

    parquet: list[str] = field(default_factory=list)
    #: Day files (`store/rollup.py`): their hour is a column, not a path segment.
    days: list[str] = field(default_factory=list)
    ndjson: list[str] = field(default_factory=list)
    bytes: int = 0
    partitions: int = 0


class LocalInfo(NamedTuple):
    """A listed local entry, named as pyarrow's `FileInfo` names what the layout reads
    (a tuple: a few thousand are made per plan)."""

    path: str
    base_name: str
    type: Any  # pafs.FileType
    size: int | None = None
    mtime_ns: int | None = None


class _Manifest(NamedTuple):
    """What a compacted file's footer says: the sources it covers, its columns, and (a day
    file's) the hours it holds."""

    sources: frozenset[str]
    columns: frozenset[str]
    hours: frozenset[str]


@dataclass(slots=True)
class _Partition:
    values: tuple[str, ...]
    sources: list[Any] = field(default_factory=list)  # pyarrow FileInfo
    compacted: Any | None = None


class StoreLayout:
    """Lists a store through a pyarrow filesystem; caches compacted files' manifests."""

    def __init__(self, filesystem: Any, base: str, duckdb_base: str) -> None:
        self._fs = filesystem
        self._base = base.rstrip("/")
        self._duckdb_base = duckdb_base.rstrip("/")
        #: Per compacted file (hour or day): what its footer says.
        self._manifests: dict[tuple[str, int, int], _Manifest] = {}
        self._lock = threading.Lock()

    def select(self, table: TableSpec, where: PartitionFilter | None, *, prune: bool) -> FileSet:
        """The files of the partitions `where` accepts (every partition when not pruning)."""
        where = where if prune else None
        partitions, days = self._partitions(table, self._prefixes(table, where))
        chosen = [
            p for p in partitions.values() if where is None or where.accepts(*_padded(p.values))
        ]
        candidates = {p.values[:2]: days[p.values[:2]] for p in chosen if p.values[:2] in days}
        stored = frozenset(n for n, _ in table.columns) - frozenset(table.partition_columns)
        held = _held_by_days(
            chosen, candidates, self._manifests_of(list(candidates.values())), stored
        )
        manifests = self._manifests_of(
            [p.compacted for p in chosen if p.compacted is not None and p.values not in held]
        )
        files = FileSet(partitions=len(chosen))
        for day in sorted({values[:2] for values in held}):
            files.days.append(self._duckdb_name(candidates[day].path))
            files.bytes += candidates[day].size
        for partition in sorted(chosen, key=lambda p: p.values):
            covered: frozenset[str] = frozenset()
            compacted = partition.compacted
            if partition.values in held:
                covered = held[partition.values]
            elif compacted is not None and stored <= manifests[compacted.path].columns:
                covered = manifests[compacted.path].sources
                files.parquet.append(self._duckdb_name(compacted.path))
                files.bytes += compacted.size
            for info in partition.sources:
                if self._key(info.path) not in covered:
                    # Tables of records hold NDJSON; drift_metrics holds Parquet files only.
                    target = files.ndjson if table.kind is not None else files.parquet
                    target.append(self._duckdb_name(info.path))
                    files.bytes += info.size
        return files

    def _prefixes(self, table: TableSpec, where: PartitionFilter | None) -> list[str]:
        """Store prefixes to list recursively: as deep as the pinned columns allow."""
        if where is None:
            return [table.root]
        values = where.pinned(table.key_column)
        days = where.pinned("dt")
        hours = where.pinned("hour") if table.hourly else None
        if values is None:
            if days is None:
                return [table.root]
            values = frozenset(self._children(table.root, table.key_column))
        prefixes = []
        for value in sorted(values):
            for day in sorted(days) if days is not None else [None]:
                for hour in sorted(hours) if hours is not None and day is not None else [None]:
                    pairs = [(table.key_column, value), ("dt", day), ("hour", hour)]
                    try:
                        prefixes.append(keys.hive_prefix(table.root, *_given(pairs)))
                    except ValueError:  # not a path segment: no partition can hold it
                        continue
        return prefixes

    def _children(self, prefix: str, column: str) -> set[str]:
        """Values of `column=` directories directly under a prefix, plain or compacted."""
        values: set[str] = set()
        for root in (prefix, keys.compacted_prefix(prefix)):
            for info in self._list(root, recursive=False):
                name = info.base_name
                if info.type == pafs.FileType.Directory and name.startswith(f"{column}="):
                    values.add(name.partition("=")[2])
        return values

    def _partitions(
        self, table: TableSpec, prefixes: Iterable[str]
    ) -> tuple[dict[str, _Partition], dict[tuple[str, ...], Any]]:
        """Partitions with their source and compacted files, and the day files by
        (key value, day)."""
        found: dict[str, _Partition] = {}
        days: dict[tuple[str, ...], Any] = {}
        depth = len(table.partition_columns)
        root_depth = table.root.count("/")
        for prefix in prefixes:
            for compacted in (False, True):
                listed = keys.compacted_prefix(prefix) if compacted else prefix
                for info in self._list(listed, True):
                    if info.type != pafs.FileType.File:
                        continue
                    key = self._key(info.path)
                    parts = key.split("/")
                    if compacted:
                        parts = parts[1:]
                    name = parts[-1]
                    if name.startswith(_HIDDEN):  # listed from S3
                        continue
                    if compacted and table.hourly and len(parts) == root_depth + depth:
                        day = _values(parts[root_depth:-1], table.partition_columns[:2])
                        if day is not None and name == OUTPUT_NAME:
                            days[day] = info
                        continue
                    directory = "/".join(parts[:-1])
                    partition = found.get(directory)
                    if partition is None:  # parsed once per directory, not once per file
                        values = _values(parts[root_depth:-1], table.partition_columns)
                        if values is None or len(parts) != root_depth + depth + 1:
                            continue
                        partition = found[directory] = _Partition(values)
                    if not compacted:
                        partition.sources.append(info)
                    elif name == OUTPUT_NAME:
                        partition.compacted = info
        return found, days

    def _list(self, prefix: str, recursive: bool) -> list[Any]:
        root = f"{self._base}/{prefix}".rstrip("/")
        if isinstance(self._fs, pafs.LocalFileSystem):
            return self._list_local(root, recursive)
        selector = pafs.FileSelector(root, recursive=recursive, allow_not_found=True)
        infos: list[Any] = self._fs.get_file_info(selector)
        return infos

    def _list_local(self, root: str, recursive: bool) -> list[Any]:
        """pyarrow's local listing follows symbolic links (out of the store, or in a loop);
        this walk never does: a link is neither listed nor entered. Entries come from
        `scandir` itself, a file's size and time from one `lstat`: asking pyarrow about
        each path again was most of a plan's time over a few thousand partitions. Hidden
        files (`_manifest.json`, `.tmp` names) are not data: they are left out unstatted."""
        infos: list[LocalInfo] = []
        directory_type, file_type = pafs.FileType.Directory, pafs.FileType.File
        pending = [root]
        while pending:
            directory = pending.pop()
            try:
                entries = list(os.scandir(directory))
            except (FileNotFoundError, NotADirectoryError):
                continue
            for entry in entries:  # a link is neither a directory nor a file here
                if entry.is_dir(follow_symlinks=False):
                    infos.append(LocalInfo(entry.path, entry.name, directory_type))
                    if recursive:
                        pending.append(entry.path)
                elif entry.is_file(follow_symlinks=False) and not entry.name.startswith(_HIDDEN):
                    try:
                        stat = entry.stat(follow_symlinks=False)
                    except FileNotFoundError:  # removed since the directory was read
                        continue
                    infos.append(
                        LocalInfo(entry.path, entry.name, file_type, stat.st_size, stat.st_mtime_ns)
                    )
        infos.sort()
        return infos

    def _manifests_of(self, infos: list[Any]) -> Mapping[str, _Manifest]:
        """The manifests of compacted files, read from footers not seen before."""
        missing = [info for info in infos if _cache_key(info) not in self._manifests]
        if len(missing) > 1:
            with ThreadPoolExecutor(min(_FOOTER_THREADS, len(missing))) as pool:
                read = list(pool.map(self._read_manifest, missing))
        else:
            read = [self._read_manifest(info) for info in missing]
        with self._lock:
            for info, manifest in zip(missing, read, strict=True):
                self._manifests[_cache_key(info)] = manifest
            return {info.path: self._manifests[_cache_key(info)] for info in infos}

    def _read_manifest(self, info: Any) -> _Manifest:
        schema = pq.read_schema(info.path, filesystem=self._fs)
        manifest = schema_manifest(schema) or {}  # not ours: nothing is known to be covered
        return _Manifest(
            frozenset(str(key) for key in manifest.get("sources", [])),
            frozenset(schema.names),
            frozenset(str(hour) for hour in manifest.get("hours", [])),
        )

    def _key(self, path: str) -> str:
        return path[len(self._base) + 1 :]

    def _duckdb_name(self, path: str) -> str:
        return f"{self._duckdb_base}/{self._key(path)}"


def _held_by_days(
    chosen: list[_Partition],
    candidates: Mapping[tuple[str, ...], Any],
    manifests: Mapping[str, _Manifest],
    stored: frozenset[str],
) -> dict[tuple[str, ...], frozenset[str]]:
    """The chosen hours to read from their day file, each with the sources that file
    covers: hours it holds, of days with enough chosen hours and the table's columns."""
    held: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for partition in chosen:
        info = candidates.get(partition.values[:2])
        if info is not None and partition.values[2] in manifests[info.path].hours:
            held.setdefault(partition.values[:2], []).append(partition.values)
    return {
        values: manifests[candidates[day].path].sources
        for day, hours in held.items()
        if len(hours) >= MIN_HOURS
        and stored | {HOUR_COLUMN} <= manifests[candidates[day].path].columns
        for values in hours
    }


def _values(segments: list[str], columns: tuple[str, ...]) -> tuple[str, ...] | None:
    """Partition values from `column=value` path segments in the table's column order."""
    if len(segments) != len(columns):
        return None
    values = []
    for segment, column in zip(segments, columns, strict=True):
        name, sep, value = segment.partition("=")
        if not sep or name != column or not value:
            return None
        values.append(value)
    return tuple(values)


def _given(pairs: list[tuple[str, str | None]]) -> list[tuple[str, str]]:
    """The leading pairs that have a value."""
    given = []
    for column, value in pairs:
        if value is None:
            break
        given.append((column, value))
    return given


def _padded(values: tuple[str, ...]) -> tuple[str, str, str | None]:
    return (values[0], values[1], values[2] if len(values) > 2 else None)


def _cache_key(info: Any) -> tuple[str, int, int]:
    mtime = info.mtime_ns if info.mtime_ns is not None else 0
    return (info.path, int(info.size or 0), int(mtime))
