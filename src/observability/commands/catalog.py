"""`observability catalog apply | render`: the Glue catalog and Athena workgroup.

Registered by `observability.cli`. The database, workgroup, result location and scan
cutoff come from settings (`OBSERVABILITY_GLUE_DATABASE`, `_ATHENA_WORKGROUP`,
`_ATHENA_OUTPUT_LOCATION`, `_ATHENA_BYTES_SCANNED_CUTOFF`); the flags win.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from observability.catalog.apply import (
    CatalogApplier,
    CatalogConfig,
    register_existing,
)
from observability.catalog.partitions import PartitionRegistrar
from observability.catalog.render import write
from observability.catalog.tables import DEFAULT_DATABASE
from observability.commands.common import cli_context, stdout_console


@click.group()
def catalog() -> None:
    """Glue tables, views and partitions; the Athena workgroup."""


@catalog.command()
@click.option("--database", default=None, help="Glue database (default: settings).")
@click.option("--workgroup", default=None, help="Athena workgroup (default: settings).")
@click.option(
    "--output-location",
    default=None,
    help="Athena query results (default: athena-results/ in the store).",
)
@click.option(
    "--bytes-scanned-cutoff",
    type=click.IntRange(min=1),
    default=None,
    help="Athena cancels a query that would scan more bytes than this (default: settings).",
)
@click.option(
    "--register-existing",
    "backfill",
    is_flag=True,
    help="Also register the partitions of data already in the store (one-off backfill).",
)
@click.pass_context
def apply(
    ctx: click.Context,
    *,
    database: str | None,
    workgroup: str | None,
    output_location: str | None,
    bytes_scanned_cutoff: int | None,
    backfill: bool,
) -> None:
    """Create or update the database, tables, views and workgroup; re-running is a no-op."""
    runtime = cli_context(ctx).runtime(
        glue_database=database,
        athena_workgroup=workgroup,
        athena_output_location=output_location,
        athena_bytes_scanned_cutoff=bytes_scanned_cutoff,
    )
    settings, aws = runtime.settings, runtime.aws
    database = settings.glue_database
    config = CatalogConfig(
        settings.store_url,
        database,
        settings.athena_workgroup,
        settings.athena_output_location,
        settings.athena_bytes_scanned_cutoff,
    )
    changes = CatalogApplier(aws.client("glue"), aws.client("athena"), config).apply()
    table = Table(title=f"catalog {database} for {settings.store_url}")
    for column in ("resource", "name", "action"):
        table.add_column(column)
    for change in changes:
        table.add_row(change.resource, change.name, change.action)
    console = stdout_console()
    console.print(table)
    if backfill:
        registrar = PartitionRegistrar(aws.client("glue"), database, settings.store_url)
        result = register_existing(registrar, runtime.store).summary()
        console.print(
            f"partitions: {result['created']} created, {result['existing']} already there, "
            f"{result['ignored']} other objects ignored"
        )


@catalog.command()
@click.argument(
    "directory", type=click.Path(file_okay=False, path_type=Path), default=Path("glue/tables")
)
@click.option("--database", default=DEFAULT_DATABASE, show_default=True)
def render(directory: Path, database: str) -> None:
    """Write the Glue TableInput JSON and Athena DDL rendered from the schema."""
    paths = write(directory, database)
    stdout_console().print(f"{len(paths)} files in {directory}")
