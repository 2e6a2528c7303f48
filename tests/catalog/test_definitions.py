"""Glue definitions and DDL are rendered from core, committed, current, and parse."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pyarrow as pa
import pytest
import sqlglot
from sqlglot import exp

from observability.catalog.render import definitions, main, rendered
from observability.catalog.tables import (
    STORE_URL_TOKEN,
    ddl,
    table_input,
    table_specs,
)
from observability.catalog.views import decode_view, view_ddl, view_specs, view_sql
from observability.core.fields import FIELDS, HOT_ATTRIBUTES, Kind
from observability.core.partitioning import KEY_COLUMN, PARTITION_COLUMNS
from observability.store.compaction import arrow_schema

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "glue" / "tables"

_ARROW_TO_GLUE = {
    pa.string(): "string",
    pa.int64(): "bigint",
    pa.float64(): "double",
    pa.timestamp("us", tz="UTC"): "timestamp",
}


def test_committed_files_are_current() -> None:
    """glue/tables holds exactly what the renderer produces now (re-render when stale)."""
    expected = rendered()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in COMMITTED.iterdir() if p.is_file()}
    stale = sorted(n for n in expected if on_disk.get(n) != expected[n])
    extra = sorted(set(on_disk) - set(expected))
    assert not stale and not extra, (
        f"glue/tables is stale ({stale}, extra {extra}); run "
        "`python -m observability.catalog.render glue/tables`"
    )


def test_render_entry_point_writes_and_prunes(tmp_path: Path) -> None:
    """The module entry point writes every file and removes generated files it no longer makes."""
    (tmp_path / "gone_table.json").write_text("{}")
    assert main([str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(rendered())
    assert json.loads((tmp_path / "logs_ndjson.json").read_text())["Name"] == "logs_ndjson"


@pytest.mark.parametrize("kind", list(Kind))
def test_compacted_columns_match_the_parquet_compaction_writes(kind: Kind) -> None:
    """The compacted table's columns are the Parquet schema compaction writes, name and type."""
    (spec,) = [s for s in table_specs() if s.name == f"{kind.plural}_compacted"]
    schema = arrow_schema(kind)
    assert [(c.name, c.type) for c in spec.columns] == [
        (f.name, _ARROW_TO_GLUE[f.type]) for f in schema
    ]


@pytest.mark.parametrize("kind", list(Kind))
def test_columns_come_from_fields_and_partitioning(kind: Kind) -> None:
    """Both tables list FIELDS minus the key column, then ingested_at (the compacted one then
    its hot attributes); keys partition."""
    expected = [f.name for f in FIELDS[kind] if f.name != KEY_COLUMN[kind]] + ["ingested_at"]
    hot = [h.name for h in HOT_ATTRIBUTES[kind]]
    for spec in table_specs():
        if spec.kind is kind:
            table = table_input(spec)
            columns = [c["Name"] for c in table["StorageDescriptor"]["Columns"]]
            assert columns == expected + (hot if spec.format == "parquet" else [])
            assert [k["Name"] for k in table["PartitionKeys"]] == list(PARTITION_COLUMNS[kind])


def test_json_fields_are_string_columns_and_timestamps_typed() -> None:
    """Free-form fields are JSON-text strings; timestamp and ingested_at are timestamps."""
    table = definitions()["predictions_ndjson"]
    types = {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}
    assert types["features"] == types["prediction"] == types["attributes"] == "string"
    assert types["timestamp"] == types["ingested_at"] == "timestamp"
    assert types["latency_ms"] == "double"
    assert types["schema_version"] == "bigint"
    serde = table["StorageDescriptor"]["SerdeInfo"]
    assert serde["SerializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"
    assert serde["Parameters"]["case.insensitive"] == "FALSE"


def test_locations_follow_the_storage_layout() -> None:
    """Each table points at its layout prefix under the store URL token."""
    locations = {
        name: table["StorageDescriptor"].get("Location") for name, table in definitions().items()
    }
    assert locations["logs_ndjson"] == f"{STORE_URL_TOKEN}/logs/"
    assert locations["labels_compacted"] == f"{STORE_URL_TOKEN}/compacted/labels/"
    assert locations["drift_metrics"] == f"{STORE_URL_TOKEN}/metrics/drift/"
    assert locations["logs"] is None  # a view has no location


def _parse_strict(sql: str, dialect: str) -> exp.Expression:
    """Parse one statement; a fallback to an opaque Command counts as a failure."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        parsed = sqlglot.parse_one(sql, read=dialect, error_level=sqlglot.ErrorLevel.RAISE)
    assert not isinstance(parsed, exp.Command), f"{dialect} could not parse:\n{sql}"
    return parsed


@pytest.mark.parametrize("spec", table_specs(), ids=lambda s: s.name)
def test_table_ddl_parses_as_hive(spec: object) -> None:
    """CREATE EXTERNAL TABLE parses with sqlglot's Hive dialect (Athena DDL is Hive's)."""
    from observability.catalog.tables import TableSpec

    assert isinstance(spec, TableSpec)
    parsed = _parse_strict(ddl(spec, "observability", "s3://bucket/prefix"), "hive")
    assert isinstance(parsed, exp.Create)
    assert parsed.this.this.name == spec.name
    names = [c.name for c in parsed.find_all(exp.ColumnDef)]
    assert names == [c.name for c in (*spec.columns, *spec.partition_keys)]


def test_trino_cannot_parse_hive_ddl() -> None:
    """Why DDL is checked as Hive: Trino's grammar has no ROW FORMAT SERDE, so it degrades."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = sqlglot.parse_one(ddl(table_specs()[0], "observability"), read="trino")
    assert isinstance(parsed, exp.Command)


@pytest.mark.parametrize("view", view_specs(), ids=lambda v: v.name)
def test_view_sql_parses_as_trino(view: object) -> None:
    """Each view's SQL and CREATE VIEW parse with sqlglot's Trino dialect."""
    from observability.catalog.views import ViewSpec

    assert isinstance(view, ViewSpec)
    select = _parse_strict(view_sql(view), "trino")
    assert isinstance(select, exp.Union)
    assert select.named_selects == [c.name for c in view.columns]
    create = _parse_strict(view_ddl(view, "observability"), "trino")
    assert isinstance(create, exp.Create)
    assert create.args["kind"] == "VIEW"


def test_view_table_input_encodes_a_presto_view() -> None:
    """The Glue view is VIRTUAL_VIEW with the base64 Presto definition Athena expects."""
    table = definitions("analytics")["labels"]
    assert table["TableType"] == "VIRTUAL_VIEW"
    assert table["Parameters"]["presto_view"] == "true"
    assert table["ViewExpandedText"] == "/* Presto View */"
    definition = decode_view(table)
    assert definition["catalog"] == "awsdatacatalog"
    assert definition["schema"] == "analytics"
    assert definition["originalSql"].startswith("SELECT")
    types = {c["name"]: c["type"] for c in definition["columns"]}
    assert types["timestamp"] == "timestamp(3)"
    assert types["label"] == "varchar"
    assert list(types)[-2:] == ["model", "dt"]
