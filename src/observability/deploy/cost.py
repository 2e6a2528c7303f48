"""`observability cost`: the deployed design's monthly cost, per component.

Prices come from the committed table `prices.toml` (us-east-1, source page and date in
the file); what the model assumes about the data (compression, partitions, query load)
is in the same file under `[assumptions]`, so every figure is a price times a stated
quantity. Storage is the steady state once the retention period has filled. The design's
defaults (search tier, hot window, compacted NDJSON's lifetime) are `design.py`'s, the
same the deployed template gets. The result is printed beside AWS's published figure for
its Centralized Logging with OpenSearch solution at the same page's configuration.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from observability.deploy.cost_search import athena_searches, opensearch
from observability.deploy.design import IA_MIN_DAYS, standard_days
from observability.deploy.scenario import CostError, Line, Scenario

__all__ = ["CostError", "Estimate", "Line", "Scenario", "estimate", "load_prices"]

PRICES: Final = Path(__file__).with_name("prices.toml")
#: Firehose flushes each partition's buffer at least this often (the template's hints).
BUFFER_SECONDS: Final = 60
BUFFER_MB: Final = 64
#: Compaction's start-up on Glue before the first row, in minutes (an assumption).
GLUE_STARTUP_MINUTES: Final = 0.5


@dataclass(frozen=True, slots=True)
class Estimate:
    """Every component, the total, and the published reference to compare with."""

    scenario: Scenario
    lines: tuple[Line, ...]
    region: str
    checked: str
    reference_name: str
    reference_monthly: float
    reference_description: str

    @property
    def total(self) -> float:
        """The sum of the components."""
        return sum(line.monthly for line in self.lines)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form (`--format json`)."""
        return {
            "region": self.region,
            "prices_checked": self.checked,
            "scenario": {
                "gb_per_day": self.scenario.gb_per_day,
                "search": self.scenario.search,
                "search_days": self.scenario.search_days,
                "retention_days": self.scenario.retention_days,
                "replicas": self.scenario.replicas,
                "compacted_source_days": self.scenario.compacted_source_days,
            },
            "components": [
                {
                    "component": line.component,
                    "monthly": round(line.monthly, 2),
                    "basis": line.basis,
                }
                for line in self.lines
            ],
            "total": round(self.total, 2),
            "reference": {
                "name": self.reference_name,
                "monthly": self.reference_monthly,
                "description": self.reference_description,
            },
        }


