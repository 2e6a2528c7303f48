"""The `observability` console script: serve, worker, ingest, compact, demo, and the groups.

This is a composition root: settings are read here (`Settings.from_env(os.environ, ...)`,
explicit flags win) and the process's one `Runtime` is built from them, then passed down.
Every expected failure (a bad flag, a missing file, any `ObservabilityError`, an AWS or
I/O error, an optional extra that is not installed) ends as one `error: ...` line on
stderr with exit status 2 for usage and 1 for everything else; a traceback means a bug.
Commands whose modules need an extra are imported only when they are asked for, so the
SDK alone (`pip install observability`) still runs `observability --help`.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import sys
from collections.abc import Mapping, Sequence
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

from observability.commands.common import KIND, CliContext, cli_context, stdout_console
from observability.commands.times import DURATION, TIME
from observability.core.errors import ObservabilityError
from observability.core.schema import Kind
from observability.core.settings import PREFIX
from observability.core.times import HELP, floor_day, floor_hour
from observability.extras import MissingExtraError, missing_extra
from observability.runtime import Runtime

USAGE_EXIT: Final = 2
RUNTIME_EXIT: Final = 1
_KIND_NAMES: Final = ("log", "logs", "prediction", "predictions", "label", "labels")

#: Command groups in modules of their own, imported when asked for: name -> module:attribute.
LAZY_COMMANDS: Final[Mapping[str, str]] = {
    "catalog": "observability.commands.catalog:catalog",
    "query": "observability.commands.query:query",
    "search": "observability.commands.search:search",
    "drift": "observability.commands.drift:drift",
    "keys": "observability.commands.keys:keys",
    "alerts": "observability.commands.alerts:alerts",
    "deploy": "observability.commands.deploy:deploy",
    "cost": "observability.commands.cost:cost",
}


class _Cli(click.Group):
    """A group whose every failure is one readable line and an exit status."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = LAZY_COMMANDS.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module, _, attribute = target.partition(":")
        try:
            command: click.Command = getattr(importlib.import_module(module), attribute)
        except ImportError as exc:
            error = missing_extra(exc, f"`observability {cmd_name}`")
            if error is None:
                raise
            return _needs_extra(cmd_name, error)
        return command

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> NoReturn:
        try:
            self._run(args, prog_name, complete_var, **extra)
        finally:
            # The objects left at exit are the OS's to free: the interpreter's last cyclic
            # collections over Evidently's, scipy's and sklearn's modules took 1.3 s of a
            # drift run's exit. Cycles with finalizers that matter (temporary
            # directories, flushes) run from atexit, which this does not skip.
            gc.freeze()

    def _run(
        self,
        args: Sequence[str] | None,
        prog_name: str | None,
        complete_var: str | None,
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
        except ImportError as exc:
            error = missing_extra(exc)
            if error is None:
                raise
            _fail(str(error), RUNTIME_EXIT)
        except OSError as exc:
            _fail(_os_message(exc), RUNTIME_EXIT)
        sys.exit(result if isinstance(result, int) else 0)


def _needs_extra(name: str, error: MissingExtraError) -> click.Command:
    """A stand-in for a command whose extra is missing: it says which, and exits 1."""

    def refuse() -> None:
        raise error

    return click.Command(
        name,
        callback=refuse,
        help=f"(needs observability[{error.extra}]) {error}",
        short_help=f"(needs observability[{error.extra}])",
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
        add_help_option=False,
    )


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
@click.option(
    "--role",
    "roles",
    multiple=True,
    help="collector, api, worker: the parts to run (repeatable or comma-separated; "
    "default all three, the local mode).",
)
@click.option(
    "--insecure-no-auth",
    is_flag=True,
    help="Serve a non-loopback address although no API key exists (warned at every start).",
)
@click.pass_context
def serve(
    ctx: click.Context,
    host: str | None,
    port: int | None,
    roles: tuple[str, ...],
    insecure_no_auth: bool,
) -> None:
    """Run the service until interrupted: ingest (collector), the API and the worker."""
    from observability.auth.exposure import check_exposure
    from observability.service.roles import parse_roles

    chosen = parse_roles(roles) if roles else None
    runtime = cli_context(ctx).runtime(
        serving=True,
        host=host,
        port=port,
        roles=tuple(sorted(chosen)) if chosen else None,
        insecure_no_auth=insecure_no_auth or None,
    )
    check_exposure(runtime.settings, runtime.store)
    from observability.service.app import create_app
    from observability.service.server import run_server

    run_server(create_app(runtime, parse_roles(runtime.settings.roles)), runtime.settings)


@main.command()
@click.option("--once", is_flag=True, help="Run one tick of every job, then exit.")
@click.pass_context
def worker(ctx: click.Context, once: bool) -> None:
    """Run the scheduled jobs alone (drift per model's cron, compaction of closed hours).

    Each job and target holds a lease in the store, so several workers can share one store;
    SIGTERM or Ctrl-C stops after the running job.
    """
    from observability.worker import build_worker

    runtime = cli_context(ctx).runtime()
    job_worker = build_worker(runtime)
    if once:
        job_worker.tick()
        return
    with contextlib.suppress(KeyboardInterrupt):
        job_worker.run_forever()


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

    runtime = cli_context(ctx).runtime()
    store = runtime.store
    files = input_files(paths)
    backfill = Backfill(store, runtime.metrics, kind, from_errors=from_errors)
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
@click.option("--hour", type=TIME, help=f"The hour holding this time, e.g. 2026-11-23T13. {HELP}")
@click.option("--since", type=TIME, help="Every hour since the one holding this time: 6h, 2d, ...")
@click.pass_context
def compact(
    ctx: click.Context, kinds: tuple[Kind, ...], hour: datetime | None, since: datetime | None
) -> None:
    """Rewrite hours of gzip NDJSON into one zstd Parquet file per partition; with --since,
    also roll each closed day's compacted hours up into one file."""
    from observability.analyze.sketch_store import SketchWriter
    from observability.store.compaction import Compactor, overlaps
    from observability.store.rollup import DayRollup, Rolled, closed_days

    chosen = hour or since
    if chosen is None or (hour is not None and since is not None):
        raise click.UsageError("give exactly one of --hour or --since")
    start = floor_hour(chosen)
    end = start if hour is not None else None
    runtime = cli_context(ctx).runtime()
    store = runtime.store
    # Models with stored bins get their hourly feature sketches written as hours compact.
    compactor = Compactor(store, runtime.metrics, on_compacted=SketchWriter(store))
    rollup = DayRollup(store, compactor, runtime.metrics)
    # Whole days, so a roll-up sees every hour of its day; only hours in range are compacted.
    listed = compactor.find(kinds or list(Kind), floor_day(start), end)
    found = {p: s for p, s in listed.items() if overlaps(p, start, end)}
    days = {} if hour is not None else closed_days(listed, datetime.now(UTC))
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
        task = progress.add_task("compact", total=len(found) + len(days))
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
        for day, hours in days.items():
            rolled = rollup.roll_up(day, hours)
            status = "up to date" if rolled.status is Rolled.CURRENT else rolled.status
            table.add_row(
                day.prefix,
                str(sum(map(len, hours.values()))),
                str(rolled.rows),
                "",
                f"day: {status}",
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
@click.option(
    "--live",
    is_flag=True,
    help="Run the local stack (collector, API and UI, worker) with live traffic from three "
    "services, an incident, two drifting models and alerts to a local webhook, printed here.",
)
@click.option(
    "--duration",
    type=DURATION,
    default="10m",
    show_default=True,
    help="How long --live runs (Ctrl-C ends it sooner). The release goes out a quarter of "
    "the way in; alerts follow one to two minutes later.",
)
@click.option(
    "--release-after",
    type=DURATION,
    default=None,
    help="With --live: when the bad release goes out (default: a quarter of --duration).",
)
@click.option("--keep", is_flag=True, help="Keep the temporary directory at exit.")
@click.option(
    "--summary",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="With --live: write what happened (alerts received, UI checks) as JSON at exit.",
)
@click.pass_context
def demo(  # noqa: PLR0917 - click passes each option as an argument
    ctx: click.Context,
    minutes: float,
    seed: int,
    live: bool,
    duration: timedelta,
    release_after: timedelta | None,
    keep: bool,
    summary: Path | None,
) -> None:
    """Start a collector on a temporary store, send sample data, show where it landed.

    With --live: the whole local stack with live traffic, drift and alerts. The temporary
    directory (store, configs, state) is removed at exit, Ctrl-C included, unless --keep.
    """
    from observability.demo import render_report, run_demo
    from observability.demo.workdir import demo_workdir

    if release_after is not None and release_after >= duration:
        raise click.BadParameter("must be shorter than --duration", param_hint="--release-after")
    root = cli_context(ctx)
    console = stdout_console()

    def said(path: Path, kept: bool) -> None:
        console.print(f"kept {path} (--keep)" if kept else f"removed {path}", soft_wrap=True)

    with contextlib.ExitStack() as stack:
        workdir = stack.enter_context(demo_workdir(keep=keep, on_exit=said))
        store_url = root.store_url or (workdir / "store").as_uri()
        settings = CliContext(store_url, root.config).settings(state_dir=workdir / "state")
        if live:
            from observability.demo.live import render_summary, run_live

            report = run_live(
                settings,
                workdir,
                console,
                duration=duration,
                seed=seed,
                release_after=release_after,
                summary=summary,
            )
            console.print(render_summary(report))
            return
        runtime = stack.enter_context(Runtime(settings))
        with console.status("running the demo") as status:
            finite = run_demo(runtime, minutes=minutes, seed=seed, on_step=status.update)
        console.print(render_report(finite))
        if not finite.complete:
            raise ObservabilityError(
                "the demo's records did not all land where expected (see above)"
            )
        _demo_questions(runtime, console)


def _demo_questions(runtime: Runtime, console: Console) -> None:
    """What an SRE asks next, on the demo's data: SQL over the store, then a search."""
    from observability.commands.query import print_result
    from observability.commands.search_query import print_hits
    from observability.query.library import NAMED
    from observability.search.request import SearchRequest

    where = f"--store-url {runtime.store.url}"
    console.rule(f"observability {where} query --named error-rate --since 24h")
    print_result(NAMED["error-rate"].run(runtime.query_engine(), {"since": "24h"}), "table")
    console.rule(f'observability {where} search "level:error AND service:checkout" --since 24h')
    request = SearchRequest.build("level:error AND service:checkout", since="24h", size=5)
    print_hits(runtime.search_backend().search(request), "table")
