"""`observability deploy`: upload what `make package` built and create or update the stack."""

from __future__ import annotations

from pathlib import Path

import click

from observability.commands.common import cli_context, stdout_console
from observability.deploy.artifacts import PACKAGE_DIR
from observability.deploy.design import DEFAULT_OPENSEARCH_MODE, OPENSEARCH_MODES
from observability.deploy.ship import DeployInputError, prepare, publish

#: What the outputs mean to someone who just deployed, in the order they are printed.
_OUTPUT_ORDER = (
    "ApiUrl",
    "OpenSearchDashboards",
    "Bucket",
    "LogsStreamName",
    "PredictionsStreamName",
    "LabelsStreamName",
    "AlertsTopicArn",
    "AuthSecretArn",
    "GlueDatabaseName",
    "AthenaWorkGroup",
    "DeadLetterQueueUrl",
)


def _parameter(values: tuple[str, ...]) -> dict[str, str]:
    parsed: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise DeployInputError(f"--parameter {item!r}: expected Name=value")
        parsed[key] = value
    return parsed


@click.command()
@click.option("--stack", required=True, help="Stack name (lower case; 1-21 characters).")
@click.option("--bucket", required=True, help="Artifact bucket in the stack's region.")
@click.option(
    "--models",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="models.yaml: one drift schedule per model (default: the packaged one).",
)
@click.option(
    "--alerts",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="alerts.yaml: deploys the alert evaluator with these rules (default: none).",
)
@click.option("--drift-image", default="", help="ECR URI of the drift image (default: none).")
@click.option(
    "--opensearch",
    type=click.Choice(OPENSEARCH_MODES),
    help=f"Search tier (default for a new stack: {DEFAULT_OPENSEARCH_MODE}): none (the API "
    "searches through Athena), create (a domain with OpenSearch Dashboards), existing "
    "(--parameter OpenSearchEndpoint=... and OpenSearchDomainName=...). An existing stack "
    "on another tier needs it named.",
)
@click.option(
    "--package-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=PACKAGE_DIR,
    show_default=True,
    help="Where `make package` wrote the artifacts.",
)
@click.option(
    "--parameter",
    "parameters",
    multiple=True,
    help="Template parameter Name=value (repeatable), e.g. RetentionDays=730.",
)
@click.pass_context
def deploy(
    ctx: click.Context,
    *,
    stack: str,
    bucket: str,
    models: Path | None,
    alerts: Path | None,
    drift_image: str,
    opensearch: str | None,
    package_dir: Path,
    parameters: tuple[str, ...],
) -> None:
    """Upload the artifacts, deploy the stack through a change set, print its outputs."""
    runtime = cli_context(ctx).runtime()
    prepared = prepare(
        stack,
        bucket,
        package_dir,
        models=models,
        alerts=alerts,
        database=runtime.settings.glue_database,
        drift_image=drift_image,
        opensearch=opensearch,
        parameters=_parameter(parameters),
    )
    for note in prepared.notes:
        click.echo(note, err=True)
    result = publish(
        prepared,
        runtime.aws.client("s3"),
        runtime.aws.client("cloudformation"),
        on_event=lambda line: click.echo(line, err=True),
    )
    console = stdout_console()
    console.print(f"stack {result.stack}: {result.action}")
    ordered = [k for k in _OUTPUT_ORDER if k in result.outputs]
    ordered += sorted(set(result.outputs) - set(ordered))
    for key in ordered:
        console.print(f"{key:<22} {result.outputs[key]}", soft_wrap=True)
