"""The SQL tables over the store layout: names, partition columns and column types.

Columns come from `core.schema.FIELDS` per kind plus `ingested_at` and the partition
columns, the same shape compaction writes and the Glue tables declare. Free-form fields
(`attributes`, `features`, `exception`, `prediction`, `label`) are JSON text, read in SQL
with `json_extract_scalar(features, '$.amount')`; timestamps are UTC `timestamp`s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from observability.core.fields import JSON_TEXT_TYPES
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
    #: The record kind, for tables of ingested records (None: drift_metrics).
    kind: Kind | None = None

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
    columns.extend((name, "VARCHAR") for name in PARTITION_COLUMNS[kind][1:])
    return TableSpec(
        name=kind.plural,
        root=f"{kind.plural}/",
        key_column=KEY_COLUMN[kind],
        hourly="hour" in PARTITION_COLUMNS[kind],
        columns=tuple(columns),
        json_columns=frozenset(f.name for f in FIELDS[kind] if f.type in JSON_TEXT_TYPES),
        kind=kind,
    )


#: Per-feature drift rows written by the drift job (`analyze/`), one file per run.
DRIFT_METRICS: Final = TableSpec(
    name="drift_metrics",
    root="metrics/drift/",
    key_column="model",
    hourly=False,
    columns=(
        ("model", "VARCHAR"),
        ("window_start", "TIMESTAMP"),
        ("window_end", "TIMESTAMP"),
        ("feature", "VARCHAR"),
        ("feature_type", "VARCHAR"),
        ("method", "VARCHAR"),
        ("score", "DOUBLE"),
        ("threshold", "DOUBLE"),
        ("drifted", "BOOLEAN"),
        ("n_reference", "BIGINT"),
        ("n_current", "BIGINT"),
        ("status", "VARCHAR"),
        ("detail", "VARCHAR"),
        ("report_id", "VARCHAR"),
        ("computed_at", "TIMESTAMP"),
        ("dt", "VARCHAR"),
    ),
    json_columns=frozenset(),
)

TABLE_SPECS: Final[Mapping[str, TableSpec]] = {
    **{kind.plural: _record_table(kind) for kind in Kind},
    DRIFT_METRICS.name: DRIFT_METRICS,
}