def load_prices(path: Path = PRICES) -> dict[str, Any]:
    """The committed price table."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CostError(f"{path}: {exc}") from None


def estimate(scenario: Scenario, prices: Mapping[str, Any] | None = None) -> Estimate:
    """Price a scenario with the table (the committed one by default)."""
    table = dict(prices) if prices is not None else load_prices()
    a = table["assumptions"]
    month = a["days_per_month"]
    gb = scenario.gb_per_day
    gb_month = gb * month
    objects_day = max(a["active_partitions"] * 86400 / BUFFER_SECONDS, gb * 1024 / BUFFER_MB)
    objects_month = objects_day * month
    lines: list[Line] = []

    fh = table["firehose"]
    lines.append(
        Line(
            "Firehose ingestion",
            gb_month * fh["ingest_per_gb"],
            f"{gb_month:,.0f} GB x ${fh['ingest_per_gb']}/GB",
        )
    )
    lines.append(
        Line(
            "Firehose dynamic partitioning",
            gb_month * fh["dynamic_partitioning_per_gb"]
            + objects_month / 1000 * fh["per_1000_objects"],
            f"{gb_month:,.0f} GB x ${fh['dynamic_partitioning_per_gb']}/GB + "
            f"{objects_month:,.0f} objects x ${fh['per_1000_objects']}/1000",
        )
    )
    lines.append(_lambda(scenario, table, gb_month, objects_month))
    lines += _s3(scenario, table, objects_day)
    lines.append(_glue(table, gb))
    lines.append(_athena(table))
    if scenario.indexed:
        lines.append(opensearch(scenario, table))
    else:
        lines.append(athena_searches(scenario, table))
    lines.append(_cloudwatch(scenario, table, gb_month, objects_month))
    other = table["other"]
    scheduled = a["alert_runs_per_day"] * month
    lines.append(
        Line(
            "Secrets Manager, Scheduler, HTTP API",
            other["secret_per_month"]
            + scheduled / 1e6 * other["scheduler_per_million"]
            + a["api_requests_per_month"] / 1e6 * other["http_api_per_million"],
            f"1 secret, {scheduled:,.0f} schedule runs, {a['api_requests_per_month']:,} requests",
        )
    )
    reference = table["reference"]
    return Estimate(
        scenario,
        tuple(lines),
        table["region"],
        table["checked"],
        reference["name"],
        float(reference["monthly"]),
        reference["description"],
    )


def _lambda(
    scenario: Scenario, table: Mapping[str, Any], gb_month: float, objects_month: float
) -> Line:
    a, price = table["assumptions"], table["lambda"]
    transform_calls = gb_month * 1024  # one call per 1 MB processor buffer
    gb_seconds = transform_calls * a["transform_seconds_per_mb"] * a["transform_memory_gb"]
    gb_seconds += objects_month * a["registrar_seconds"] * a["registrar_memory_gb"]
    calls = transform_calls + objects_month
    if scenario.indexed:
        indexed = (
            objects_month * a["indexer_seconds_per_object"] + gb_month * a["indexer_seconds_per_gb"]
        )
        gb_seconds += indexed * a["indexer_memory_gb"]
        calls += objects_month
    alert_runs = a["alert_runs_per_day"] * a["days_per_month"]
    gb_seconds += alert_runs * a["alert_seconds"] * a["alert_memory_gb"]
    calls += alert_runs + a["api_requests_per_month"]
    monthly = gb_seconds * price["per_gb_second"] + calls / 1e6 * price["per_million_requests"]
    functions = (
        "transform, registrar, indexer, alerts, API"
        if scenario.indexed
        else ("transform, registrar, alerts, API")
    )
    return Line("Lambda", monthly, f"{gb_seconds:,.0f} GB-s + {calls:,.0f} requests ({functions})")


def _ia_billed(days: int) -> int:
    """Days of Standard-IA storage billed for an object kept there `days`: IA bills 30 at least."""
    return max(days, IA_MIN_DAYS) if days > 0 else 0


def _s3(scenario: Scenario, table: Mapping[str, Any], objects_day: float) -> list[Line]:
    a, price = table["assumptions"], table["s3"]
    gb, keep_days = scenario.gb_per_day, scenario.retention_days
    month = a["days_per_month"]
    raw_day, parquet_day = gb / a["gzip_ratio"], gb / a["parquet_ratio"]
    if scenario.compacted_source_days:
        raw_standard_days = min(scenario.compacted_source_days, keep_days)
        raw_ia_days = 0
    else:
        raw_standard_days = min(IA_MIN_DAYS, keep_days)
        raw_ia_days = keep_days - raw_standard_days
    parquet_standard_days = min(standard_days(scenario.search_days), keep_days)
    parquet_ia_days = keep_days - parquet_standard_days
    standard_gb = raw_day * raw_standard_days + parquet_day * parquet_standard_days
    ia_raw_gb = raw_day * _ia_billed(raw_ia_days)
    ia_parquet_gb = parquet_day * _ia_billed(parquet_ia_days)
    objects_month = objects_day * month
    parquet_objects_day = a["active_partitions"] * a["compaction_runs_per_day"]
    parquet_puts = parquet_objects_day * month
    puts = objects_month * 2 + parquet_puts  # each delivered object, then its tag
    transitions = (objects_month if raw_ia_days else 0) + (parquet_puts if parquet_ia_days else 0)
    tagged = objects_day * (raw_standard_days + raw_ia_days)
    requests = (
        puts / 1000 * price["put_per_1000"]
        + transitions / 1000 * price["transition_ia_per_1000"]
        + tagged / 10000 * price["tags_per_10000_month"]
    )
    ndjson_ia = f" + NDJSON days {raw_standard_days}-{keep_days}" if raw_ia_days else ""
    object_mb = parquet_day * 1e3 / parquet_objects_day
    return [
        Line(
            "S3 Standard",
            standard_gb * price["standard_per_gb_month"],
            f"{standard_gb:,.0f} GB: gzip NDJSON {raw_standard_days} days + Parquet "
            f"{parquet_standard_days} days",
        ),
        Line(
            "S3 Standard-IA",
            (ia_raw_gb + ia_parquet_gb) * price["standard_ia_per_gb_month"],
            f"{ia_raw_gb + ia_parquet_gb:,.0f} GB: Parquet days {parquet_standard_days}-{keep_days}"
            f"{ndjson_ia} (30 days billed at least); Parquet objects {object_mb:,.1f} MB "
            "on average, over IA's 128 KB minimum (S3 leaves smaller ones in Standard)",
        ),
        Line(
            "S3 requests and tags",
            requests,
            f"{puts:,.0f} PUTs, {transitions:,.0f} transitions, {tagged:,.0f} tags",
        ),
        _ia_retrievals(table, parquet_standard_days if parquet_ia_days else None),
    ]


def _ia_retrievals(table: Mapping[str, Any], standard_until: int | None) -> Line:
    """People's Athena queries that reach back into Standard-IA pay its retrieval fee."""
    a, price = table["assumptions"], table["s3"]
    share = a["people_beyond_ia_share"] if standard_until is not None else 0.0
    gb_month = a["people_queries_per_day"] * a["people_gb_per_query"] * share * a["days_per_month"]
    where = f"past day {standard_until}" if standard_until is not None else "(none in IA)"
    return Line(
        "S3 Standard-IA retrievals",
        gb_month * price["ia_retrieval_per_gb"],
        f"{gb_month:,.0f} GB: {share:.0%} of people's Athena GB reach {where}, "
        f"${price['ia_retrieval_per_gb']}/GB",
    )


