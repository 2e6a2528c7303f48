"""Partitions that appear by themselves: S3 ObjectCreated -> Glue BatchCreatePartition.

Why a registrar and not partition projection: projection computes partitions from rules
in the table properties, and `service` / `model` are open-ended. The only projection type
for an unbounded set of values is `injected`, and an injected column must be named with an
equality in every query's WHERE clause, so "error rate across all services" would fail and
a new service would be invisible to any query that does not already know its name.
Projecting `dt`/`hour` while registering `service` elsewhere would need two mechanisms for
one key layout. A crawler or `MSCK REPAIR TABLE` is the manual step we must not need.

So every data object's creation event (S3 notification -> `lambdas/partition_registrar`)
registers the partition holding it. This is cheap (one call per batch of new partitions,
and Firehose writes a handful of objects per partition per buffer interval) and safe:

- Idempotent: `AlreadyExistsException` for a partition is success, so S3's at-least-once
  delivery and the many objects of one hour cost nothing extra.
- Keys in S3 events are URL-encoded (`dt%3D2026-11-23`); they are decoded first.
- Keys outside the data layout (errors/, reports/, hidden `_`/`.` names such as the
  compaction sidecar, other prefixes or buckets) are counted as ignored, never registered.
- Any other Glue error raises, so the Lambda invocation fails and is retried; nothing is
  lost silently.

A compacted partition is registered when its Parquet file lands, which is what the
`logs`/`predictions`/`labels` views use to decide which hours to read from Parquet.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from observability.catalog.tables import (
    TableSpec,
    compacted_table,
    derived_table,
    ndjson_table,
    storage_descriptor,
)
from observability.core import keys
from observability.core.derived import ALL_DERIVED, DerivedTable
from observability.core.errors import ObservabilityError
from observability.core.fields import Kind
from observability.core.partitioning import PARTITION_COLUMNS, parse_prefix
from observability.core.s3_events import created_objects
from observability.store.factory import s3_location, s3_uri

#: Glue's limit on partitions per BatchCreatePartition call.
BATCH_LIMIT: Final = 100
ALREADY_EXISTS: Final = "AlreadyExistsException"

_DT_RE: Final = re.compile(r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])")
_HOUR_RE: Final = re.compile(r"[01]\d|2[0-3]")
_TABLES: Final[Mapping[tuple[bool, Kind], TableSpec]] = {
    **{(False, kind): ndjson_table(kind) for kind in Kind},
    **{(True, kind): compacted_table(kind) for kind in Kind},
}
_DERIVED: Final[Mapping[str, TableSpec]] = {t.name: derived_table(t) for t in ALL_DERIVED}
#: Prefixes whose new objects may make a partition (the template's S3 event rule).
REGISTERED_PREFIXES: Final = (
    *(keys.kind_prefix(kind) for kind in Kind),
    keys.COMPACTED,
    *(table.prefix for table in ALL_DERIVED),
)


class RegistrationError(ObservabilityError):
    """Glue refused partitions for a reason other than their existing already."""


@dataclass(frozen=True, slots=True)
class PartitionRef:
    """A partition to register: its table, its values in key order, its directory."""

    table: TableSpec
    values: tuple[str, ...]
    directory: str  # relative to the store root, ending in "/"


@dataclass(slots=True)
class RegistrationResult:
    """What one call did: partitions created, found existing, and keys ignored."""

    created: list[PartitionRef] = field(default_factory=list)
    existing: list[PartitionRef] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        """Counts, for the Lambda's log line."""
        return {
            "created": len(self.created),
            "existing": len(self.existing),
            "ignored": len(self.ignored),
        }


def partition_of_key(key: str) -> PartitionRef | None:
    """The partition a store-relative key belongs to; None if it is not a data file."""
    directory, _, name = key.rpartition("/")
    if not name or name.startswith((".", "_")):
        return None
    for table in ALL_DERIVED:
        if key.startswith(table.prefix):
            return _derived_partition(table, key, directory)
    return _data_partition(directory)


