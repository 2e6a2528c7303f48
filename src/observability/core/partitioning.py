"""The only partition rule: record -> partition keys -> storage key.

The local collector, the Firehose transform (whose keys fill the delivery stream's
prefix), compaction and the query layer all derive paths here, so S3 and a local
directory hold the same keys.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final, NamedTuple

from observability.core import keys
from observability.core.schema import Kind

#: The column that partitions each kind besides `dt` (and `hour` where it applies).
KEY_COLUMN: Final[Mapping[Kind, str]] = {
    Kind.LOG: "service",
    Kind.PREDICTION: "model",
    Kind.LABEL: "model",
}
#: Partition columns in path order; the Glue tables and the Firehose prefix use these.
PARTITION_COLUMNS: Final[Mapping[Kind, tuple[str, ...]]] = {
    Kind.LOG: ("service", "dt", "hour"),
    Kind.PREDICTION: ("model", "dt", "hour"),
    Kind.LABEL: ("model", "dt"),
}

_SEGMENT_RE: Final = re.compile(r"([a-z_]+)=([^/]+)")


class Partition(NamedTuple):
    """Where a record lives: its kind, its service or model, its day and hour."""

    kind: Kind
    key: str
    dt: str
    hour: str | None

    @property
    def column(self) -> str:
        """The column `key` is the value of: `service` or `model`."""
        return KEY_COLUMN[self.kind]

    @property
    def start(self) -> datetime:
        """The partition's first instant (UTC): its hour's, or its day's when it has none."""
        day = datetime.fromisoformat(self.dt).replace(tzinfo=UTC)
        return day if self.hour is None else day + timedelta(hours=int(self.hour))

    @property
    def end(self) -> datetime:
        """When the partition closes: its hour's end, or its day's when it has none."""
        return self.start + (timedelta(days=1) if self.hour is None else timedelta(hours=1))

    @property
    def prefix(self) -> str:
        """`logs/service=a/dt=2026-11-23/hour=13/`: the Hive-style directory (`core/keys`)."""
        return keys.partition_prefix(self)

    def object_key(self, filename: str) -> str:
        """The key of a data file in this partition."""
        return keys.data_key(self, filename)

    def compacted_key(self, filename: str) -> str:
        """The key of this partition's file under `compacted/`."""
        return keys.compacted_key(self, filename)

    def firehose_keys(self) -> dict[str, str]:
        """`metadata.partitionKeys` for the Firehose transform response."""
        keys = {KEY_COLUMN[self.kind]: self.key, "dt": self.dt}
        if self.hour is not None:
            keys["hour"] = self.hour
        return keys


def partition_of(kind: Kind, record: Mapping[str, Any]) -> Partition:
    """Partition of a validated record (its timestamp is already canonical UTC)."""
    timestamp: str = record["timestamp"]
    # Runs once per record: tuple.__new__ skips NamedTuple's Python-level constructor, and
    # module constants skip Enum's class attribute lookup.
    if kind is _LOG:
        return _new(Partition, (kind, record[_LOG_KEY], timestamp[:10], timestamp[11:13]))
    if kind is _PREDICTION:
        return _new(Partition, (kind, record[_PREDICTION_KEY], timestamp[:10], timestamp[11:13]))
    return _new(Partition, (kind, record[_LABEL_KEY], timestamp[:10], None))


_new: Final = tuple.__new__
_LOG: Final = Kind.LOG
_PREDICTION: Final = Kind.PREDICTION
_LOG_KEY: Final = KEY_COLUMN[Kind.LOG]
_PREDICTION_KEY: Final = KEY_COLUMN[Kind.PREDICTION]
_LABEL_KEY: Final = KEY_COLUMN[Kind.LABEL]


def parse_prefix(path: str) -> Partition:
    """Inverse of `Partition.prefix` for a key or prefix; raises ValueError if it is not one."""
    _compacted, path = keys.strip_compacted(path.lstrip("/"))
    parts = path.strip("/").split("/")
    if not parts:
        raise ValueError(f"not a partition path: {path!r}")
    kind = Kind.from_plural(parts[0])
    values: dict[str, str] = {}
    for part in parts[1:]:
        match = _SEGMENT_RE.fullmatch(part)
        if match:
            values[match.group(1)] = match.group(2)
    try:
        return Partition(kind, values[KEY_COLUMN[kind]], values["dt"], values.get("hour"))
    except KeyError as missing:
        raise ValueError(f"not a partition path: {path!r} (no {missing})") from None


def firehose_prefix(kind: Kind) -> str:
    """The delivery stream's S3 prefix with dynamic partitioning from the transform."""
    pairs = [(col, f"!{{partitionKeyFromLambda:{col}}}") for col in PARTITION_COLUMNS[kind]]
    return keys.hive_prefix(keys.kind_prefix(kind), *pairs)


def group_key(kind: Kind, record: Mapping[str, Any]) -> str:
    """A cheap string equal for records of the same partition (the SDK's aggregation key)."""
    timestamp: str = record["timestamp"]
    return f"{record[KEY_COLUMN[kind]]}|{timestamp[:10] if kind is Kind.LABEL else timestamp[:13]}"
