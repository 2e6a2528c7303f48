"""Glue tables rendered from the schema: `TableInput` dicts and Athena DDL.

Per record kind there are two tables over the same layout, because Athena cannot mix
SerDes in one table: `<plural>_ndjson` over the gzip NDJSON the pipeline writes
(`logs/service=…/dt=…/hour=…/`) and `<plural>_compacted` over the Parquet files of
`compacted/`. The views of `views.py` put them together as `logs`, `predictions`, `labels`.
Derived tables (`drift_metrics`, `job_runs`) are Parquet tables declared in `core/derived.py`.

Columns are the kind's `FIELDS` minus its partition key column (which lives in the path
only), then `ingested_at`, exactly as `store/compaction.py` writes Parquet; the compacted
table adds the kind's hot attributes (`core.fields.HOT_ATTRIBUTES`, `latency_ms` of logs),
typed columns that the NDJSON side has only inside `attributes` (the views compute them).
Fields whose JSON type varies (`attributes`, `features`, `exception`, `prediction`,
`label`) are `string` columns holding JSON text; read them with
`json_extract_scalar(attributes, '$.user_id')`.

NDJSON tables use the OpenX JSON SerDe: for a `string` column it renders a nested object or
array back to JSON text (Trino's implementation, which Athena engine 3 runs, documents
"Text types support all JSON values by rendering the value as canonical JSON"), so the
same `json_extract_scalar` access works on both tables. `case.insensitive` is off, because
the original OpenX SerDe lower-cases every key it parses, including keys inside
`attributes`; our top-level names are all lower case already. Its default timestamp format
is ISO 8601 with `T` and `Z`, which is how every record's `timestamp` is normalised.

Locations are written as `${StoreUrl}/logs/`: the committed JSON is the same for every
deployment, and `catalog apply` substitutes the store URL (CloudFormation's `Fn::Sub`
reads the same token).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from observability.core import derived, keys
from observability.core.derived import DerivedTable
from observability.core.fields import (
    FIELDS,
    HOT_ATTRIBUTES,
    INGESTED_AT,
    JSON_TEXT_TYPES,
    FieldType,
    Kind,
)
from observability.core.partitioning import KEY_COLUMN, PARTITION_COLUMNS

#: Stands for the store URL (`s3://bucket/prefix`) in committed definitions.
STORE_URL_TOKEN: Final = "${StoreUrl}"  # noqa: S105 (a template token, not a secret)
DEFAULT_DATABASE: Final = "observability"

Format = Literal["ndjson", "parquet"]

#: Logical field types -> Hive/Glue column types.
GLUE_TYPES: Final[Mapping[FieldType, str]] = {
    FieldType.STRING: "string",
    FieldType.NAME: "string",
    FieldType.ID: "string",
    FieldType.LEVEL: "string",
    FieldType.TIMESTAMP: "timestamp",
    FieldType.NUMBER: "double",
    FieldType.INTEGER: "bigint",
    FieldType.SCALAR: "string",
    FieldType.PREDICTION: "string",
    FieldType.FEATURES: "string",
    FieldType.OBJECT: "string",
    FieldType.EXCEPTION: "string",
}

_PARTITION_DOCS: Final = {
    "service": "Emitting service (partition).",
    "model": "Model name (partition).",
    "dt": "UTC day, YYYY-MM-DD (partition).",
    "hour": "UTC hour, 00-23 (partition).",
}
_JSON_DOC: Final = "JSON text; read with json_extract_scalar(col, '$.key') or '$' for a scalar."

_NDJSON_STORAGE: Final = {
    "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
    "SerdeInfo": {
        "SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe",
        "Parameters": {"case.insensitive": "FALSE", "ignore.malformed.json": "FALSE"},
    },
    "Compressed": True,
}
_PARQUET_STORAGE: Final = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {
        "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
        "Parameters": {"serialization.format": "1"},
    },
    "Compressed": True,
}
_TABLE_PARAMETERS: Final[Mapping[Format, Mapping[str, str]]] = {
    "ndjson": {"EXTERNAL": "TRUE", "classification": "json", "compressionType": "gzip"},
    "parquet": {"EXTERNAL": "TRUE", "classification": "parquet", "parquet.compression": "ZSTD"},
}


@dataclass(frozen=True, slots=True)
class Column:
    """One column: name, Glue type, and a comment for the catalog."""

    name: str
    type: str
    comment: str = ""
    json: bool = False

    def glue(self) -> dict[str, str]:
        """The Glue `Column` shape."""
        column = {"Name": self.name, "Type": self.type}
        if self.comment:
            column["Comment"] = self.comment
        return column


@dataclass(frozen=True, slots=True)
class TableSpec:
    """One external table: its columns, partition keys, format and place in the layout."""

    name: str
    format: Format
    prefix: str  # relative to the store root, ending in "/"
    columns: tuple[Column, ...]
    partition_keys: tuple[Column, ...]
    description: str
    kind: Kind | None = None

    def location(self, store_url: str = STORE_URL_TOKEN) -> str:
        """`s3://bucket/prefix/logs/` for a store URL (or the token)."""
        return f"{store_url.rstrip('/')}/{self.prefix}"


def data_columns(kind: Kind) -> tuple[Column, ...]:
    """A kind's stored columns in file order: FIELDS minus the partition key, `ingested_at`."""
    columns = [
        Column(
            f.name,
            GLUE_TYPES[f.type],
            f"{f.doc} {_JSON_DOC}".strip() if f.type in JSON_TEXT_TYPES else f.doc,
            json=f.type in JSON_TEXT_TYPES,
        )
        for f in FIELDS[kind]
        if f.name != KEY_COLUMN[kind]
    ]
    columns.append(Column(INGESTED_AT, "timestamp", "When the pipeline accepted the record."))
    return tuple(columns)


