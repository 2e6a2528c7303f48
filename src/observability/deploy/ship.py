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

from botocore.exceptions import ClientError

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
from observability.deploy.design import (
    DEFAULT_OPENSEARCH_MODE,
    DEFAULT_SEARCH_DAYS,
    OPENSEARCH_MODES,
    RETENTION_DAYS,
    standard_days,
)
from observability.deploy.render import render, to_json
from observability.deploy.stack import DeployResult, StackDeployer

#: Lower case (bucket-like names follow it) and short enough for `<stack>-search`, the
#: OpenSearch domain, to stay within 28 characters.
STACK_NAME: Final = re.compile(r"[a-z][a-z0-9-]{0,20}")
TEMPLATE_NAME: Final = "cloudformation.json"
#: Parameters the deploy command sets itself (from its own flags).
_MANAGED: Final = frozenset({"ArtifactBucket", "DriftImageUri", "OpenSearchMode"})
#: What `--opensearch existing` needs to be told.
_EXISTING_DOMAIN: Final = ("OpenSearchEndpoint", "OpenSearchDomainName")


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
    #: Whether `--opensearch` was given; if not, an existing stack's other tier is an error.
    search_tier_chosen: bool = True


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
    opensearch: str | None = None,
    parameters: Mapping[str, str] | None = None,
) -> Prepared:
    """Check the inputs and render the template; nothing is sent yet. `opensearch` None is
    the design's default tier (an existing stack on another tier is refused by `publish`)."""
    check_stack_name(stack)
    tier_chosen = opensearch is not None
    opensearch = DEFAULT_OPENSEARCH_MODE if opensearch is None else opensearch
    extra = dict(parameters or {})
    _check_search(opensearch, extra)
    search_days = _hot_window(extra)
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
    template = render(
        load_template(package_dir / TEMPLATE), model_configs, database, search_days=search_days
    )
    known = set(template.get("Parameters", {}))
    unknown = sorted(set(extra) - known)
    managed = sorted(set(extra) & _MANAGED)
    if unknown or managed:
        bad = ", ".join(unknown + managed)
        raise DeployInputError(
            f"--parameter {bad}: not a parameter you can set (--bucket, --drift-image and "
            f"--opensearch set theirs); choose from {', '.join(sorted(known - _MANAGED))}"
        )
    values = {
        "ArtifactBucket": artifact_bucket,
        "DriftImageUri": drift_image,
        "OpenSearchMode": opensearch,
        **extra,
    }
    artifacts = collect(package_dir, alert_rules)
    return Prepared(stack, artifact_bucket, template, artifacts, values, notes, tier_chosen)


def _check_search(opensearch: str, parameters: Mapping[str, str]) -> None:
    """The search tier is known, and an existing domain is named."""
    if opensearch not in OPENSEARCH_MODES:
        raise DeployInputError(
            f"--opensearch {opensearch!r}: choose from {', '.join(OPENSEARCH_MODES)}"
        )
    missing = [name for name in _EXISTING_DOMAIN if not parameters.get(name)]
    if opensearch == "existing" and missing:
        raise DeployInputError(
            "--opensearch existing needs "
            + " and ".join(f"--parameter {name}=..." for name in missing)
        )


def _whole_days(parameters: Mapping[str, str], name: str, default: int) -> int:
    value = parameters.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise DeployInputError(f"--parameter {name}={value!r}: expected whole days") from None


def _hot_window(parameters: Mapping[str, str]) -> int:
    """SearchDays (the rendered Parquet transition depends on it), checked against retention:
    S3 refuses a rule whose expiration does not come after its transition."""
    search_days = _whole_days(parameters, "SearchDays", DEFAULT_SEARCH_DAYS)
    if search_days < 1:
        raise DeployInputError(f"--parameter SearchDays={search_days}: at least 1 day")
    retention = _whole_days(parameters, "RetentionDays", RETENTION_DAYS)
    if retention <= standard_days(search_days):
        raise DeployInputError(
            f"--parameter RetentionDays={retention}: must exceed the {standard_days(search_days)} "
            "days compacted Parquet stays in S3 Standard (SearchDays, at least 30)"
        )
    return search_days


def _keep_search_tier(cloudformation: Any, stack: str, default: str) -> None:
    """Refuse to switch an existing stack's search tier (and delete or orphan its domain)
    unless `--opensearch` asked for it."""
    try:
        described = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except ClientError as exc:
        if "does not exist" in str(exc):
            return
        raise
    current = {
        p["ParameterKey"]: p.get("ParameterValue", "")
        for stack_info in described
        for p in stack_info.get("Parameters", [])
    }.get("OpenSearchMode", default)
    if current != default:
        raise DeployInputError(
            f"stack {stack} has OpenSearchMode={current}; pass --opensearch {current} to keep "
            f"it or --opensearch {default} to change the search tier (the default is {default})"
        )


def publish(
    prepared: Prepared,
    s3: Any,
    cloudformation: Any,
    *,
    on_event: Callable[[str], None] | None = None,
    poll_seconds: float = 5.0,
) -> DeployResult:
    """Upload the artifacts and the template, then create or update the stack."""
    if not prepared.search_tier_chosen:
        _keep_search_tier(cloudformation, prepared.stack, prepared.parameters["OpenSearchMode"])
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
