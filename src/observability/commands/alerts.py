"""`observability alerts check|eval|silence`: alert rules, one evaluation pass, silences.

`--file` (or `OBSERVABILITY_ALERTS_CONFIG`, default `alerts.yaml`) names the rules file.
"""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click
import orjson
from rich.table import Table

from observability.commands.common import cli_context, stdout_console
from observability.commands.times import TIME, command_now
from observability.core.times import DURATION_HELP, HELP, TimeGrammarError, parse_duration

if TYPE_CHECKING:
    from observability.alerting.config import AlertsConfig
    from observability.alerting.evaluator import EvalResult
    from observability.alerting.silences import Silence

_FORMAT = click.option(
    "--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True
)


@click.group()
def alerts() -> None:
    """Alert rules (alerts.yaml), evaluation and silences."""


@alerts.command("check")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def check(ctx: click.Context, path: Path | None) -> None:
    """Validate an alerts file (default: $OBSERVABILITY_ALERTS_CONFIG, else ./alerts.yaml)."""
    from observability.alerting.config import format_duration

    config = _load(ctx, path)
    table = Table(title=f"{config.origin}: ok")
    for column in ("group", "interval", "rule", "source", "condition", "for", "severity"):
        table.add_column(column)
    for group in config.groups:
        for rule in group.rules:
            table.add_row(
                group.name,
                format_duration(group.interval),
                rule.name,
                type(rule.source).__name__.removesuffix("Source").lower(),
                "" if rule.condition is None else str(rule.condition),
                format_duration(rule.for_),
                rule.severity.value,
            )
    console = stdout_console()
    console.print(table)
    console.print(
        f"{len(config.groups)} group(s), {len(config.rules)} rule(s), "
        f"{len(config.receivers)} receiver(s); error and nodata alerts go to "
        f"{config.pipeline_receiver}"
    )


