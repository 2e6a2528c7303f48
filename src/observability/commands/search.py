"""`observability search ...`: OpenSearch setup (templates, retention policy)."""

from __future__ import annotations

import click

from observability.commands.common import cli_context, stdout_console
from observability.commands.search_query import SearchGroup, search_query
from observability.index.client import client_from_settings
from observability.index.setup import apply_setup


@click.group("search", cls=SearchGroup)
def search() -> None:
    """Search logs and predictions in OpenSearch."""


@search.command("setup")
@click.option("--url", "opensearch_url", help="OpenSearch URL (default: settings).")
@click.option(
    "--retention-days",
    type=click.IntRange(min=1),
    default=None,
    help="Delete daily indices older than this (ISM, where the plugin is installed); "
    "default: OBSERVABILITY_OPENSEARCH_RETENTION_DAYS (30).",
)
@click.option("--shards", type=click.IntRange(min=1), default=1, show_default=True)
@click.option(
    "--replicas",
    type=click.IntRange(min=0),
    default=None,
    help="0 for a single local node (else its indices stay yellow); "
    "default: OBSERVABILITY_OPENSEARCH_REPLICAS (1).",
)
@click.pass_context
def setup(
    ctx: click.Context,
    opensearch_url: str | None,
    retention_days: int | None,
    shards: int,
    replicas: int | None,
) -> None:
    """Apply the index templates and the retention policy; safe to run again."""
    settings = cli_context(ctx).settings(
        opensearch_url=opensearch_url,
        opensearch_retention_days=retention_days,
        opensearch_replicas=replicas,
    )
    client = client_from_settings(settings)
    result = apply_setup(
        client,
        retention_days=settings.opensearch_retention_days,
        shards=shards,
        replicas=settings.opensearch_replicas,
    )
    console = stdout_console()
    for name, action in result.actions.items():
        console.print(f"{name}: {action}", highlight=False)


search.add_command(search_query)
