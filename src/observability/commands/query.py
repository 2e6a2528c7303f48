"""`observability query`: ad-hoc SQL or a named query, printed as a table, JSON or CSV."""

from __future__ import annotations

import csv
import io
import sys
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import click
import orjson
from rich.table import Table

from observability.commands.common import cli_context, stdout_console
from observability.commands.times import TIME
from observability.core.times import HELP
from observability.query.base import QueryResult
from observability.query.library import NAMED


@click.command("query")
@click.argument("sql", required=False)
@click.option("--named", "named", type=click.Choice(sorted(NAMED)), help="Run a named query.")
@click.option("--param", "params", multiple=True, metavar="K=V", help="A named query parameter.")
@click.option("--service", help="Shorthand for --param service=….")
@click.option("--model", help="Shorthand for --param model=….")
@click.option("--since", "--start", "since", type=TIME, help=f"Window start (default: 24h). {HELP}")
@click.option("--until", "--end", "until", type=TIME, help="Window end, exclusive (default: now).")
@click.option("--format", "output", type=click.Choice(["table", "json", "csv"]), default="table")
@click.option(
    "--max-rows", type=click.IntRange(min=1), help="Rows at most (default: query_max_rows)."
)
@click.option(
    "--timeout",
    "timeout",
    type=click.FloatRange(min=0.1),
    help="Seconds before the query is killed (default: query_timeout_seconds).",
)
@click.pass_context
def query(  # noqa: PLR0917 - click passes each option as an argument
    ctx: click.Context,
    sql: str | None,
    named: str | None,
    params: tuple[str, ...],
    service: str | None,
    model: str | None,
    since: datetime | None,
    until: datetime | None,
    output: str,
    max_rows: int | None,
    timeout: float | None,
) -> None:
    """Run SQL (Athena/Trino dialect) or a named query over logs, predictions and labels.

    Tables: logs, predictions, labels, drift_metrics. Ad-hoc SQL must be one SELECT;
    values are bound with :name placeholders and --param name=value.
    """
    if (sql is None) == (named is None):
        raise click.UsageError("give either SQL or --named NAME")
    values = _params(params)
    for name, value in (("service", service), ("model", model)):
        if value is not None:
            values[name] = value
    window = {"since": since, "until": until}
    # User SQL: a capped query process per query (see query/isolated.py).
    engine = cli_context(ctx).runtime().user_query_engine()
    try:
        if named is not None:
            values.update({k: v for k, v in window.items() if v is not None})
            result = NAMED[named].run(engine, values, timeout_seconds=timeout, max_rows=max_rows)
        else:
            if any(v is not None for v in window.values()):
                raise click.UsageError("--since/--until apply to --named queries")
            assert sql is not None
            result = engine.execute(sql, values, timeout_seconds=timeout, max_rows=max_rows)
    finally:
        cli_context(ctx).close()
    print_result(result, output)


def _params(pairs: tuple[str, ...]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.UsageError(f"--param expects NAME=VALUE, got {pair!r}")
        values[name.strip()] = value
    return values


def print_result(result: QueryResult, output: str) -> None:
    """Print rows as a table (with what they cost), one JSON array, or CSV."""
    if output == "json":
        body = orjson.dumps(result.to_dicts(), default=_json_default)
        sys.stdout.write(body.decode() + "\n")
    elif output == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows([_text(value) for value in row] for row in result.rows)
        sys.stdout.write(buffer.getvalue())
    else:
        table = Table(*result.columns)
        for row in result.rows:
            table.add_row(*(_text(value) for value in row))
        console = stdout_console()
        console.print(table)
        scanned = "" if result.bytes_scanned is None else f", {result.bytes_scanned:,} bytes read"
        console.print(
            f"{len(result.rows)} row(s){' (truncated)' if result.truncated else ''} "
            f"in {result.elapsed_seconds:.2f} s on {result.engine}{scanned}"
        )
    if result.truncated:
        click.echo(f"warning: output truncated to {len(result.rows)} rows", err=True)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


__all__ = ["query"]