@alerts.command("eval")
@click.option("--file", "path", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--group", "groups", multiple=True, help="Only this rule group (repeatable).")
@click.option("--dry-run", is_flag=True, help="Change nothing, send nothing: say what would.")
@_FORMAT
@click.pass_context
def evaluate(
    ctx: click.Context, path: Path | None, groups: tuple[str, ...], dry_run: bool, output: str
) -> None:
    """Run one evaluation pass of every rule group now; print what changed and was sent."""
    from observability.alerting.evaluator import AlertEvaluator

    config = _load(ctx, path)
    runtime = cli_context(ctx).runtime()
    try:
        evaluator = AlertEvaluator.from_runtime(runtime, config)
        result = evaluator.evaluate(
            command_now(ctx), groups=groups or None, force=True, dry_run=dry_run
        )
    finally:
        cli_context(ctx).close()
    if output == "json":
        sys.stdout.write(orjson.dumps(result.summary()).decode() + "\n")
        return
    _print_result(result)


@alerts.group("silence")
def silence() -> None:
    """Mute alerts matching label matchers for a while."""


@silence.command("add")
@click.option(
    "--matcher",
    "-m",
    "matchers",
    multiple=True,
    required=True,
    help='A label matcher: name="value", name!="value", name=~"regex" or name!~"regex".',
)
@click.option("--duration", default=None, help=f"How long, from the start. {DURATION_HELP}")
@click.option("--start", "starts", type=TIME, default=None, help=f"Start (default: now). {HELP}")
@click.option("--end", "ends", type=TIME, default=None, help=f"End (or --duration). {HELP}")
@click.option("--author", default=None, help="Who silences (default: $USER).")
@click.option("--comment", required=True, help="Why: the incident, the change, the ticket.")
@click.pass_context
def silence_add(  # noqa: PLR0917 - click passes each option as an argument
    ctx: click.Context,
    matchers: tuple[str, ...],
    duration: str | None,
    starts: datetime | None,
    ends: datetime | None,
    author: str | None,
    comment: str,
) -> None:
    """Create a silence; prints its id."""
    from observability.alerting.silences import SilenceStore, new_silence

    now = command_now(ctx)
    start = starts or now
    if (duration is None) == (ends is None):
        raise click.UsageError("give --duration or --end")
    if duration is not None:
        try:
            ends = start + parse_duration(duration)
        except TimeGrammarError as exc:
            raise click.BadParameter(str(exc), param_hint="--duration") from None
    assert ends is not None
    who = author or os.environ.get("USER") or ""
    made = new_silence(
        matchers, starts_at=start, ends_at=ends, created_by=who, comment=comment, now=now
    )
    store = SilenceStore(cli_context(ctx).runtime().store)
    store.add(made)
    stdout_console().print(made.id)


@silence.command("list")
@click.option("--all", "show_all", is_flag=True, help="Expired silences too.")
@_FORMAT
@click.pass_context
def silence_list(ctx: click.Context, show_all: bool, output: str) -> None:
    """Active and pending silences (with --all, expired ones too)."""
    from observability.alerting.silences import SilenceState, SilenceStore

    now = command_now(ctx)
    found = [
        s
        for s in SilenceStore(cli_context(ctx).runtime().store).all()
        if show_all or s.state(now) is not SilenceState.EXPIRED
    ]
    if output == "json":
        rows = [{**s.to_dict(), "state": s.state(now).value} for s in found]
        sys.stdout.write(orjson.dumps(rows).decode() + "\n")
        return
    _print_silences(found, now)


@silence.command("expire")
@click.argument("silence_id")
@click.pass_context
def silence_expire(ctx: click.Context, silence_id: str) -> None:
    """End a silence now; the alerts it muted notify again after group_interval."""
    from observability.alerting.silences import SilenceStore

    now = command_now(ctx)
    ended = SilenceStore(cli_context(ctx).runtime().store).expire(silence_id, now)
    stdout_console().print(f"{ended.id} expired at {ended.ends_at.isoformat()}")


def _load(ctx: click.Context, path: Path | None) -> AlertsConfig:
    from observability.alerting.config import load_alerts

    return load_alerts(path or cli_context(ctx).settings().alerts_config)


def _print_result(result: EvalResult) -> None:
    console = stdout_console()
    mode = " (dry run: nothing stored, nothing sent)" if result.dry_run else ""
    console.print(f"evaluated {', '.join(result.evaluated) or 'nothing'} at {result.now}{mode}")
    for group, why in result.skipped.items():
        console.print(f"skipped {group}: {why}")
    rules = Table(title="rules")
    for column in ("rule", "status", "label sets", "breached", "seconds", "error"):
        rules.add_column(column)
    for rule in result.rules:
        rules.add_row(
            rule.rule,
            rule.status,
            str(rule.samples),
            str(rule.breached),
            f"{rule.seconds:.2f}",
            rule.error or "",
        )
    console.print(rules)
    verb = "would change" if result.dry_run else "changed"
    console.print(f"{len(result.transitions)} alert(s) {verb}:")
    for transition in result.transitions:
        console.print(f"  {transition}", markup=False)
    deliveries = result.dispatch.deliveries
    console.print(f"{len(deliveries)} notification(s):")
    for delivery in deliveries:
        console.print(f"  {delivery}", markup=False)
    for muted in result.dispatch.muted:
        console.print(f"  muted {muted.fingerprint}: {muted.reason}", markup=False)


def _print_silences(found: list[Silence], now: datetime) -> None:
    table = Table(title="silences")
    for column in ("id", "state", "matchers", "starts", "ends", "by", "comment"):
        table.add_column(column, overflow="fold")
    for s in found:
        table.add_row(
            s.id,
            s.state(now).value,
            ", ".join(str(m) for m in s.matchers),
            s.starts_at.isoformat(),
            s.ends_at.isoformat(),
            s.created_by,
            s.comment,
        )
    stdout_console().print(table)