def hot_columns(kind: Kind) -> tuple[Column, ...]:
    """A kind's hot attributes as columns: in compacted Parquet, after `ingested_at`."""
    return tuple(Column(h.name, GLUE_TYPES[h.type], h.doc) for h in HOT_ATTRIBUTES[kind])


def partition_keys(kind: Kind) -> tuple[Column, ...]:
    """The kind's partition columns, in path order; all strings, as they appear in keys."""
    return tuple(Column(name, "string", _PARTITION_DOCS[name]) for name in PARTITION_COLUMNS[kind])


def derived_table(table: DerivedTable) -> TableSpec:
    """The Parquet table of a derived table, with the columns `core/derived.py` declares."""
    return TableSpec(
        name=table.name,
        format="parquet",
        prefix=table.prefix,
        columns=tuple(Column(c.name, c.glue_type, c.doc) for c in table.columns),
        partition_keys=tuple(Column(c.name, c.glue_type, c.doc) for c in table.partition_columns),
        description=table.description,
    )


#: Written by the drift job: one row per model, window and feature.
DRIFT_METRICS: Final = derived_table(derived.DRIFT_METRICS)


def ndjson_table(kind: Kind) -> TableSpec:
    """The table over the pipeline's gzip NDJSON for a kind."""
    return TableSpec(
        name=f"{kind.plural}_ndjson",
        format="ndjson",
        prefix=keys.kind_prefix(kind),
        columns=data_columns(kind),
        partition_keys=partition_keys(kind),
        description=f"{kind.value} records as delivered (gzip NDJSON); query the view instead.",
        kind=kind,
    )


def compacted_table(kind: Kind) -> TableSpec:
    """The table over a kind's compacted zstd Parquet files."""
    return TableSpec(
        name=f"{kind.plural}_compacted",
        format="parquet",
        prefix=keys.compacted_prefix(keys.kind_prefix(kind)),
        columns=(*data_columns(kind), *hot_columns(kind)),
        partition_keys=partition_keys(kind),
        description=f"{kind.value} records compacted to Parquet; query the view instead.",
        kind=kind,
    )


def table_specs() -> tuple[TableSpec, ...]:
    """Every external table, in a stable order."""
    specs: list[TableSpec] = []
    for kind in Kind:
        specs += [ndjson_table(kind), compacted_table(kind)]
    specs += [derived_table(table) for table in derived.ALL_DERIVED]
    return tuple(specs)


def table_input(spec: TableSpec, store_url: str = STORE_URL_TOKEN) -> dict[str, Any]:
    """The Glue CreateTable/UpdateTable `TableInput` of a table."""
    storage = _NDJSON_STORAGE if spec.format == "ndjson" else _PARQUET_STORAGE
    return {
        "Name": spec.name,
        "Description": spec.description,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": dict(_TABLE_PARAMETERS[spec.format]),
        "PartitionKeys": [c.glue() for c in spec.partition_keys],
        "StorageDescriptor": {
            "Columns": [c.glue() for c in spec.columns],
            "Location": spec.location(store_url),
            **_copy(storage),
        },
    }


def storage_descriptor(
    spec: TableSpec, location: str, store_url: str = STORE_URL_TOKEN
) -> dict[str, Any]:
    """A partition's storage descriptor: the table's, at the partition's location."""
    descriptor: dict[str, Any] = table_input(spec, store_url)["StorageDescriptor"]
    descriptor["Location"] = location
    return descriptor


def ddl(spec: TableSpec, database: str, store_url: str = STORE_URL_TOKEN) -> str:
    """`CREATE EXTERNAL TABLE` in Athena's DDL dialect (Hive's)."""
    storage = _NDJSON_STORAGE if spec.format == "ndjson" else _PARQUET_STORAGE
    serde: Mapping[str, Any] = storage["SerdeInfo"]  # type: ignore[assignment]
    lines = [f"CREATE EXTERNAL TABLE IF NOT EXISTS `{database}`.`{spec.name}` ("]
    lines += _column_lines(spec.columns)
    lines.append(")")
    lines.append(f"COMMENT {_quote(spec.description)}")
    lines.append("PARTITIONED BY (")
    lines += _column_lines(spec.partition_keys)
    lines.append(")")
    lines.append(f"ROW FORMAT SERDE {_quote(serde['SerializationLibrary'])}")
    lines.append(f"WITH SERDEPROPERTIES ({_properties(serde['Parameters'])})")
    lines.append(f"STORED AS INPUTFORMAT {_quote(str(storage['InputFormat']))}")
    lines.append(f"OUTPUTFORMAT {_quote(str(storage['OutputFormat']))}")
    lines.append(f"LOCATION {_quote(spec.location(store_url))}")
    lines.append(f"TBLPROPERTIES ({_properties(_TABLE_PARAMETERS[spec.format])})")
    return "\n".join(lines) + "\n"


def _column_lines(columns: tuple[Column, ...]) -> list[str]:
    last = len(columns) - 1
    return [
        f"  `{c.name}` {c.type}"
        + (f" COMMENT {_quote(c.comment)}" if c.comment else "")
        + ("," if i < last else "")
        for i, c in enumerate(columns)
    ]


def _properties(values: Mapping[str, str]) -> str:
    return ", ".join(f"{_quote(k)}={_quote(v)}" for k, v in values.items())


def _quote(text: str) -> str:
    """A single-quoted SQL string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value
