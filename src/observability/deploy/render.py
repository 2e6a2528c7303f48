"""The deployed template: `deploy/cloudformation.yaml` plus what the code owns.

Each fact below is read from the module that owns it, never typed into the YAML:
storage prefixes (`core/keys.py`, as the `Layout` mapping the YAML's `FindInMap`s read
and as lifecycle rules), Firehose prefixes (`core/partitioning.py`), the prefixes whose
objects make partitions (`catalog/partitions.py`) or are searchable (`index/templates.py`),
the Glue tables and views (`catalog/render.py`, the same definitions as `glue/tables/`),
and the drift schedules and reference files of the user's `models.yaml`. It also adds one
log group per function and the alarms every function and stream gets, so a new function
in the YAML is watched without another line. The defaults of the design's parameters (the
search tier, the hot window, how long compacted NDJSON stays, the Athena scan cutoff) come
from `design.py`, which the cost model prices.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from observability.analyze.config import FileReference, ModelConfig
from observability.catalog.partitions import REGISTERED_PREFIXES
from observability.catalog.render import definitions
from observability.catalog.tables import STORE_URL_TOKEN
from observability.core import keys
from observability.core.fields import Kind
from observability.core.partitioning import firehose_prefix
from observability.deploy.cfn import TemplateError, load_template
from observability.deploy.design import (
    ATHENA_SCAN_CUTOFF_BYTES,
    COMPACTED_SOURCE_DAYS,
    DEFAULT_OPENSEARCH_MODE,
    DEFAULT_SEARCH_DAYS,
    IA_MIN_DAYS,
    OPENSEARCH_MODES,
    RETENTION_DAYS,
    standard_days,
)
from observability.deploy.schedules import scheduler_expressions
from observability.index.templates import INDEXED_PREFIXES

#: The hand-written part, beside the package in a checkout and in the wheel's data.
BASE_TEMPLATE: Final = Path(__file__).resolve().parents[3] / "deploy" / "cloudformation.yaml"

#: Storage prefixes by the names the YAML's `!FindInMap [Layout, Prefixes, <Name>]` uses.
LAYOUT: Final[Mapping[str, str]] = {
    "Logs": keys.kind_prefix(Kind.LOG),
    "Predictions": keys.kind_prefix(Kind.PREDICTION),
    "Labels": keys.kind_prefix(Kind.LABEL),
    "Compacted": keys.COMPACTED,
    "Errors": keys.ERRORS,
    "Reports": keys.REPORTS,
    "DriftMetrics": keys.DRIFT_METRICS,
    "DriftRuns": keys.DRIFT_RUNS,
    "Sketches": keys.SKETCHES,
    "Alerts": keys.ALERTS,
    "Silences": keys.SILENCES,
    "Leases": keys.LEASES,
    "JobRuns": keys.JOB_RUNS,
    "Probe": keys.PROBE,
    "Auth": keys.AUTH,
    "AthenaResults": keys.ATHENA_RESULTS,
}
#: The delivery stream of each record kind, by logical id.
STREAMS: Final[Mapping[str, Kind]] = {
    "LogsStream": Kind.LOG,
    "PredictionsStream": Kind.PREDICTION,
    "LabelsStream": Kind.LABEL,
    "CloudWatchLogsStream": Kind.LOG,
}
#: Processor buffers other than the template's 1 MB: CloudWatch Logs subscription data is
#: gzip and grows several times in the transform, whose response must stay under 6 MB.
PROCESSOR_BUFFER_MB: Final[Mapping[str, str]] = {"CloudWatchLogsStream": "0.2"}
#: Firehose writes what it could not deliver or transform under this prefix.
FIREHOSE_ERRORS: Final = keys.firehose_errors_prefix()
#: S3 request metrics filter of the errors/ growth alarm.
ERRORS_FILTER: Final = "errors"
#: Objects of the readiness probe live seconds; anything left behind goes after a day.
PROBE_DAYS: Final = 1
#: Multipart uploads a writer abandoned are cleaned up after this many days.
ABORT_UPLOAD_DAYS: Final = 7
_ALARM_PERIOD: Final = 300


def render(
    base: Mapping[str, Any],
    models: Mapping[str, ModelConfig],
    database: str,
    *,
    search_days: int = DEFAULT_SEARCH_DAYS,
) -> dict[str, Any]:
    """The full template: a deep copy of `base` with the generated parts added.

    `search_days` is the hot window the stack is deployed with: compacted Parquet moves to
    Standard-IA after it (and never before IA's 30-day minimum).
    """
    template = copy.deepcopy(dict(base))
    resources: dict[str, Any] = template["Resources"]
    _require(resources, "DataBucket", "GlueDatabase", "RegistrarRule", "IndexerRule")
    _defaults(template.get("Parameters", {}))
    template.setdefault("Mappings", {})["Layout"] = {"Prefixes": dict(LAYOUT)}
    _bucket(resources["DataBucket"]["Properties"], standard_days(search_days))
    _streams(resources)
    _rules(resources)
    _catalog(resources, database)
    _workgroup(resources)
    _drift(resources, models)
    _logs_and_alarms(resources)
    return template


def render_file(
    models: Mapping[str, ModelConfig], database: str, *, search_days: int = DEFAULT_SEARCH_DAYS
) -> dict[str, Any]:
    """`render` of the committed base template."""
    return render(load_template(BASE_TEMPLATE), models, database, search_days=search_days)


def to_json(template: Mapping[str, Any]) -> bytes:
    """The template as CloudFormation reads it: compact, stable JSON."""
    return json.dumps(template, sort_keys=True, separators=(",", ":")).encode()


def _require(resources: Mapping[str, Any], *names: str) -> None:
    missing = [name for name in names if name not in resources]
    if missing:
        raise TemplateError(f"the base template lacks {', '.join(missing)}")


def _days(parameter: str) -> dict[str, str]:
    return {"Ref": parameter}


def _defaults(parameters: dict[str, Any]) -> None:
    """The design's parameter defaults (`design.py`), so a plain deploy is the priced one."""
    _require(
        parameters,
        "OpenSearchMode",
        "SearchDays",
        "CompactedSourceDays",
        "AthenaScanCutoffBytes",
        "RetentionDays",
    )
    parameters["OpenSearchMode"]["Default"] = DEFAULT_OPENSEARCH_MODE
    parameters["OpenSearchMode"]["AllowedValues"] = list(OPENSEARCH_MODES)
    parameters["SearchDays"]["Default"] = DEFAULT_SEARCH_DAYS
    parameters["CompactedSourceDays"]["Default"] = COMPACTED_SOURCE_DAYS
    parameters["AthenaScanCutoffBytes"]["Default"] = ATHENA_SCAN_CUTOFF_BYTES
    parameters["RetentionDays"]["Default"] = RETENTION_DAYS


def _bucket(properties: dict[str, Any], parquet_standard_days: int) -> None:
    """Lifecycle by prefix and tag, and the request metrics of errors/.

    Compacted Parquet moves to Standard-IA after `parquet_standard_days` (Athena reads it
    there at a retrieval fee; S3 leaves objects under 128 KB in Standard by default)."""
    tag_key, tag_value = keys.COMPACTED_TAG
    rules: list[dict[str, Any]] = [
        {
            "Id": f"retain-{prefix.strip('/').replace('/', '-')}",
            "Status": "Enabled",
            "Prefix": prefix,
            "ExpirationInDays": _days("RetentionDays"),
        }
        for prefix in keys.DATA_ROOTS.values()
    ]
    rules.append(
        {
            "Id": f"retain-{keys.COMPACTED.strip('/').replace('/', '-')}",
            "Status": "Enabled",
            "Prefix": keys.COMPACTED,
            "Transitions": [
                {"StorageClass": "STANDARD_IA", "TransitionInDays": parquet_standard_days}
            ],
            "ExpirationInDays": _days("RetentionDays"),
        }
    )
    rules.append(
        {
            "Id": "compacted-sources",
            "Status": "Enabled",
            "TagFilters": [{"Key": tag_key, "Value": tag_value}],
            "Transitions": {
                "Fn::If": [
                    "KeepCompactedSources",
                    [{"StorageClass": "STANDARD_IA", "TransitionInDays": IA_MIN_DAYS}],
                    {"Ref": "AWS::NoValue"},
                ]
            },
            "ExpirationInDays": {
                "Fn::If": [
                    "KeepCompactedSources",
                    {"Ref": "AWS::NoValue"},
                    _days("CompactedSourceDays"),
                ]
            },
        }
    )
    for rule_id, prefix, days in (
        ("errors", keys.ERRORS, _days("ErrorRetentionDays")),
        ("athena-results", keys.ATHENA_RESULTS, _days("AthenaResultDays")),
        ("probe", keys.PROBE, PROBE_DAYS),
    ):
        rules.append(
            {"Id": rule_id, "Status": "Enabled", "Prefix": prefix, "ExpirationInDays": days}
        )
    rules.append(
        {
            "Id": "abort-incomplete-uploads",
            "Status": "Enabled",
            "Prefix": "",
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": ABORT_UPLOAD_DAYS},
        }
    )
    properties["LifecycleConfiguration"] = {"Rules": rules}
    properties["MetricsConfigurations"] = [{"Id": ERRORS_FILTER, "Prefix": keys.ERRORS}]


def _streams(resources: dict[str, Any]) -> None:
    """Each stream's Hive prefix with Lambda partition keys, and the error prefix."""
    _require(resources, *STREAMS)
    for name, kind in STREAMS.items():
        properties = resources[name]["Properties"]
        destination = copy.deepcopy(properties["ExtendedS3DestinationConfiguration"])
        destination["Prefix"] = firehose_prefix(kind)
        destination["ErrorOutputPrefix"] = FIREHOSE_ERRORS
        if name in PROCESSOR_BUFFER_MB:
            for processor in destination["ProcessingConfiguration"]["Processors"]:
                for parameter in processor["Parameters"]:
                    if parameter["ParameterName"] == "BufferSizeInMBs":
                        parameter["ParameterValue"] = PROCESSOR_BUFFER_MB[name]
        properties["ExtendedS3DestinationConfiguration"] = destination


def _object_created(prefixes: tuple[str, ...]) -> dict[str, Any]:
    return {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {
            "bucket": {"name": [{"Ref": "DataBucket"}]},
            "object": {"key": [{"prefix": prefix} for prefix in prefixes]},
        },
    }


def _rules(resources: dict[str, Any]) -> None:
    """Which new objects go to the registrar and which to the indexer."""
    resources["RegistrarRule"]["Properties"]["EventPattern"] = _object_created(REGISTERED_PREFIXES)
    resources["IndexerRule"]["Properties"]["EventPattern"] = _object_created(INDEXED_PREFIXES)


def _store_url(value: Any) -> Any:
    """Strings holding the store URL token become `Fn::Sub` over the data bucket."""
    if isinstance(value, str) and STORE_URL_TOKEN in value:
        return {"Fn::Sub": [value, {"StoreUrl": {"Fn::Sub": "s3://${DataBucket}"}}]}
    if isinstance(value, dict):
        return {key: _store_url(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_store_url(item) for item in value]
    return value


def _catalog(resources: dict[str, Any], database: str) -> None:
    """The database's name and one AWS::Glue::Table per table and view."""
    resources["GlueDatabase"]["Properties"]["DatabaseInput"]["Name"] = database
    for name, table in definitions(database).items():
        resources[_logical_id("GlueTable", name)] = {
            "Type": "AWS::Glue::Table",
            "Properties": {
                "CatalogId": {"Ref": "AWS::AccountId"},
                "DatabaseName": {"Ref": "GlueDatabase"},
                "TableInput": _store_url(table),
            },
        }


def _workgroup(resources: dict[str, Any]) -> None:
    configuration = resources["QueryWorkGroup"]["Properties"]["WorkGroupConfiguration"]
    configuration["ResultConfiguration"]["OutputLocation"] = {
        "Fn::Sub": f"s3://${{DataBucket}}/{keys.ATHENA_RESULTS}"
    }


def _drift(resources: dict[str, Any], models: Mapping[str, ModelConfig]) -> None:
    """One schedule per model (two for an either-day cron); read access to references."""
    references: list[Any] = []
    for name, model in sorted(models.items()):
        if isinstance(model.reference, FileReference):
            references.append(_reference_arn(name, model.reference.uri))
        if model.schedule is None:
            continue
        expressions = scheduler_expressions(model.schedule)
        for index, expression in enumerate(expressions):
            suffix = "" if len(expressions) == 1 else ("Days", "Weekdays")[index]
            logical = _logical_id("DriftSchedule", name) + suffix
            if logical in resources:
                raise TemplateError(f"models.yaml: model {name!r} collides with {logical}")
            resources[logical] = {
                "Type": "AWS::Scheduler::Schedule",
                "Condition": "HasDrift",
                "Properties": {
                    "Description": f"Drift of model {name} for its last closed window.",
                    "ScheduleExpression": expression,
                    "ScheduleExpressionTimezone": "UTC",
                    "FlexibleTimeWindow": {"Mode": "OFF"},
                    "Target": {
                        "Arn": {"Fn::GetAtt": ["DriftFunction", "Arn"]},
                        "RoleArn": {"Fn::GetAtt": ["SchedulerRole", "Arn"]},
                        "Input": json.dumps({"model": name}),
                        "RetryPolicy": {
                            "MaximumRetryAttempts": 2,
                            "MaximumEventAgeInSeconds": 3600,
                        },
                        "DeadLetterConfig": {"Arn": {"Fn::GetAtt": ["DeadLetterQueue", "Arn"]}},
                    },
                },
            }
    if references:
        policy = resources["DriftRole"]["Properties"]["Policies"][0]["PolicyDocument"]
        policy["Statement"].append(
            {
                "Sid": "ReferenceObjects",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": references,
            }
        )


def _reference_arn(model: str, uri: str) -> dict[str, str]:
    """The reference file's object ARN; on AWS the drift job reads references from S3."""
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    if not uri.startswith("s3://") or not bucket or not key:
        raise TemplateError(
            f"models.yaml: model {model!r}: reference.path {uri!r} must be s3://bucket/key "
            "on AWS (the drift function cannot read a local file)"
        )
    return {"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::{bucket}/{key}"}


def _logical_id(prefix: str, name: str) -> str:
    """`prefix` + the name's letters and digits, + a short hash when characters were lost."""
    cleaned = "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name))
    if re.search(r"[^A-Za-z0-9]", name):
        cleaned += hashlib.sha256(name.encode()).hexdigest()[:6]
    return prefix + cleaned


def _alarm(
    condition: str | None,
    description: str,
    namespace: str,
    metric: str,
    dimensions: list[dict[str, Any]],
    *,
    statistic: str = "Sum",
    comparison: str = "GreaterThanOrEqualToThreshold",
    threshold: float = 1,
    periods: int = 1,
) -> dict[str, Any]:
    alarm: dict[str, Any] = {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": description,
            "Namespace": namespace,
            "MetricName": metric,
            "Dimensions": dimensions,
            "Statistic": statistic,
            "Period": _ALARM_PERIOD,
            "EvaluationPeriods": periods,
            "Threshold": threshold,
            "ComparisonOperator": comparison,
            "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": "AlertsTopic"}],
            "OKActions": [{"Ref": "AlertsTopic"}],
        },
    }
    if condition is not None:
        alarm["Condition"] = condition
    return alarm


