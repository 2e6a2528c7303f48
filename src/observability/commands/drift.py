"""`observability drift run|backfill`: the drift job from the command line.

`--models` (or `OBSERVABILITY_MODELS_CONFIG`, default `models.yaml`) names the models file.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table

from observability.commands.common import cli_context, stdout_console

if TYPE_CHECKING:  # Evidently and pandas load only when a drift command runs
    from observability.analyze.job import DriftJob
    from observability.analyze.results import DriftResult

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


@drift.command("run")
@click.option("--model", "model_name", required=True, help="A model of models.yaml.")
@click.option("--window", required=True, help="START/END, e.g. 2026-11-01T00:00/2026-11-02T00:00")
@_models_option
@click.pass_context
def run(ctx: click.Context, model_name: str, window: str, models_path: Path | None) -> None:
    """Compute one window, store its reports and metric rows (a re-run replaces them)."""
    from observability.analyze.config import parse_window

    try:
        start, end = parse_window(window)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--window") from None
    job = _job(ctx, models_path)
    with Console(stderr=True).status(f"drift {model_name}") as status:
        result = job.run(model_name, start, end, lambda step: status.update(f"drift: {step}"))
    _print([result])


@drift.command("backfill")
@click.option("--since", default="7d", show_default=True, help="6h, 7d or a date/hour.")
@_models_option
@click.pass_context
def backfill(ctx: click.Context, since: str, models_path: Path | None) -> None:
    """Re-run windows since then whose labels arrived after their last run."""
    from observability.cli import parse_since

    try:
        first = parse_since(since, datetime.now(UTC))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    job = _job(ctx, models_path)
    with Console(stderr=True).status("drift backfill") as status:
        results = job.backfill(first, lambda step: status.update(f"backfill: {step}"))
    if not results:
        stdout_console().print("no window has new labels")
        return
    _print(results)


def _job(ctx: click.Context, models_path: Path | None) -> DriftJob:
    from observability.analyze.config import load_models
    from observability.analyze.job import DriftJob
    from observability.analyze.loader import s3_reader
    from observability.core.aws import AwsClients
    from observability.query.factory import open_engine

    root = cli_context(ctx)
    settings = root.settings()
    store = root.store(settings)
    models = load_models(models_path or settings.models_config)
    aws = AwsClients(settings)
    engine = open_engine(settings, store)
    return DriftJob(store, engine, models, s3_reader=s3_reader(aws.s3))


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
