"""The views queries use: `logs`, `predictions`, `labels` = compacted hours + the rest.

Each view is `<plural>_compacted` UNION ALL the rows of `<plural>_ndjson` whose partition
has no compacted partition registered. The check reads `"<plural>_compacted$partitions"`,
Athena's metadata table of the catalog's partitions, so it costs no data scan, and the
registrar adds a compacted partition only when its Parquet file lands: an hour is counted
from exactly one of the two tables. Files that arrive in an hour after it was compacted are
not visible through the view until compaction runs again (the compactor notices the new
source and rewrites the hour); schedule the Glue job accordingly. Filters on partition
columns push down into both branches, so partition pruning still works through the view.

Hot attributes (`latency_ms` of logs) are typed columns of the compacted table; the NDJSON
branch computes each from `attributes` by the rule `core.fields.HotAttribute` states (a
JSON number, else null), so a query reads one column name from either side.

JSON-text columns agree between the branches: objects are JSON text in both; scalar
`label` / `prediction` values are re-encoded from the NDJSON side as JSON (a string label
`cat` as `"cat"`, a number as a number), so `json_extract_scalar(label, '$')` reads a scalar
from either side and `json_extract_scalar(prediction, '$.cat')` a class probability.

An Athena view in Glue is a table with `TableType` `VIRTUAL_VIEW`, the Presto view
definition (JSON: `originalSql`, `catalog`, `schema`, `columns` with Presto types)
base64-encoded in `ViewOriginalText` as `/* Presto View: <base64> */`, the marker
`/* Presto View */` in `ViewExpandedText`, and `presto_view=true` in its parameters.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from observability.catalog.tables import (
    Column,
    TableSpec,
    compacted_table,
    data_columns,
    hot_columns,
    ndjson_table,
    partition_keys,
)
from observability.core.fields import (
    FIELDS,
    HOT_ATTRIBUTES,
    HOT_SOURCE,
    FieldType,
    HotAttribute,
    Kind,
)

ATHENA_CATALOG: Final = "awsdatacatalog"

#: Hive column types -> the Presto types a view definition declares.
PRESTO_TYPES: Final[Mapping[str, str]] = {
    "string": "varchar",
    "bigint": "bigint",
    "double": "double",
    "boolean": "boolean",
    "timestamp": "timestamp(3)",
}
#: Scalar-or-object fields: their NDJSON text is re-encoded as JSON (see the docstring).
_REENCODED: Final = frozenset({FieldType.SCALAR, FieldType.PREDICTION})


@dataclass(frozen=True, slots=True)
class ViewSpec:
    """A union view over a kind's compacted and NDJSON tables."""

    kind: Kind
    compacted: TableSpec
    ndjson: TableSpec

    @property
    def name(self) -> str:
        """The view's name: the kind's plural."""
        return self.kind.plural

    @property
    def columns(self) -> tuple[Column, ...]:
        """Data columns, hot attributes, then partition columns, as `SELECT *` returns them."""
        return (*data_columns(self.kind), *hot_columns(self.kind), *partition_keys(self.kind))

    @property
    def description(self) -> str:
        """The catalog description."""
        return f"All {self.kind.value} records: compacted hours from Parquet, the rest NDJSON."


def view_specs() -> tuple[ViewSpec, ...]:
    """One view per record kind."""
    return tuple(ViewSpec(kind, compacted_table(kind), ndjson_table(kind)) for kind in Kind)


def view_sql(view: ViewSpec) -> str:
    """The view's SELECT in Athena's (Trino's) dialect."""
    reencoded = {f.name for f in FIELDS[view.kind] if f.type in _REENCODED}
    hot = {h.name: h for h in HOT_ATTRIBUTES[view.kind]}
    names = [c.name for c in view.columns]
    keys = [c.name for c in partition_keys(view.kind)]
    compacted = ",\n  ".join(f'"{n}"' for n in names)
    ndjson = ",\n  ".join(_ndjson_column(n, reencoded, hot) for n in names)
    matched = " AND ".join(f"p.{_q(k)} = j.{_q(k)}" for k in keys)
    # Identifiers come from our own specs and are quoted; nothing here is input.
    return (
        f"SELECT\n  {compacted}\nFROM {_q(view.compacted.name)}\n"  # noqa: S608
        f"UNION ALL\n"
        f"SELECT\n  {ndjson}\nFROM {_q(view.ndjson.name)} AS j\n"
        f"WHERE NOT EXISTS (\n"
        f"  SELECT 1 FROM {_q(view.compacted.name + '$partitions')} AS p\n"
        f"  WHERE {matched}\n)"
    )


def view_ddl(view: ViewSpec, database: str) -> str:
    """`CREATE OR REPLACE VIEW` for running the view's SQL in Athena by hand."""
    return f"CREATE OR REPLACE VIEW {_q(database)}.{_q(view.name)} AS\n{view_sql(view)}\n"


def presto_view(view: ViewSpec, database: str) -> dict[str, Any]:
    """The Presto view definition Athena keeps (base64) in `ViewOriginalText`."""
    return {
        "originalSql": view_sql(view),
        "catalog": ATHENA_CATALOG,
        "schema": database,
        "columns": [{"name": c.name, "type": PRESTO_TYPES[c.type]} for c in view.columns],
    }


def view_table_input(view: ViewSpec, database: str) -> dict[str, Any]:
    """The Glue `TableInput` of the view, as Athena's own CREATE VIEW stores it."""
    definition = json.dumps(presto_view(view, database), separators=(",", ":"))
    encoded = base64.b64encode(definition.encode()).decode()
    return {
        "Name": view.name,
        "Description": view.description,
        "TableType": "VIRTUAL_VIEW",
        "Parameters": {"presto_view": "true", "comment": "Presto View"},
        "PartitionKeys": [],
        "ViewOriginalText": f"/* Presto View: {encoded} */",
        "ViewExpandedText": "/* Presto View */",
        "StorageDescriptor": {
            "Columns": [{"Name": c.name, "Type": c.type} for c in view.columns],
            "SerdeInfo": {},
        },
    }


def decode_view(table: Mapping[str, Any]) -> dict[str, Any]:
    """The Presto view definition inside a Glue view table (inverse of the encoding)."""
    text: str = table["ViewOriginalText"]
    prefix, suffix = "/* Presto View: ", " */"
    if not (text.startswith(prefix) and text.endswith(suffix)):
        raise ValueError("not a Presto view")
    decoded: dict[str, Any] = json.loads(base64.b64decode(text[len(prefix) : -len(suffix)]))
    return decoded


def _ndjson_column(name: str, reencoded: set[str], hot: Mapping[str, HotAttribute]) -> str:
    """One column of the NDJSON branch: as stored, re-encoded, or a hot attribute's value."""
    if name in hot:
        return f"{hot[name].trino(f'j.{_q(HOT_SOURCE)}')} AS {_q(name)}"
    return _reencode(f"j.{_q(name)}", name) if name in reencoded else f"j.{_q(name)}"


def _reencode(expression: str, name: str) -> str:
    """NDJSON text of a scalar-or-object -> JSON text: parse it, else quote it as a string."""
    return (
        f"json_format(coalesce(try(json_parse({expression})), "
        f"CAST({expression} AS JSON))) AS {_q(name)}"
    )


def _q(identifier: str) -> str:
    """A double-quoted Trino identifier."""
    return '"' + identifier.replace('"', '""') + '"'