def _logs_and_alarms(resources: dict[str, Any]) -> None:
    """Per function: its log group (retention), errors and throttles alarms; per stream:
    delivery alarms; and the errors/ growth and dead-letter alarms."""
    generated: dict[str, Any] = {}
    for name, resource in resources.items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        condition = resource.get("Condition")
        function = resource["Properties"]["FunctionName"]
        group = f"{name}Logs"
        log_group: dict[str, Any] = {
            "Type": "AWS::Logs::LogGroup",
            "Metadata": {
                "checkov": {
                    "skip": [
                        {
                            "id": "CKV_AWS_158",
                            "comment": "Function logs; the service key encrypts them at rest.",
                        }
                    ]
                }
            },
            "Properties": {
                "LogGroupName": {"Fn::Sub": ["/aws/lambda/${Name}", {"Name": function}]},
                "RetentionInDays": {"Ref": "LogRetentionDays"},
            },
        }
        if condition is not None:
            log_group["Condition"] = condition
        generated[group] = log_group
        resource["Properties"]["LoggingConfig"] = {"LogGroup": {"Ref": group}}
        dimension = [{"Name": "FunctionName", "Value": {"Ref": name}}]
        for metric in ("Errors", "Throttles"):
            generated[f"{name}{metric}Alarm"] = _alarm(
                condition,
                f"{name}: {metric.lower()} in the last 5 minutes.",
                "AWS/Lambda",
                metric,
                dimension,
            )
    for name in STREAMS:
        dimension = [{"Name": "DeliveryStreamName", "Value": {"Ref": name}}]
        generated[f"{name}DeliveryAlarm"] = _alarm(
            None,
            f"{name}: S3 deliveries failing for 15 minutes (records wait, then go to errors/).",
            "AWS/Firehose",
            "DeliveryToS3.Success",
            dimension,
            statistic="Average",
            comparison="LessThanThreshold",
            periods=3,
        )
        generated[f"{name}FreshnessAlarm"] = _alarm(
            None,
            f"{name}: the oldest undelivered record is over 15 minutes old.",
            "AWS/Firehose",
            "DeliveryToS3.DataFreshness",
            dimension,
            statistic="Maximum",
            comparison="GreaterThanThreshold",
            threshold=900,
        )
    generated["ErrorObjectsAlarm"] = _alarm(
        None,
        "New objects under errors/: records some stage refused (kept, with their reason).",
        "AWS/S3",
        "PutRequests",
        [
            {"Name": "BucketName", "Value": {"Ref": "DataBucket"}},
            {"Name": "FilterId", "Value": ERRORS_FILTER},
        ],
    )
    generated["DeadLetterAlarm"] = _alarm(
        None,
        "Events no function could handle are waiting in the dead-letter queue.",
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["DeadLetterQueue", "QueueName"]}}],
        statistic="Maximum",
    )
    clash = sorted(set(generated) & set(resources))
    if clash:
        raise TemplateError(f"the base template already defines {', '.join(clash)}")
    resources.update(generated)
