"""The deploy command's own code path creates moto's part of the stack through a change set."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from tests.deploy.subset import moto_subset

from observability.core.aws import AwsClients
from observability.deploy.ship import DeployInputError, prepare, publish

pytestmark = pytest.mark.aws

ROOT = Path(__file__).resolve().parents[2]


def test_moto_deploys_its_part_and_names_the_rest(
    aws: AwsClients, packaged: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bucket, IAM, functions, rules, topic and queue are created; the rest is listed."""
    s3 = aws.client("s3")
    s3.create_bucket(Bucket="artifacts")
    prepared = prepare(
        "obs",
        "artifacts",
        packaged,
        alerts=ROOT / "alerts.example.yaml",
        parameters={"RetentionDays": "400"},
    )
    subset = moto_subset(prepared.template)
    with capsys.disabled():
        print(
            "\ndeployed on moto:", ", ".join(f"{n} ({t})" for n, t in sorted(subset.kept.items()))
        )
        print("left to cfn-lint and checkov:")
        for name, why in sorted(subset.dropped.items()):
            print(f"  {name}: {why}")
    events: list[str] = []
    result = publish(
        dataclasses.replace(prepared, template=subset.template),
        s3,
        aws.client("cloudformation"),
        on_event=events.append,
        poll_seconds=0.2,
    )
    assert result.action == "created"
    assert any("CREATE_COMPLETE" in line for line in events)
    kinds = set(subset.kept.values())
    assert {
        "AWS::S3::Bucket",
        "AWS::IAM::Role",
        "AWS::Lambda::Function",
        "AWS::Events::Rule",
        "AWS::SNS::Topic",
        "AWS::SQS::Queue",
    } <= kinds
    assert "AWS::KinesisFirehose::DeliveryStream" not in kinds  # left to the linters
    bucket = aws.client("cloudformation").describe_stack_resource(
        StackName="obs", LogicalResourceId="DataBucket"
    )["StackResourceDetail"]["PhysicalResourceId"]
    # moto's CloudFormation creates the bucket but ignores its lifecycle rules; those are
    # checked on the rendered template (tests/test_deploy_template.py) and by the linters.
    s3.head_bucket(Bucket=bucket)
    functions = {f["FunctionName"] for f in aws.client("lambda").list_functions()["Functions"]}
    assert {"obs-transform", "obs-registrar"} <= functions  # the rest need HttpApi or Glue
    # The default design searches through Athena: no OpenSearch domain.
    assert prepared.parameters["OpenSearchMode"] == "none"
    pattern = aws.client("events").describe_rule(Name=_rule_name(aws, "Registrar"))["EventPattern"]
    assert '"prefix": "logs/"' in pattern.replace('":"', '": "')
    again = publish(prepared_with(prepared, subset.template), s3, aws.client("cloudformation"))
    assert again.action in ("unchanged", "updated")


def prepared_with(prepared: Any, template: dict[str, Any]) -> Any:
    """The same deploy with another template (the subset)."""
    return dataclasses.replace(prepared, template=template)


def _rule_name(aws: AwsClients, logical: str) -> str:
    names = [r["Name"] for r in aws.client("events").list_rules()["Rules"]]
    return next(name for name in names if logical in name)


def test_redeploy_without_opensearch_keeps_a_domain_stack_safe(
    aws: AwsClients, packaged: Path
) -> None:
    """A stack deployed with `--opensearch create` is not switched to the default tier (and
    its domain deleted) by a deploy that does not name the tier; naming it proceeds."""
    s3, cloudformation = aws.client("s3"), aws.client("cloudformation")
    s3.create_bucket(Bucket="artifacts-search")
    chosen = prepare("obs-search", "artifacts-search", packaged, opensearch="create")
    subset = moto_subset(chosen.template).template
    assert (
        publish(prepared_with(chosen, subset), s3, cloudformation, poll_seconds=0.2).action
        == "created"
    )
    unnamed = prepare("obs-search", "artifacts-search", packaged)
    with pytest.raises(DeployInputError, match="--opensearch create to keep it"):
        publish(prepared_with(unnamed, subset), s3, cloudformation, poll_seconds=0.2)
    again = publish(prepared_with(chosen, subset), s3, cloudformation, poll_seconds=0.2)
    assert again.action in ("unchanged", "updated")
