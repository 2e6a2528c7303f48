"""Tables the service derives from records, declared once: `drift_metrics`, `job_runs`,
`alerts`.

As `core/fields.py` is for records, a declaration here is the only list of a derived
table's columns. It generates the Arrow schema writers use, the Glue columns
(`catalog/tables.py` renders them into `glue/tables/`) and the DuckDB read of the query
layer, so the files, Athena and DuckDB cannot disagree on a column.

Files are Parquet under the table's prefix from `core/keys.py`, Hive-partitioned: the
partition columns live in the path only (Athena refuses a name that is both a column and
a partition key; `parquet()` drops them from a writer's rows). A column added later is
missing from older files; the DuckDB read fills it with NULL (Athena does the same by name).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from observability.core import keys


class ColumnType(StrEnum):
    """The small type vocabulary of derived tables; each engine's name is in `_NAMES`."""

    STRING = "string"
    DOUBLE = "double"
    BIGINT = "bigint"
    BOOLEAN = "boolean"
    #: UTC, microseconds.
    TIMESTAMP = "timestamp"


@dataclass(frozen=True, slots=True)
class _Names:
    glue: str
    duckdb: str


_NAMES: Final[Mapping[ColumnType, _Names]] = {
    ColumnType.STRING: _Names("string", "VARCHAR"),
    ColumnType.DOUBLE: _Names("double", "DOUBLE"),
    ColumnType.BIGINT: _Names("bigint", "BIGINT"),
    ColumnType.BOOLEAN: _Names("boolean", "BOOLEAN"),
    # DuckDB sessions run in UTC; TIMESTAMP matches the record tables' timestamps.
    ColumnType.TIMESTAMP: _Names("timestamp", "TIMESTAMP"),
}


def _arrow_type(kind: ColumnType) -> Any:
    """The Arrow type of a column type (pyarrow imported here: the SDK has none)."""
    import pyarrow as pa

    types = {
        ColumnType.STRING: pa.string(),
        ColumnType.DOUBLE: pa.float64(),
        ColumnType.BIGINT: pa.int64(),
        ColumnType.BOOLEAN: pa.bool_(),
        ColumnType.TIMESTAMP: pa.timestamp("us", tz="UTC"),
    }
    return types[kind]


@dataclass(frozen=True, slots=True)
class DerivedColumn:
    """One column: name, type, whether it may be null, and its catalog comment."""

    name: str
    type: ColumnType
    doc: str
    nullable: bool = False

    @property
    def glue_type(self) -> str:
        """The Glue/Hive type name."""
        return _NAMES[self.type].glue

    @property
    def duckdb_type(self) -> str:
        """The DuckDB type name."""
        return _NAMES[self.type].duckdb


