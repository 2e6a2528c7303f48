"""`observability cost`: the deployed design's monthly cost per component (deploy/cost.py)."""

from __future__ import annotations

import json

import click
from rich.table import Table

from observability.commands.common import stdout_console
from observability.deploy.cost import Scenario, estimate
from observability.deploy.design import (
    COMPACTED_SOURCE_DAYS,
    DEFAULT_SEARCH_DAYS,
    DEFAULT_SEARCH_TIER,
    OPENSEARCH_REPLICAS,
    RETENTION_DAYS,
    SEARCH_TIERS,
    SearchTier,
    standard_days,
)


@click.command()
@click.option(
    "--gb-per-day",
    type=click.FloatRange(0, 1_000_000, min_open=True),
    required=True,
    help="Raw NDJSON ingested a day.",
)
@click.option(
    "--search",
    type=click.Choice(SEARCH_TIERS),
    default=DEFAULT_SEARCH_TIER,
    show_default=True,
    help="athena: the API searches through Athena; opensearch: a domain with Dashboards.",
)
@click.option(
    "--search-days",
    type=click.IntRange(1),
    default=DEFAULT_SEARCH_DAYS,
    show_default=True,
    help="The hot window: days in OpenSearch, or (athena) days Parquet stays in S3 Standard "
    "(at least 30).",
)
@click.option(
    "--retention-days",
    type=click.IntRange(1),
    default=RETENTION_DAYS,
    show_default=True,
    help="Days record data stays in S3.",
)
@click.option(
    "--replicas",
    type=click.IntRange(0),
    default=OPENSEARCH_REPLICAS,
    show_default=True,
    help="Replica shards of each OpenSearch index (--search opensearch).",
)
@click.option(
    "--compacted-source-days",
    type=click.IntRange(0),
    default=COMPACTED_SOURCE_DAYS,
    show_default=True,
    help="N deletes compacted NDJSON after N days; 0 keeps it (Standard-IA after 30 days).",
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def cost(
    *,
    gb_per_day: float,
    search: SearchTier,
    search_days: int,
    retention_days: int,
    replicas: int,
    compacted_source_days: int,
    fmt: str,
) -> None:
    """Monthly cost per component, from the committed price table, beside AWS's figure."""
    scenario = Scenario(
        gb_per_day, search_days, retention_days, replicas, compacted_source_days, search
    )
    result = estimate(scenario)
    console = stdout_console()
    if fmt == "json":
        click.echo(json.dumps(result.as_dict(), indent=2))
        return
    table = Table(
        title=f"monthly cost, {result.region} on-demand prices checked {result.checked}: "
        f"{gb_per_day:g} GB/day, {_hot(scenario)}, {retention_days} days in S3"
    )
    table.add_column("component")
    table.add_column("USD/month", justify="right")
    table.add_column("basis", overflow="fold")
    for line in result.lines:
        table.add_row(line.component, f"{line.monthly:,.2f}", line.basis)
    table.add_row("total", f"{result.total:,.2f}", "", style="bold")
    console.print(table)
    share = result.total / result.reference_monthly
    console.print(
        f"{result.reference_name}: ${result.reference_monthly:,.2f}/month at 100 GB/day "
        f"({result.reference_description}); this estimate is {share:.2f}x that figure."
    )


def _hot(scenario: Scenario) -> str:
    """What the hot window is in this design."""
    if scenario.indexed:
        return f"{scenario.search_days} days in OpenSearch ({scenario.replicas} replica(s))"
    return (
        f"search through Athena, Parquet {standard_days(scenario.search_days)} days in S3 Standard"
    )
