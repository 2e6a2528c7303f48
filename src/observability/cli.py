"""The `observability` console script: serve, ingest, compact, demo.

This is a composition root: settings are read here (`Settings.from_env(os.environ, ...)`,
explicit flags win) and the store and clients are built here, once, then passed down.
Every expected failure (a bad flag, a missing file, any `ObservabilityError`, an AWS or
I/O error) ends as one `error: ...` line on stderr with exit status 2 for usage and 1 for
everything else; a traceback means a bug.
"""

from __future__ import annotations

import contextlib
import re
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final, NoReturn

import click
from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from observability.commands.catalog import catalog
from observability.commands.common import KIND, CliContext, cli_context, stdout_console
from observability.commands.drift import drift
from observability.commands.query import query
from observability.commands.search import search
from observability.core.errors import ObservabilityError
from observability.core.metrics import Metrics
from observability.core.schema import Kind
from observability.core.settings import PREFIX, Settings
from observability.store.base import ObjectStore

USAGE_EXIT: Final = 2
RUNTIME_EXIT: Final = 1
_KIND_NAMES: Final = ("log", "logs", "prediction", "predictions", "label", "labels")


class _Cli(click.Group):
    """A group whose every failure is one readable line and an exit status."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> NoReturn:
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            _fail(exc.format_message(), USAGE_EXIT)
        except click.Abort:
            _fail("aborted", 130)
        except click.ClickException as exc:
            _fail(exc.format_message(), exc.exit_code or RUNTIME_EXIT)
        except ObservabilityError as exc:
            _fail(str(exc), RUNTIME_EXIT)
        except (BotoCoreError, ClientError) as exc:
            _fail(f"AWS: {exc}", RUNTIME_EXIT)
        except OSError as exc:
            _fail(_os_message(exc), RUNTIME_EXIT)
        sys.exit(result if isinstance(result, int) else 0)


def _fail(message: str, status: int) -> NoReturn:
    first = " ".join(message.split())  # one line, whatever the exception carried
    click.echo(f"error: {first}", err=True)
    sys.exit(status)


def _os_message(exc: OSError) -> str:
    where = f": {exc.filename}" if exc.filename else ""
    return f"{exc.strerror or exc}{where}"


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--store-url", help="file:///dir, a directory, or s3://bucket/prefix.")
@click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=f"TOML settings file (instead of {PREFIX}CONFIG).",
)
@click.pass_context
def main(ctx: click.Context, store_url: str | None, config: Path | None) -> None:
    """Structured logs, predictions and drift: one pipeline from SDK to store."""
    ctx.obj = CliContext(store_url, config)


@main.command()
@click.option("--host", default=None, help="Address to bind (default 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Default 8000.")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Run the collector (HTTP ingest, /healthz, /metrics) until interrupted."""
    settings = cli_context(ctx).settings(host=host, port=port)
    try:
        import uvicorn

        from observability.service.app import create_app
        from observability.service.deps import build_deps
    except ImportError as exc:
        raise click.ClickException(f"serve needs observability[service]: {exc}") from None
    app = create_app(settings, build_deps(settings))
    # uvicorn re-raises Ctrl-C after its graceful shutdown; for us that is a clean exit.
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--kind", type=KIND, help="Kind of every record (else each must carry `kind`).")
@click.option("--from-errors", is_flag=True, help="Replay the `raw` records of errors/ files.")
@click.pass_context
def ingest(
    ctx: click.Context, paths: tuple[Path, ...], kind: Kind | None, from_errors: bool
) -> None:
    """Backfill NDJSON files (plain or .gz; directories too) through the transform.

    Refused lines go to errors/ingest/<reason>/ and are counted in the summary; they do not
    make the exit status non-zero (`--from-errors` replays them after a fix).
    """
    from observability.ingest import Backfill, input_files

    settings = cli_context(ctx).settings()
    store = cli_context(ctx).store(settings)
    files = input_files(paths)
    backfill = Backfill(store, Metrics(), kind, from_errors=from_errors)
    console = Console(stderr=True)
    columns = (
        TextColumn("ingest"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("ingest", total=sum(f.stat().st_size for f in files))
        summary = backfill.run(files, lambda n: progress.advance(task, n))
    table = Table(title=f"ingested into {store.url}")
    table.add_column("outcome")
    table.add_column("count", justify="right")
    table.add_row("accepted", str(summary.accepted))
    for reason, count in sorted(summary.rejected.items()):
        table.add_row(f"rejected: {reason}", str(count))
    table.add_row("data files written", str(len(summary.files)))
    table.add_row("errors/ files written", str(len(summary.error_files)))
    stdout_console().print(table)


@main.command()
@click.option(
    "--kind",
    "kinds",
    type=KIND,
    multiple=True,
    help="logs, predictions or labels (repeatable; default all).",
)
@click.option("--hour", help="One hour, e.g. 2026-11-23T13 (UTC).")
@click.option("--since", help="6h, 2d, 2026-11-23T00 or 2026-11-23: every hour since then.")
@click.pass_context
def compact(
    ctx: click.Context, kinds: tuple[Kind, ...], hour: str | None, since: str | None
) -> None:
    """Rewrite hours of gzip NDJSON into one zstd Parquet file per partition."""
    from observability.analyze.sketch_store import SketchWriter
    from observability.store.compaction import Compactor

    if (hour is None) == (since is None):
        raise click.UsageError("give exactly one of --hour or --since")
    try:
        if hour is not None:
            start = end = parse_hour(hour)
        else:
            start, end = parse_since(since or "", datetime.now(UTC)), None
    except ValueError as exc:
        flag = "--hour" if hour is not None else "--since"
        raise click.BadParameter(str(exc), param_hint=flag) from None
    settings = cli_context(ctx).settings()
    store = cli_context(ctx).store(settings)
    # Models with stored bins get their hourly feature sketches written as hours compact.
    compactor = Compactor(store, Metrics(), on_compacted=SketchWriter(store))
    found = compactor.find(kinds or list(Kind), start, end)
    table = Table(title=f"compacted in {store.url}")
    table.add_column("partition", overflow="fold")
    table.add_column("sources", justify="right")
    table.add_column("rows", justify="right")
    table.add_column("rejected", justify="right")
    table.add_column("status")
    rows = seconds = 0.0
    with Progress(
        TextColumn("compact"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("compact", total=len(found))
        for partition, sources in found.items():
            result = compactor.compact(partition, sources)
            rows, seconds = rows + result.rows, seconds + result.seconds
            status = "up to date" if result.skipped else "written"
            table.add_row(
                partition.prefix,
                str(result.sources),
                str(result.rows),
                str(result.rejected),
                status,
            )
            progress.advance(task)
    console = stdout_console()
    if not found:
        console.print("nothing to compact in that range")
        return
    console.print(table)
    if seconds:
        console.print(f"{int(rows)} rows in {seconds:.2f} s ({rows / seconds:,.0f} rows/s)")


@main.command()
@click.option("--minutes", type=click.FloatRange(0.5, 60), default=5.0, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True)
@click.pass_context
def demo(ctx: click.Context, minutes: float, seed: int) -> None:
    """Start a collector on a temporary store, send sample data, show where it landed."""
    from observability.demo import render_report, run_demo

    root = cli_context(ctx)
    workdir = Path(tempfile.mkdtemp(prefix="observability-demo-"))
    store_url = root.store_url or (workdir / "store").as_uri()
    settings = CliContext(store_url, root.config).settings(state_dir=workdir / "state")
    store = root.store(settings)
    console = stdout_console()
    with console.status("running the demo") as status:
        report = run_demo(settings, store, minutes=minutes, seed=seed, on_step=status.update)
    console.print(render_report(report))
    if not report.complete:
        raise ObservabilityError("the demo's records did not all land where expected (see above)")
    _demo_questions(settings, store, console)


def _demo_questions(settings: Settings, store: ObjectStore, console: Console) -> None:
    """What an SRE asks next, on the demo's data: SQL over the store, then a search."""
    from observability.commands.query import print_result
    from observability.commands.search_query import print_hits
    from observability.query.factory import open_engine
    from observability.query.library import NAMED
    from observability.search.backend import open_search
    from observability.search.request import SearchRequest

    where = f"--store-url {store.url}"
    console.rule(f"observability {where} query --named error-rate --since 24h")
    engine = open_engine(settings, store)
    try:
        print_result(NAMED["error-rate"].run(engine, {"since": "24h"}), "table")
    finally:
        engine.close()
    console.rule(f'observability {where} search "level:error AND service:checkout" --since 24h')
    backend = open_search(settings, store)
    try:
        request = SearchRequest.build("level:error AND service:checkout", since="24h", size=5)
        print_hits(backend.search(request), "table")
    finally:
        backend.close()


_RELATIVE_RE: Final = re.compile(r"(\d+)\s*([hd])")


main.add_command(catalog)
main.add_command(query)
main.add_command(search)
main.add_command(drift)


def parse_hour(text: str) -> datetime:
    """`2026-11-23T13` (or a full RFC 3339 time) -> that hour, UTC; ValueError otherwise."""
    value = text.strip()
    if len(value) == 13 and value[10] in "T ":
        value += ":00"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def parse_since(text: str, now: datetime) -> datetime:
    """`6h`, `2d`, `2026-11-23T00` or `2026-11-23` -> the first hour to include, UTC."""
    relative = _RELATIVE_RE.fullmatch(text.strip())
    if relative:
        amount, unit = int(relative.group(1)), relative.group(2)
        delta = timedelta(hours=amount) if unit == "h" else timedelta(days=amount)
        return (now - delta).astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    if len(text.strip()) == 10:
        return parse_hour(text.strip() + "T00")
    return parse_hour(text)
