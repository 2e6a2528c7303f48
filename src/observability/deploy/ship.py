"""`observability deploy`: render, upload and deploy, in two steps a test can come between.

`prepare` reads everything local and checks it (the stack name, the models and alert
rules files, the package directory, the parameters) before anything is sent; `publish`
uploads the artifacts and the rendered template to the artifact bucket and deploys the
stack through a change set.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from observability.alerting.config import load_alerts
from observability.analyze.config import ModelConfig, load_models
from observability.deploy.artifacts import (
    PACKAGED_MODELS,
    TEMPLATE,
    Artifact,
    PackageError,
    collect,
    upload,
)
from observability.deploy.cfn import load_template
from observability.deploy.render import render, to_json
from observability.deploy.stack import DeployResult, StackDeployer

#: Lower case (bucket-like names follow it) and short enough for `<stack>-search`, the
#: OpenSearch domain, to stay within 28 characters.
STACK_NAME: Final = re.compile(r"[a-z][a-z0-9-]{0,20}")
TEMPLATE_NAME: Final = "cloudformation.json"
#: Parameters the deploy command sets itself.
_MANAGED: Final = frozenset({"ArtifactBucket", "DriftImageUri"})


class DeployInputError(PackageError):
    """A deploy input (stack name, parameter, models or alerts file) is not usable."""


@dataclass(frozen=True)
class Prepared:
    """Everything a deploy sends, checked: the template, the files, the parameters."""

    stack: str
    artifact_bucket: str
    template: dict[str, Any]
    artifacts: list[Artifact]
    parameters: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def check_stack_name(name: str) -> str:
    """The stack name, or DeployInputError saying what is allowed."""
    if not STACK_NAME.fullmatch(name):
        raise DeployInputError(
            f"--stack {name!r}: use 1-21 lower-case letters, digits and '-', starting with a "
            "letter (the OpenSearch domain is named <stack>-search)"
        )
    return name


def prepare(
    stack: str,
    artifact_bucket: str,
    package_dir: Path,
    *,
    models: Path | None = None,
    alerts: Path | None = None,
    database: str = "observability",
    drift_image: str = "",
    parameters: Mapping[str, str] | None = None,
) -> Prepared:
    """Check the inputs and render the template; nothing is sent yet."""
    check_stack_name(stack)
    notes: list[str] = []
    packaged = package_dir / PACKAGED_MODELS
    chosen = models if models is not None else (packaged if packaged.is_file() else None)
    model_configs: dict[str, ModelConfig] = {} if chosen is None else load_models(chosen)
    if (
        models is not None
        and drift_image
        and packaged.is_file()
        and (packaged.read_bytes() != models.read_bytes())
    ):
        notes.append(
            f"warning: {models} differs from the models file the drift image context was "
            f"packaged with ({packaged}); rebuild the image after `make package MODELS={models}`"
        )
    alert_rules = None
    if alerts is not None:
        load_alerts(alerts)  # a broken rules file stops here, not in the Lambda
        alert_rules = alerts.read_bytes()
    template = render(load_template(package_dir / TEMPLATE), model_configs, database)
    known = set(template.get("Parameters", {}))
    extra = dict(parameters or {})
    unknown = sorted(set(extra) - known)
    managed = sorted(set(extra) & _MANAGED)
    if unknown or managed:
        bad = ", ".join(unknown + managed)
        raise DeployInputError(
            f"--parameter {bad}: not a parameter you can set; choose from "
            f"{', '.join(sorted(known - _MANAGED))}"
        )
    values = {"ArtifactBucket": artifact_bucket, "DriftImageUri": drift_image, **extra}
    artifacts = collect(package_dir, alert_rules)
    return Prepared(stack, artifact_bucket, template, artifacts, values, notes)


def publish(
    prepared: Prepared,
    s3: Any,
    cloudformation: Any,
    *,
    on_event: Callable[[str], None] | None = None,
    poll_seconds: float = 5.0,
) -> DeployResult:
    """Upload the artifacts and the template, then create or update the stack."""
    keys = upload(s3, prepared.artifact_bucket, prepared.artifacts)
    template = Artifact(TEMPLATE_NAME, to_json(prepared.template))
    upload(s3, prepared.artifact_bucket, [template])
    # CloudFormation reads templates from S3 URLs only (moto parses the same form).
    region = s3.meta.region_name
    url = f"https://{prepared.artifact_bucket}.s3.{region}.amazonaws.com/{template.key()}"
    parameters = {**prepared.parameters, **keys}
    declared = set(prepared.template.get("Parameters", {}))
    deployer = StackDeployer(cloudformation, poll_seconds=poll_seconds, on_event=on_event)
    return deployer.deploy(
        prepared.stack, url, {k: v for k, v in parameters.items() if k in declared}
    )
