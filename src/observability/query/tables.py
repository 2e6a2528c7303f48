"""The SQL tables over the store layout: names, partition columns and column types.

Columns come from `core.schema.FIELDS` per kind plus `ingested_at`, the kind's hot
attributes (`core.fields.HOT_ATTRIBUTES`: typed columns in compacted Parquet, read from
`attributes` for NDJSON partitions, so a query names one column across both) and the
partition columns, the same shape compaction writes and the Glue tables declare; derived tables
(`drift_metrics`, `job_runs`) from their declaration in `core/derived.py`. Free-form fields
(`attributes`, `features`, `exception`, `prediction`, `label`) are JSON text, read in SQL
with `json_extract_scalar(features, '$.amount')`; timestamps are UTC `timestamp`s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from observability.core import derived, keys
from observability.core.derived import DerivedTable
from observability.core.fields import HOT_ATTRIBUTES, JSON_TEXT_TYPES, HotAttribute
from observability.core.partitioning import KEY_COLUMN, PARTITION_COLUMNS
from observability.core.schema import FIELDS, INGESTED_AT, FieldType, Kind

_DUCKDB_TYPES: Final[Mapping[FieldType, str]] = {
    FieldType.TIMESTAMP: "TIMESTAMP",
    FieldType.NUMBER: "DOUBLE",
    FieldType.INTEGER: "BIGINT",
}


@dataclass(frozen=True, slots=True)
class TableSpec:
    """One SQL table: where its files live, how they are partitioned, its columns."""

    name: str
    #: Store prefix of the table's partitions (`logs/`, `metrics/drift/`).
    root: str
    key_column: str
    hourly: bool
    #: (name, DuckDB type) in output order; partition columns included.
    columns: tuple[tuple[str, str], ...]
    #: Columns stored as JSON text.
    json_columns: frozenset[str]
    #: The record kind, for tables of ingested records (None: a derived table).
    kind: Kind | None = None
    #: The declaration of a derived table (`drift_metrics`, `job_runs`), which reads itself.
    derived: DerivedTable | None = None
    #: Hot attributes: typed columns in Parquet, computed from `attributes` for NDJSON.
    hot: tuple[HotAttribute, ...] = ()

    @property
    def partition_columns(self) -> tuple[str, ...]:
        """Columns that live in the path (`service`/`model`, `dt`, `hour`)."""
        return (self.key_column, "dt", "hour") if self.hourly else (self.key_column, "dt")

    @property
    def prunable(self) -> tuple[str, ...]:
        """Columns whose predicates choose partitions (timestamps cut the partitions)."""
        extra = ("timestamp",) if self.kind is not None else ()
        return (*self.partition_columns, *extra)


def _record_table(kind: Kind) -> TableSpec:
    columns = [
        (f.name, "VARCHAR" if f.type in JSON_TEXT_TYPES else _DUCKDB_TYPES.get(f.type, "VARCHAR"))
        for f in FIELDS[kind]
    ]
    columns.append((INGESTED_AT, "TIMESTAMP"))
    columns.extend((hot.name, _DUCKDB_TYPES[hot.type]) for hot in HOT_ATTRIBUTES[kind])
    columns.extend((name, "VARCHAR") for name in PARTITION_COLUMNS[kind][1:])
    return TableSpec(
        name=kind.plural,
        root=keys.kind_prefix(kind),
        key_column=KEY_COLUMN[kind],
        hourly="hour" in PARTITION_COLUMNS[kind],
        columns=tuple(columns),
        json_columns=frozenset(f.name for f in FIELDS[kind] if f.type in JSON_TEXT_TYPES),
        kind=kind,
        hot=HOT_ATTRIBUTES[kind],
    )


def _derived_table(table: DerivedTable) -> TableSpec:
    if table.partition_names != (table.partition_names[0], "dt"):
        raise ValueError(f"{table.name}: the query layer reads `<key>/dt` partitions only")
    return TableSpec(
        name=table.name,
        root=table.prefix,
        key_column=table.partition_names[0],
        hourly=False,
        columns=table.duckdb_columns(),
        json_columns=frozenset(),
        derived=table,
    )


#: Per-feature drift rows written by the drift job (`analyze/`), one file per run.
DRIFT_METRICS: Final = _derived_table(derived.DRIFT_METRICS)

TABLE_SPECS: Final[Mapping[str, TableSpec]] = {
    **{kind.plural: _record_table(kind) for kind in Kind},
    **{table.name: _derived_table(table) for table in derived.ALL_DERIVED},
}
