"""`observability drift run|backfill`: the drift job from the command line.

`--models` (or `OBSERVABILITY_MODELS_CONFIG`, default `models.yaml`) names the models file.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

import click
from rich.console import Console
from rich.table import Table

from observability.commands.common import cli_context, stdout_console
from observability.commands.times import TIME, WINDOW
from observability.core.times import HELP
from observability.extras import require_extra

if TYPE_CHECKING:  # Evidently and pandas load only when a drift command runs
    from observability.analyze.job import DriftJob
    from observability.analyze.results import DriftResult

#: `drift run --fail-on-drift` exits with this when a feature drifted (1 and 2 are errors).
DRIFT_EXIT: Final = 3

_models_option = click.option(
    "--models",
    "models_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="models.yaml (default: $OBSERVABILITY_MODELS_CONFIG, else ./models.yaml).",
)


@click.group()
def drift() -> None:
    """Drift reports and per-feature metrics per model and window."""
    require_extra("drift", "`observability drift`")


@drift.command("run")
@click.option("--model", "model_name", required=True, help="A model of models.yaml.")
@click.option(
    "--window",
    type=WINDOW,
    required=True,
    help=f"START/END, the half-open [START, END), e.g. 2026-11-01/2026-11-02 or 2h/1h. {HELP}",
)
@click.option(
    "--fail-on-drift",
    is_flag=True,
    help=f"Exit {DRIFT_EXIT} when a feature drifted (for CI pipelines); results are stored first.",
)
@_models_option
@click.pass_context
def run(
    ctx: click.Context,
    model_name: str,
    window: tuple[datetime, datetime],
    fail_on_drift: bool,
    models_path: Path | None,
) -> None:
    """Compute one window, store its reports and metric rows (a re-run replaces them)."""
    start, end = window
    job = _job(ctx, models_path)
    with Console(stderr=True).status(f"drift {model_name}") as status:
        result = job.run(model_name, start, end, lambda step: status.update(f"drift: {step}"))
    _print([result])
    if fail_on_drift and result.drifted:
        click.echo(f"drift: {model_name}: {', '.join(result.drifted)} drifted", err=True)
        ctx.exit(DRIFT_EXIT)


@drift.command("backfill")
@click.option(
    "--since",
    type=TIME,
    default="7d",
    show_default=True,
    help=f"Windows starting at or after this time. {HELP}",
)
@_models_option
@click.pass_context
def backfill(ctx: click.Context, since: datetime, models_path: Path | None) -> None:
    """Re-run windows since then whose labels arrived after their last run."""
    job = _job(ctx, models_path)
    with Console(stderr=True).status("drift backfill") as status:
        results = job.backfill(since, lambda step: status.update(f"backfill: {step}"))
    if not results:
        stdout_console().print("no window has new labels")
        return
    _print(results)


@drift.command("export-evidently")
@click.option(
    "--workspace",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="An Evidently workspace directory (created when missing); "
    "`evidently ui --workspace DIR` shows it.",
)
@click.option(
    "--model",
    "model_name",
    default=None,
    help="Only this model (default: every model with stored reports).",
)
@click.pass_context
def export_evidently(ctx: click.Context, workspace: Path, model_name: str | None) -> None:
    """Write the stored Evidently snapshots into a workspace, one project per model.

    Exporting again replaces the runs and dashboard tab it wrote; nothing is duplicated.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from observability.analyze.export import export_workspace, stored_snapshots

    store = cli_context(ctx).runtime().store
    found = stored_snapshots(store, model_name)
    columns = (TextColumn("exporting {task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("snapshots", total=sum(map(len, found.values())))
        results = export_workspace(store, workspace, found, lambda _item: bar.advance(task))
    table = Table(title=f"Evidently workspace {workspace}")
    for column in ("model", "project", "runs", "removed", "skipped", "panels"):
        table.add_column(column)
    for result in results:
        table.add_row(
            result.model,
            str(result.project_id),
            str(result.written),
            str(result.removed),
            str(len(result.skipped)),
            str(len(result.panels)),
        )
    stdout_console().print(table)
    for result in results:
        for skipped in result.skipped:
            click.echo(f"skipped: {skipped}", err=True)


def _job(ctx: click.Context, models_path: Path | None) -> DriftJob:
    from observability.analyze.config import load_models
    from observability.analyze.job import DriftJob
    from observability.analyze.loader import s3_reader

    runtime = cli_context(ctx).runtime()
    models = load_models(models_path or runtime.settings.models_config)
    return DriftJob(
        runtime.store,
        runtime.query_engine(),
        models,
        s3_reader=s3_reader(runtime.aws.s3),
        metrics=runtime.metrics,
    )


def _print(results: list[DriftResult]) -> None:
    console = stdout_console()
    for result in results:
        table = Table(title=f"{result.model} {result.report_id}: {result.status.value}")
        for column in ("feature", "method", "score", "threshold", "drifted", "status", "n"):
            table.add_column(column)
        for f in result.features:
            score = "" if f.score is None else f"{f.score:.4g}"
            limit = "" if f.threshold is None else f"{f.threshold:g}"
            table.add_row(
                f.feature,
                f.method or "",
                score,
                limit,
                "yes" if f.drifted else "",
                f.status.value,
                str(f.n_current),
            )
        console.print(table)
