"""The CloudFormation template agrees with the code: prefixes, processor buffer, handler."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from observability.core.partitioning import firehose_prefix
from observability.core.schema import Kind

ROOT = Path(__file__).resolve().parents[1]


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that reads CloudFormation's short-form intrinsic functions as plain data."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node)
    else:
        value = loader.construct_mapping(node)  # type: ignore[arg-type]
    return {suffix: value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    """The parsed template."""
    text = (ROOT / "deploy" / "cloudformation.yaml").read_text()
    loaded: dict[str, Any] = yaml.load(text, Loader=_CfnLoader)  # noqa: S506 (SafeLoader subclass)
    return loaded


def _streams(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: res["Properties"]["ExtendedS3DestinationConfiguration"]
        for name, res in template["Resources"].items()
        if res["Type"] == "AWS::KinesisFirehose::DeliveryStream"
    }


def test_stream_prefixes_match_partitioning(template: dict[str, Any]) -> None:
    """Each stream's S3 prefix is exactly the partition rule's Firehose prefix for its kind."""
    streams = _streams(template)
    expected = {
        "LogsStream": Kind.LOG,
        "PredictionsStream": Kind.PREDICTION,
        "LabelsStream": Kind.LABEL,
    }
    assert set(streams) == set(expected)
    for name, kind in expected.items():
        assert streams[name]["Prefix"] == firehose_prefix(kind)
        assert streams[name]["ErrorOutputPrefix"].startswith("errors/firehose/")


def test_processor_buffer_keeps_responses_under_lambda_limit(template: dict[str, Any]) -> None:
    """The Lambda processor buffer is 1 MB, so the transform's response stays far below 6 MB."""
    for config in _streams(template).values():
        [processor] = config["ProcessingConfiguration"]["Processors"]
        params = {p["ParameterName"]: p["ParameterValue"] for p in processor["Parameters"]}
        assert params["BufferSizeInMBs"] == "1"
        assert config["DynamicPartitioningConfiguration"]["Enabled"] is True
        assert config["BufferingHints"]["SizeInMBs"] >= 64
        assert config["CompressionFormat"] == "GZIP"


def test_transform_function_points_at_the_handler(template: dict[str, Any]) -> None:
    """The function's handler exists in lambdas/ and its settings name the same streams."""
    function = template["Resources"]["TransformFunction"]["Properties"]
    module, _, func = function["Handler"].partition(".")
    handler_file = ROOT / "lambdas" / "firehose_transform" / f"{module}.py"
    assert handler_file.is_file()
    assert f"def {func}(" in handler_file.read_text()
    variables = function["Environment"]["Variables"]
    assert variables["OBSERVABILITY_STORE_URL"] == {"Sub": "s3://${BucketName}"}
    assert variables["OBSERVABILITY_FIREHOSE_STREAM_LOGS"] == {"Sub": "${StreamPrefix}-logs"}


def test_new_objects_register_partitions(template: dict[str, Any]) -> None:
    """Every data prefix notifies the partition registrar, whose handler exists."""
    notifications = template["Resources"]["DataBucket"]["Properties"]["NotificationConfiguration"]
    prefixes = {
        config["Filter"]["S3Key"]["Rules"][0]["Value"]
        for config in notifications["LambdaConfigurations"]
    }
    assert prefixes == {"logs/", "predictions/", "labels/", "compacted/", "metrics/drift/"}
    function = template["Resources"]["RegistrarFunction"]["Properties"]
    assert (ROOT / "lambdas" / "partition_registrar" / "handler.py").is_file()
    assert function["Environment"]["Variables"]["OBSERVABILITY_GLUE_DATABASE"] == {
        "Ref": "GlueDatabase"
    }


def test_compaction_job_runs_the_package_script_on_python_311(template: dict[str, Any]) -> None:
    """The Glue job runs glue/jobs/compact.py on Glue 5.0 (Python 3.11, as the package needs)."""
    job = template["Resources"]["CompactJob"]["Properties"]
    assert job["GlueVersion"] == "5.0"
    assert job["Command"]["Name"] == "glueetl"
    assert (ROOT / "glue" / "jobs" / "compact.py").is_file()
    assert job["DefaultArguments"]["--store_url"] == {"Sub": "s3://${BucketName}"}