def _derived_partition(table: DerivedTable, key: str, directory: str) -> PartitionRef | None:
    """The partition of a derived table's file (`<prefix><col>=<v>/.../dt=<day>/<file>`)."""
    values = keys.hive_values(key, table.prefix, table.partition_names)
    if values is None or not _valid(values[table.partition_names.index("dt")]):
        return None
    return PartitionRef(_DERIVED[table.name], values, directory + "/")


def _data_partition(directory: str) -> PartitionRef | None:
    """The partition of a record-data directory, if it is exactly one."""
    data_roots = (*(keys.kind_prefix(kind) for kind in Kind), keys.COMPACTED)
    if not directory.startswith(data_roots):
        return None
    try:
        partition = parse_prefix(directory + "/")
    except ValueError:
        return None
    compacted, _rest = keys.strip_compacted(directory)
    expected = keys.compacted_prefix(partition.prefix) if compacted else partition.prefix
    if expected != directory + "/" or not _valid(partition.dt, partition.hour):
        return None
    values = (partition.key, partition.dt) + (() if partition.hour is None else (partition.hour,))
    if len(values) != len(PARTITION_COLUMNS[partition.kind]):
        return None
    return PartitionRef(_TABLES[(compacted, partition.kind)], values, expected)


def _valid(dt: str, hour: str | None = None) -> bool:
    return bool(_DT_RE.fullmatch(dt)) and (hour is None or bool(_HOUR_RE.fullmatch(hour)))


class PartitionRegistrar:
    """Registers the partitions of new objects in one store's Glue tables."""

    def __init__(self, glue: Any, database: str, store_url: str) -> None:
        location = s3_location(store_url, "the partition registrar")
        self._glue = glue
        self._database = database
        self._store_url = store_url.rstrip("/")
        self.bucket = location.bucket
        self.prefix = location.prefix

    def handle_event(self, event: Mapping[str, Any]) -> RegistrationResult:
        """Register what an S3 notification's records, or one EventBridge `Object Created`
        event, created (keys are URL-decoded in both, as Powertools does)."""
        keys: list[str] = []
        outside: list[str] = []
        for bucket, key in created_objects(event):
            if bucket == self.bucket and key.startswith(self.prefix):
                keys.append(key[len(self.prefix) :])
            else:
                outside.append(s3_uri(str(bucket), key))
        result = self.register_keys(keys)
        result.ignored += outside
        return result

    def register_keys(self, keys: Iterable[str]) -> RegistrationResult:
        """Register the partitions of store-relative keys (existing ones are fine)."""
        result = RegistrationResult()
        wanted: dict[tuple[str, tuple[str, ...]], PartitionRef] = {}
        for key in keys:
            ref = partition_of_key(key)
            if ref is None:
                result.ignored.append(key)
            else:
                wanted.setdefault((ref.table.name, ref.values), ref)
        by_table: dict[str, list[PartitionRef]] = {}
        for ref in wanted.values():
            by_table.setdefault(ref.table.name, []).append(ref)
        for table, refs in sorted(by_table.items()):
            for first in range(0, len(refs), BATCH_LIMIT):
                self._create(table, refs[first : first + BATCH_LIMIT], result)
        return result

    def _create(self, table: str, refs: list[PartitionRef], result: RegistrationResult) -> None:
        response = self._glue.batch_create_partition(
            DatabaseName=self._database,
            TableName=table,
            PartitionInputList=[self._partition_input(ref) for ref in refs],
        )
        exists: set[tuple[str, ...]] = set()
        failures: list[str] = []
        for error in response.get("Errors", []):
            values = tuple(error.get("PartitionValues", ()))
            detail = error.get("ErrorDetail", {})
            if detail.get("ErrorCode") == ALREADY_EXISTS:
                exists.add(values)
            else:
                failures.append(f"{table}{list(values)}: {detail.get('ErrorMessage', detail)}")
        if failures:
            raise RegistrationError("Glue refused partitions: " + "; ".join(failures))
        for ref in refs:
            (result.existing if ref.values in exists else result.created).append(ref)

    def _partition_input(self, ref: PartitionRef) -> dict[str, Any]:
        location = f"{self._store_url}/{ref.directory}"
        return {
            "Values": list(ref.values),
            "StorageDescriptor": storage_descriptor(ref.table, location, self._store_url),
        }