@dataclass(frozen=True, slots=True)
class DerivedTable:
    """A Parquet table under one store prefix, Hive-partitioned by string columns."""

    name: str
    #: Store prefix from `core/keys.py`, ending in "/".
    prefix: str
    #: In path order; strings, as they appear in keys.
    partition_columns: tuple[DerivedColumn, ...]
    #: Stored in every file, in file order.
    columns: tuple[DerivedColumn, ...]
    description: str

    @property
    def column_names(self) -> tuple[str, ...]:
        """What a query sees, in order: the file columns, then the partition columns.

        The order Athena gives a Glue table (columns, then partition keys); DuckDB follows it.
        """
        return tuple(c.name for c in (*self.columns, *self.partition_columns))

    @property
    def partition_names(self) -> tuple[str, ...]:
        """The partition columns' names, in path order."""
        return tuple(c.name for c in self.partition_columns)

    def arrow_schema(self) -> Any:
        """The schema of the table's files (partition columns excluded: they are the path)."""
        import pyarrow as pa

        return pa.schema(
            [pa.field(c.name, _arrow_type(c.type), nullable=c.nullable) for c in self.columns]
        )

    def parquet(self, rows: Sequence[Mapping[str, Any]]) -> bytes:
        """Rows (mappings by column name; other keys ignored) as one zstd Parquet file."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        names = [c.name for c in self.columns]
        table = pa.Table.from_pylist(
            [{name: row.get(name) for name in names} for row in rows], schema=self.arrow_schema()
        )
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, compression="zstd")
        data: bytes = sink.getvalue().to_pybytes()
        return data

    def duckdb_columns(self) -> tuple[tuple[str, str], ...]:
        """(name, DuckDB type) in query order."""
        return tuple((c.name, c.duckdb_type) for c in (*self.columns, *self.partition_columns))

    def duckdb_select(self, paths: Sequence[str]) -> str:
        """A SELECT over `paths` with exactly the declared columns, types and order.

        Files may differ in columns (a column added later): `union_by_name` reads them
        together, and an empty row of every declared column joined `UNION ALL BY NAME`
        makes a column that no file has a NULL instead of an error. Every name comes from
        the declaration and every path is quoted as a literal: no caller text reaches it.
        """
        declared = self.duckdb_columns()
        cast = ", ".join(f"CAST({_ident(n)} AS {t}) AS {_ident(n)}" for n, t in declared)
        if not paths:
            return f"SELECT {cast} FROM (SELECT {_nulls(declared)}) WHERE false"  # noqa: S608
        listed = "[" + ", ".join(_literal(p) for p in paths) + "]"
        hive = "{" + ", ".join(f"{_literal(c)}: 'VARCHAR'" for c in self.partition_names) + "}"
        reader = (
            f"read_parquet({listed}, hive_partitioning = true, hive_types = {hive}, "
            "union_by_name = true)"
        )
        return (
            f"SELECT {cast} FROM (SELECT {_nulls(declared)} WHERE false "  # noqa: S608
            f"UNION ALL BY NAME SELECT * FROM {reader})"
        )


def _nulls(columns: Sequence[tuple[str, str]]) -> str:
    return ", ".join(f"NULL AS {_ident(name)}" for name, _type in columns)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _day_column() -> DerivedColumn:
    return DerivedColumn("dt", ColumnType.STRING, "UTC day, YYYY-MM-DD (partition).")


#: Written by the drift job: one row per model, window and feature.
DRIFT_METRICS: Final = DerivedTable(
    name="drift_metrics",
    prefix=keys.DRIFT_METRICS,
    partition_columns=(
        DerivedColumn("model", ColumnType.STRING, "Model name (partition)."),
        _day_column(),
    ),
    columns=(
        DerivedColumn("window_start", ColumnType.TIMESTAMP, "Start of the current window (UTC)."),
        DerivedColumn("window_end", ColumnType.TIMESTAMP, "End of the current window (UTC)."),
        DerivedColumn("feature", ColumnType.STRING, "Feature name."),
        DerivedColumn("feature_type", ColumnType.STRING, "numeric or categorical."),
        DerivedColumn("method", ColumnType.STRING, "Drift test or distance used.", True),
        DerivedColumn("score", ColumnType.DOUBLE, "The method's statistic or p-value.", True),
        DerivedColumn(
            "threshold", ColumnType.DOUBLE, "The threshold the score is compared with.", True
        ),
        DerivedColumn("drifted", ColumnType.BOOLEAN, "Whether the feature drifted in this window."),
        DerivedColumn("n_reference", ColumnType.BIGINT, "Rows in the reference window."),
        DerivedColumn("n_current", ColumnType.BIGINT, "Rows in the current window."),
        DerivedColumn(
            "status", ColumnType.STRING, "ok, no_data, insufficient_data, empty_column, ..."
        ),
        DerivedColumn(
            "detail", ColumnType.STRING, "What was odd about the feature's values, if anything."
        ),
        DerivedColumn(
            "report_id", ColumnType.STRING, "The window's report: /api/v1/reports/{report_id}."
        ),
        DerivedColumn("computed_at", ColumnType.TIMESTAMP, "When the job computed the row (UTC)."),
    ),
    description="Per-feature drift results, for timelines.",
)

#: Written by the worker: one row per run of a scheduled job.
JOB_RUNS: Final = DerivedTable(
    name="job_runs",
    prefix=keys.JOB_RUNS,
    partition_columns=(
        DerivedColumn("job", ColumnType.STRING, "Job name: drift, compaction, ... (partition)."),
        _day_column(),
    ),
    columns=(
        DerivedColumn("target", ColumnType.STRING, "What the run worked on: model/window, ..."),
        DerivedColumn("run_id", ColumnType.STRING, "Unique id of the run."),
        DerivedColumn("status", ColumnType.STRING, "ok, error or skipped."),
        DerivedColumn("started_at", ColumnType.TIMESTAMP, "When the run started (UTC)."),
        DerivedColumn("finished_at", ColumnType.TIMESTAMP, "When the run ended (UTC)."),
        DerivedColumn("duration_seconds", ColumnType.DOUBLE, "Wall-clock duration."),
        DerivedColumn("error", ColumnType.STRING, "The error, when the run failed.", True),
        DerivedColumn("worker", ColumnType.STRING, "Id of the worker that ran it."),
    ),
    description="One row per run of a worker job, for the jobs view and alerting.",
)

#: Written by alert evaluation: one row per state transition of an alert.
ALERTS: Final = DerivedTable(
    name="alerts",
    prefix=keys.ALERT_HISTORY,
    partition_columns=(
        DerivedColumn("rule", ColumnType.STRING, "The alert rule's name (partition)."),
        _day_column(),
    ),
    columns=(
        DerivedColumn(
            "changed_at", ColumnType.TIMESTAMP, "When the evaluation saw the change (UTC)."
        ),
        DerivedColumn("rule_group", ColumnType.STRING, "The rule group of alerts.yaml."),
        DerivedColumn("fingerprint", ColumnType.STRING, "The alert's identity: its labels' hash."),
        DerivedColumn("labels", ColumnType.STRING, "The alert's labels, a JSON object."),
        DerivedColumn("from_state", ColumnType.STRING, "State before: inactive, pending, ..."),
        DerivedColumn("to_state", ColumnType.STRING, "State after: pending, firing, resolved, ..."),
        DerivedColumn("severity", ColumnType.STRING, "info, warning or critical."),
        DerivedColumn("value", ColumnType.DOUBLE, "The value the condition saw.", True),
        DerivedColumn("threshold", ColumnType.DOUBLE, "What the value was compared to.", True),
        DerivedColumn("summary", ColumnType.STRING, "The rendered summary annotation."),
        DerivedColumn("error", ColumnType.STRING, "Why the rule failed, for error alerts.", True),
        DerivedColumn("evaluator", ColumnType.STRING, "Id of the process that evaluated it."),
    ),
    description="One row per alert state transition, for the alerts view and audits.",
)

#: Every derived table: the query layer and the Glue catalog register each one.
ALL_DERIVED: Final[tuple[DerivedTable, ...]] = (DRIFT_METRICS, JOB_RUNS, ALERTS)