def _glue(table: Mapping[str, Any], gb_per_day: float) -> Line:
    a, price = table["assumptions"], table["glue"]
    runs = a["compaction_runs_per_day"] * a["days_per_month"]
    rows = gb_per_day * 1e9 / a["record_bytes"] / a["compaction_runs_per_day"]
    minutes = max(
        price["minimum_minutes"], GLUE_STARTUP_MINUTES + rows / a["compaction_rows_per_second"] / 60
    )
    dpu_hours = runs * a["glue_workers"] * minutes / 60
    return Line(
        "Glue compaction job",
        dpu_hours * price["per_dpu_hour"],
        f"{runs:,.0f} runs x {minutes:.1f} min x {a['glue_workers']} DPU",
    )


def _athena(table: Mapping[str, Any]) -> Line:
    a, price = table["assumptions"], table["athena"]
    alert_mb = max(a["alert_mb_per_query"], price["minimum_mb_per_query"])
    tb_day = (
        a["alert_runs_per_day"] * a["alert_queries_per_run"] * alert_mb / 1e6
        + a["people_queries_per_day"] * a["people_gb_per_query"] / 1e3
    )
    tb_month = tb_day * a["days_per_month"]
    return Line(
        "Athena",
        tb_month * price["per_tb_scanned"],
        f"{tb_month:,.2f} TB: {a['alert_runs_per_day']:,}x{a['alert_queries_per_run']} alert "
        f"queries of {alert_mb} MB + {a['people_queries_per_day']} of "
        f"{a['people_gb_per_query']} GB a day",
    )


def _cloudwatch(
    scenario: Scenario, table: Mapping[str, Any], gb_month: float, objects_month: float
) -> Line:
    a, price = table["assumptions"], table["cloudwatch"]
    invocations = gb_month * 1024 + objects_month * (2 if scenario.indexed else 1)
    log_gb = invocations * a["log_bytes_per_invocation"] / 1e9
    monthly = (
        a["alarms"] * price["alarm_per_month"]
        + log_gb * price["logs_ingest_per_gb"]
        + a["s3_request_metrics"] * price["metric_per_month"]
    )
    return Line(
        "CloudWatch",
        monthly,
        f"{a['alarms']} alarms, {log_gb:,.1f} GB of function logs, "
        f"{a['s3_request_metrics']} S3 request metrics",
    )
