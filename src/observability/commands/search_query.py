"""`observability search QUERY`: search logs from the terminal, as a table, JSON or CSV.

Runs on OpenSearch when `OBSERVABILITY_OPENSEARCH_URL` (or `--url`) is set, else on the
embedded search over the store. `SearchGroup` lets the `search` group take a query as its
first argument (`search "timeout AND service:checkout" --since 1h`) next to subcommands
such as `search setup`; `search query ...` is the explicit spelling.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any, Final

import click
import orjson
from rich.table import Table

from observability.commands.common import cli_context, stdout_console
from observability.commands.times import TIME
from observability.core.fields import Kind
from observability.core.times import DURATION_HELP, HELP
from observability.search.request import DEFAULT_SIZE, MAX_SIZE, SearchRequest, SearchResult

QUERY_COMMAND: Final = "query"
#: Columns of the table and CSV outputs per kind (JSON carries every field of each hit);
#: the table leaves out the last one.
COLUMNS: Final = {
    Kind.LOG: ("timestamp", "level", "service", "env", "event", "trace_id", "record_id"),
    Kind.PREDICTION: (
        "timestamp",
        "model",
        "model_version",
        "prediction_id",
        "features",
        "prediction",
        "record_id",
    ),
}


class SearchGroup(click.Group):
    """A group whose first argument, when it names no subcommand, is a search query."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Route `search QUERY ...` (and `search --since 1h ...`) to the query command."""
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [QUERY_COMMAND, *args]
        return super().parse_args(ctx, args)


@click.command(QUERY_COMMAND)
@click.argument("query", required=False, default="")
@click.option(
    "--kind",
    type=click.Choice(["log", "prediction"]),
    default="log",
    show_default=True,
    help="Search logs, or predictions (by field: model:…, features.<name>:…).",
)
@click.option("--since", type=TIME, help=f"Start of the half-open range [since, until). {HELP}")
@click.option("--until", type=TIME, help="End of the range, exclusive (default: none).")
@click.option("--service", "services", multiple=True, help="Only these services (repeatable).")
@click.option("--level", "levels", multiple=True, help="Only these levels (repeatable).")
@click.option("--env", "envs", multiple=True, help="Only these environments (repeatable).")
@click.option("--trace-id", "trace_ids", multiple=True, help="Only these traces (repeatable).")
@click.option("--model", "models", multiple=True, help="Only records whose model attribute is…")
@click.option("--sort", type=click.Choice(["desc", "asc"]), default="desc", show_default=True)
@click.option("--size", type=click.IntRange(1, MAX_SIZE), default=DEFAULT_SIZE, show_default=True)
@click.option("--search-after", help="The next_cursor of a previous page.")
@click.option(
    "--interval", help=f"Also count per level and service in buckets this wide. {DURATION_HELP}"
)
@click.option("--format", "output", type=click.Choice(["table", "json", "csv"]), default="table")
@click.option("--url", "opensearch_url", help="OpenSearch URL (default: settings; none: embedded).")
@click.pass_context
def search_query(  # noqa: PLR0917 - click passes each option as an argument
    ctx: click.Context,
    query: str,
    kind: str,
    since: datetime | None,
    until: datetime | None,
    services: tuple[str, ...],
    levels: tuple[str, ...],
    envs: tuple[str, ...],
    trace_ids: tuple[str, ...],
    models: tuple[str, ...],
    sort: str,
    size: int,
    search_after: str | None,
    interval: str | None,
    output: str,
    opensearch_url: str | None,
) -> None:
    """Search logs: free text (terms, "phrases", AND/OR/NOT, field:value) plus filters.

    Fields: event (the default), service, level, env, logger, trace_id, span_id,
    request_id, host, version, record_id, exception.type, attributes.<key>.
    With --kind prediction: model, model_version, prediction_id, service, env,
    trace_id, record_id, features.<name> and attributes.<key> (no free text).
    """
    request = SearchRequest.build(
        query,
        kind=kind,
        services=services,
        levels=levels,
        envs=envs,
        trace_ids=trace_ids,
        models=models,
        since=since,
        until=until,
        sort=sort,
        size=size,
        search_after=search_after,
        interval=interval,
    )
    cli = cli_context(ctx)
    backend = cli.runtime(opensearch_url=opensearch_url).search_backend()
    try:
        result = backend.search(request)
    finally:
        cli.close()
    print_hits(result, output, request.kind)


def print_hits(result: SearchResult, output: str, kind: Kind = Kind.LOG) -> None:
    """Print hits as a table (with the next-page cursor), JSON or CSV."""
    columns = COLUMNS[kind]
    if output == "json":
        click.echo(orjson.dumps(result.to_dict()).decode())
        return
    if output == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([_cell(hit.get(c)) for c in columns] for hit in result.hits)
        click.echo(buffer.getvalue(), nl=False)
        return
    table = Table(*columns[:-1], show_lines=False)
    for hit in result.hits:
        table.add_row(*(_cell(hit.get(c)) for c in columns[:-1]))
    console = stdout_console()
    console.print(table)
    console.print(
        f"{len(result.hits)} of {result.total} hits on {result.backend} in {result.took_ms:.0f} ms",
        highlight=False,
    )
    if result.next_cursor:
        console.print(f"next page: --search-after {result.next_cursor}", highlight=False)
    if result.aggregations is not None:
        for name, buckets in (
            ("level", result.aggregations.levels),
            ("service", result.aggregations.services),
        ):
            for bucket in buckets:
                console.print(f"{bucket.start} {name}={bucket.key} {bucket.count}", highlight=False)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):  # features, a class -> probability map
        return orjson.dumps(value).decode()
    return str(value)
