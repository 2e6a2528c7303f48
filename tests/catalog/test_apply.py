"""`catalog apply` builds the catalog and workgroup in moto, and a re-run changes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from observability.catalog.apply import CatalogApplier, CatalogConfig
from observability.catalog.render import definitions
from observability.catalog.views import decode_view
from observability.cli import main
from observability.commands.catalog import catalog
from observability.core.aws import AwsClients
from observability.core.errors import ObservabilityError

main.add_command(catalog)

STORE_URL = "s3://observability-data/prod"


def _state(glue: Any, database: str = "observability") -> dict[str, tuple[Any, ...]]:
    """Each table's version and update time: what an update would change."""
    tables = glue.get_tables(DatabaseName=database)["TableList"]
    return {t["Name"]: (t.get("VersionId"), t.get("UpdateTime")) for t in tables}


@pytest.mark.aws
def test_apply_creates_everything_then_changes_nothing(aws: AwsClients) -> None:
    """First run creates database, tables, views and workgroup; the second reports no change."""
    glue, athena = aws.client("glue"), aws.client("athena")
    config = CatalogConfig(STORE_URL, bytes_scanned_cutoff=50_000_000)
    first = CatalogApplier(glue, athena, config).apply()
    assert {c.action for c in first} == {"created"}
    assert sorted(c.name for c in first if c.resource in ("table", "view")) == sorted(definitions())
    before = _state(glue)
    second = CatalogApplier(glue, athena, config).apply()
    assert {c.action for c in second} == {"unchanged"}
    assert _state(glue) == before
    table = glue.get_table(DatabaseName="observability", Name="logs_ndjson")["Table"]
    assert table["StorageDescriptor"]["Location"] == f"{STORE_URL}/logs/"
    assert [k["Name"] for k in table["PartitionKeys"]] == ["service", "dt", "hour"]
    view = glue.get_table(DatabaseName="observability", Name="logs")["Table"]
    assert view["TableType"] == "VIRTUAL_VIEW"
    assert '"logs_compacted$partitions"' in decode_view(view)["originalSql"]
    workgroup = athena.get_work_group(WorkGroup="observability")["WorkGroup"]["Configuration"]
    assert workgroup["BytesScannedCutoffPerQuery"] == 50_000_000
    assert workgroup["ResultConfiguration"]["OutputLocation"] == f"{STORE_URL}/athena-results/"


@pytest.mark.aws
def test_apply_repairs_a_drifted_table(aws: AwsClients) -> None:
    """A table changed by hand is put back, and only that table is updated."""
    glue, athena = aws.client("glue"), aws.client("athena")
    config = CatalogConfig(STORE_URL, database="analytics")
    CatalogApplier(glue, athena, config).apply()
    table = glue.get_table(DatabaseName="analytics", Name="labels_compacted")["Table"]
    table["StorageDescriptor"]["Location"] = "s3://somewhere-else/labels/"
    keep = ("Name", "TableType", "Parameters", "PartitionKeys", "StorageDescriptor")
    glue.update_table(DatabaseName="analytics", TableInput={k: table[k] for k in keep})
    changes = CatalogApplier(glue, athena, config).apply()
    assert [(c.name, c.action) for c in changes if c.action != "unchanged"] == [
        ("labels_compacted", "updated")
    ]
    repaired = glue.get_table(DatabaseName="analytics", Name="labels_compacted")["Table"]
    assert repaired["StorageDescriptor"]["Location"] == f"{STORE_URL}/compacted/labels/"


def test_config_refuses_what_athena_would() -> None:
    """A local store and a cutoff under Athena's 10 MB minimum are refused up front."""
    with pytest.raises(ObservabilityError, match="s3://"):
        CatalogConfig("file:///data")
    with pytest.raises(ObservabilityError, match="at least"):
        CatalogConfig(STORE_URL, bytes_scanned_cutoff=1024)


def _cli(moto_url: str, *args: str) -> Result:
    env = {
        "OBSERVABILITY_AWS_ENDPOINT_URL": moto_url,
        "OBSERVABILITY_STORE_URL": STORE_URL,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    return CliRunner().invoke(main, list(args), env=env)


@pytest.mark.aws
def test_cli_apply_with_backfill_of_existing_partitions(aws: AwsClients, moto_url: str) -> None:
    """`catalog apply --register-existing` builds the catalog and registers stored partitions."""
    s3 = aws.s3()
    s3.create_bucket(Bucket="observability-data")
    for key in (
        "prod/logs/service=search/dt=2026-11-22/hour=09/a.json.gz",
        "prod/logs/service=search/dt=2026-11-22/hour=09/b.json.gz",
        "prod/compacted/logs/service=search/dt=2026-11-22/hour=09/part-0000.parquet",
        "prod/compacted/logs/service=search/dt=2026-11-22/hour=09/_manifest.json",
        "prod/errors/ingest/malformed_json/dt=2026-11-22/c.json.gz",
    ):
        s3.put_object(Bucket="observability-data", Key=key, Body=b"{}")
    result = _cli(moto_url, "catalog", "apply", "--register-existing", "--workgroup", "wg1")
    assert result.exit_code == 0, result.output
    assert "2 created" in result.output
    glue = aws.client("glue")
    pages = glue.get_partitions(DatabaseName="observability", TableName="logs_compacted")
    assert [p["Values"] for p in pages["Partitions"]] == [["search", "2026-11-22", "09"]]
    assert aws.client("athena").get_work_group(WorkGroup="wg1")["WorkGroup"]["Name"] == "wg1"
    again = _cli(moto_url, "catalog", "apply", "--workgroup", "wg1")
    assert again.exit_code == 0
    assert "created" not in again.output and "updated" not in again.output


def test_cli_render_writes_the_definitions(tmp_path: Path) -> None:
    """`catalog render DIR` writes the JSON and DDL for every table and view."""
    result = CliRunner().invoke(main, ["catalog", "render", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "out" / "drift_metrics.json").read_text())
    assert written["StorageDescriptor"]["Location"] == "${StoreUrl}/metrics/drift/"
    assert (tmp_path / "out" / "logs.sql").read_text().startswith("CREATE OR REPLACE VIEW")
