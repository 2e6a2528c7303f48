"""The rendered CloudFormation template agrees with the code: prefixes, buffers, handlers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from observability.analyze.config import load_models
from observability.analyze.cron import Cron
from observability.catalog.partitions import REGISTERED_PREFIXES
from observability.catalog.render import definitions
from observability.core import keys
from observability.core.partitioning import firehose_prefix
from observability.core.schema import Kind
from observability.deploy.render import render_file
from observability.deploy.schedules import scheduler_expressions
from observability.index.templates import INDEXED_PREFIXES

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    """The template rendered for models.example.yaml."""
    return render_file(load_models(ROOT / "models.example.yaml"), "observability")


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
        "CloudWatchLogsStream": Kind.LOG,
    }
    assert set(streams) == set(expected)
    for name, kind in expected.items():
        assert streams[name]["Prefix"] == firehose_prefix(kind)
        assert streams[name]["ErrorOutputPrefix"].startswith(keys.errors_prefix("firehose"))


def test_processor_buffer_keeps_responses_under_lambda_limit(template: dict[str, Any]) -> None:
    """The Lambda processor buffer is 1 MB (0.2 MB for CloudWatch Logs' gzip data, which
    grows several times unzipped), so the transform's response stays far below 6 MB."""
    for name, config in _streams(template).items():
        [processor] = config["ProcessingConfiguration"]["Processors"]
        params = {p["ParameterName"]: p["ParameterValue"] for p in processor["Parameters"]}
        assert params["BufferSizeInMBs"] == ("0.2" if name == "CloudWatchLogsStream" else "1")
        assert config["DynamicPartitioningConfiguration"]["Enabled"] is True
        assert config["BufferingHints"]["SizeInMBs"] >= 64


def test_every_function_points_at_a_handler(template: dict[str, Any]) -> None:
    """Each zip function's handler exists under lambdas/ and gets a log group and alarms."""
    resources = template["Resources"]
    for name, res in resources.items():
        if res["Type"] != "AWS::Lambda::Function" or "Handler" not in res["Properties"]:
            continue
        function = res["Properties"]["FunctionName"]["Fn::Sub"].split("-", 1)[1]
        assert name in {
            "TransformFunction",
            "RegistrarFunction",
            "IndexerFunction",
            "ApiFunction",
            "AlertsFunction",
        }
        assert f"{name}Logs" in resources and f"{name}ErrorsAlarm" in resources, function
    for handler in (
        "firehose_transform",
        "partition_registrar",
        "s3_to_opensearch",
        "api",
        "alerts_eval",
    ):
        assert (ROOT / "lambdas" / handler / "handler.py").is_file()


def test_s3_events_go_to_registrar_and_indexer_by_prefix(template: dict[str, Any]) -> None:
    """EventBridge rules send exactly the registered and the indexed prefixes."""
    for rule, prefixes in (
        ("RegistrarRule", REGISTERED_PREFIXES),
        ("IndexerRule", INDEXED_PREFIXES),
    ):
        pattern = template["Resources"][rule]["Properties"]["EventPattern"]
        assert pattern["detail-type"] == ["Object Created"]
        assert [p["prefix"] for p in pattern["detail"]["object"]["key"]] == list(prefixes)


def test_lifecycle_rules_use_the_keys_module(template: dict[str, Any]) -> None:
    """Retention by prefix and the compaction tag rule come from core/keys.py."""
    bucket = template["Resources"]["DataBucket"]["Properties"]
    rules = {rule["Id"]: rule for rule in bucket["LifecycleConfiguration"]["Rules"]}
    assert rules["errors"]["Prefix"] == keys.ERRORS
    assert rules["athena-results"]["Prefix"] == keys.ATHENA_RESULTS
    name, value = keys.COMPACTED_TAG
    assert rules["compacted-sources"]["TagFilters"] == [{"Key": name, "Value": value}]
    assert template["Mappings"]["Layout"]["Prefixes"]["Errors"] == keys.ERRORS


def test_glue_tables_and_one_schedule_per_model(template: dict[str, Any]) -> None:
    """Every table and view of glue/tables/ is a resource; fraud gets its drift schedule."""
    tables = [r for r in template["Resources"].values() if r["Type"] == "AWS::Glue::Table"]
    assert len(tables) == len(definitions())
    schedules = [
        r
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Scheduler::Schedule" and r.get("Condition") == "HasDrift"
    ]
    assert [s["Properties"]["ScheduleExpression"] for s in schedules] == ["cron(5 * * * ? *)"]
    assert schedules[0]["Properties"]["Target"]["Input"] == '{"model": "fraud"}'


def test_cron_with_both_day_fields_becomes_two_schedules() -> None:
    """Vixie's either-day rule needs one Scheduler expression per day field."""
    assert scheduler_expressions(Cron.parse("0 6 1 * mon")) == [
        "cron(0 6 1 * ? *)",
        "cron(0 6 ? * MON *)",
    ]
    assert scheduler_expressions(Cron.parse("*/30 * * * 1-5")) == [
        "cron(0,30 * ? * MON,TUE,WED,THU,FRI *)"
    ]
