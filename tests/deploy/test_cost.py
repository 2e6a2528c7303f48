"""`observability cost` figures agree with a hand calculation from the committed prices."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from observability.cli import main
from observability.deploy.cost import CostError, Scenario, estimate, load_prices
from observability.deploy.cost_search import search_gb

MONTH = 30.42
#: 40 partitions flushed every 60 s, a day and a month.
OBJECTS_DAY = 40 * 1440
OBJECTS_MONTH = OBJECTS_DAY * MONTH
#: 40 partitions compacted 24 times a day: one Parquet object each.
PARQUET_MONTH = 40 * 24 * MONTH
GIB = 1024**3 / 1e9


def test_the_hand_calculation_uses_the_committed_prices() -> None:
    """The literals below are the price table's: a price change fails here first."""
    p = load_prices()
    a = p["assumptions"]
    assert p["region"] == "us-east-1"
    assert (p["firehose"]["ingest_per_gb"], p["firehose"]["dynamic_partitioning_per_gb"]) == (
        0.029,
        0.020,
    )
    assert p["firehose"]["per_1000_objects"] == 0.005
    s3 = p["s3"]
    assert (s3["standard_per_gb_month"], s3["standard_ia_per_gb_month"]) == (0.023, 0.0125)
    assert (s3["put_per_1000"], s3["transition_ia_per_1000"]) == (0.005, 0.01)
    assert (s3["tags_per_10000_month"], s3["ia_retrieval_per_gb"]) == (0.01, 0.01)
    assert (p["athena"]["per_tb_scanned"], p["athena"]["minimum_mb_per_query"]) == (5.00, 10)
    assert (p["lambda"]["per_gb_second"], p["lambda"]["per_million_requests"]) == (
        0.0000166667,
        0.20,
    )
    assert (p["opensearch"]["instance_per_hour"], p["opensearch"]["gp3_per_gb_month"]) == (
        0.167,
        0.122,
    )
    assert (a["days_per_month"], a["gzip_ratio"], a["parquet_ratio"]) == (MONTH, 7.0, 10.0)
    assert (a["active_partitions"], a["compaction_runs_per_day"]) == (40, 24)
    assert (a["searches_per_day"], a["search_wide_share"], a["search_counts_share"]) == (
        300,
        0.2,
        0.3,
    )
    assert (a["search_wide_hours"], a["search_narrow_hours"], a["uncompacted_hours"]) == (
        1,
        6,
        1.0,
    )
    assert (a["people_queries_per_day"], a["people_gb_per_query"]) == (100, 1.0)
    assert a["people_beyond_ia_share"] == 0.1


def test_wide_searches_cover_the_logs_pages_default_range() -> None:
    """The model prices wide searches over the range the Logs page opens on."""
    page = Path(__file__).parents[2] / "ui" / "src" / "pages" / "LogsPage.tsx"
    found = re.search(r'const DEFAULT_SINCE = "(\d+)h";', page.read_text())
    assert found is not None
    assert load_prices()["assumptions"]["search_wide_hours"] == int(found.group(1))


def test_default_design_matches_a_hand_calculation() -> None:
    """100 GB/day, the default design (search through Athena, NDJSON deleted 30 days after
    compaction, Parquet in Standard-IA after 30 days, a year in S3): each line by hand."""
    result = {line.component: line.monthly for line in estimate(Scenario(100)).lines}
    assert "OpenSearch hot window" not in result
    assert result["Firehose ingestion"] == pytest.approx(3042 * 0.029)
    assert result["Firehose dynamic partitioning"] == pytest.approx(
        3042 * 0.020 + OBJECTS_MONTH / 1000 * 0.005
    )
    # Standard: 30 days of gzip NDJSON (100/7 GB a day) + 30 days of Parquet (10 GB a day).
    assert result["S3 Standard"] == pytest.approx((100 / 7 * 30 + 10 * 30) * 0.023)
    # Standard-IA: Parquet days 30-365.
    assert result["S3 Standard-IA"] == pytest.approx(10 * 335 * 0.0125)
    # Two PUTs per delivered object (the object, then its tag) + the Parquet objects; only
    # the Parquet objects transition; each NDJSON object carries its tag for 30 days.
    puts = 2 * OBJECTS_MONTH + PARQUET_MONTH
    assert result["S3 requests and tags"] == pytest.approx(
        puts / 1000 * 0.005 + PARQUET_MONTH / 1000 * 0.01 + OBJECTS_DAY * 30 / 10000 * 0.01
    )
    # 10% of 100 people's queries of 1 GB a day reach into Standard-IA.
    assert result["S3 Standard-IA retrievals"] == pytest.approx(100 * 1.0 * 0.1 * MONTH * 0.01)
    # Wide search: the last hour of every service, not compacted yet: gzip NDJSON, read
    # whole by both queries.
    ndjson = 100 * 1 / 24 / 7
    assert ndjson < 10 * GIB  # under the workgroup's cutoff
    wide = ndjson + ndjson
    # Narrow search: the last 6 h of one service (1/40 of the volume).
    parquet, ndjson = 100 / 40 * 5 / 24 / 10, 100 / 40 * 1 / 24 / 7
    narrow = (parquet + ndjson) + (parquet * 0.3 + ndjson)
    tb_month = (60 * wide + 240 * narrow) * MONTH / 1000
    assert result["Athena searches"] == pytest.approx(tb_month * 5)
    # Lambda: transform per 1 MB buffer, registrar per object, alerts every minute, API.
    transform = 3042 * 1024
    gb_seconds = transform * 0.15 * 1.0 + OBJECTS_MONTH * 0.05 * 0.25 + 1440 * MONTH * 2 * 0.5
    requests = transform + OBJECTS_MONTH + 1440 * MONTH + 100_000
    assert result["Lambda"] == pytest.approx(gb_seconds * 0.0000166667 + requests / 1e6 * 0.20)
    # Athena for alerts and people: 1,440 runs x 2 queries x 20 MB + 100 queries x 1 GB a day.
    assert result["Athena"] == pytest.approx((1440 * 2 * 20 / 1e6 + 100 / 1e3) * MONTH * 5)
    # Glue: 24 runs a day, 0.5 min start + 13.4M rows / 262k rows/s, 2 DPU at $0.44/DPU-hour.
    minutes = 0.5 + 100e9 / 310 / 24 / 262_000 / 60
    assert result["Glue compaction job"] == pytest.approx(24 * MONTH * 2 * minutes / 60 * 0.44)


def test_opensearch_tier_prices_the_domain_and_the_indexer() -> None:
    """--search opensearch, 7 days with 1 replica: two r6g.large nodes and their gp3, and no
    Athena searches; the indexer adds Lambda time."""
    athena = {line.component: line.monthly for line in estimate(Scenario(100)).lines}
    domain = {
        line.component: line.monthly
        for line in estimate(Scenario(100, 7, 365, search="opensearch")).lines
    }
    assert "Athena searches" not in domain
    # 100 GB x 7 days x 2 copies x 1.266 = 1,772.4 GB -> 2 nodes.
    assert domain["OpenSearch hot window"] == pytest.approx(2 * 0.167 * MONTH * 24 + 1772.4 * 0.122)
    indexer_gb_s = (OBJECTS_MONTH * 0.1 + 3042 * 20.0) * 0.5
    assert domain["Lambda"] - athena["Lambda"] == pytest.approx(
        indexer_gb_s * 0.0000166667 + OBJECTS_MONTH / 1e6 * 0.20
    )


def test_small_searches_bill_athenas_minimum() -> None:
    """At 10 GB/day six hours of one service is under 10 MB a query: each bills 10 MB."""
    parquet, ndjson = 10 / 40 * 5 / 24 / 10, 10 / 40 / 24 / 7
    assert parquet + ndjson < 0.010
    assert search_gb(Scenario(10), load_prices(), 6, 1 / 40) == pytest.approx(0.020)


def test_searches_over_the_cutoff_are_billed_to_it_and_named() -> None:
    """At 1,000 GB/day a day of every service exceeds the 10 GiB cutoff, and at 2,000 GB/day
    the Logs page's default hour does: billed up to it, and the basis says they fail."""
    prices = load_prices()
    assert search_gb(Scenario(1000), prices, 24, 1.0) == pytest.approx(2 * 10 * GIB)
    [line] = [x for x in estimate(Scenario(1000)).lines if x.component == "Athena searches"]
    assert "they fail" not in line.basis
    [line] = [x for x in estimate(Scenario(2000)).lines if x.component == "Athena searches"]
    assert "they fail" in line.basis


def test_standard_ia_bills_thirty_days_at_least() -> None:
    """With 40 days of retention, Parquet spends 10 days in Standard-IA but bills 30."""
    result = {line.component: line.monthly for line in estimate(Scenario(100, 7, 40)).lines}
    assert result["S3 Standard-IA"] == pytest.approx(10 * 30 * 0.0125)


def test_a_longer_hot_window_keeps_parquet_in_standard() -> None:
    """--search-days 60 keeps Parquet 60 days in Standard before Standard-IA."""
    result = {line.component: line.monthly for line in estimate(Scenario(100, 60)).lines}
    assert result["S3 Standard"] == pytest.approx((100 / 7 * 30 + 10 * 60) * 0.023)
    assert result["S3 Standard-IA"] == pytest.approx(10 * 305 * 0.0125)


def test_keeping_compacted_sources_moves_them_to_standard_ia() -> None:
    """--compacted-source-days 0 keeps NDJSON: Standard for 30 days, then Standard-IA."""
    kept = {line.component: line.monthly for line in estimate(Scenario(100, 7, 365, 1, 0)).lines}
    assert kept["S3 Standard-IA"] == pytest.approx((10 * 335 + 100 / 7 * 335) * 0.0125)


def test_command_prints_components_and_the_reference() -> None:
    """The command's JSON has every component, a total equal to their sum, and AWS's figure."""
    out = CliRunner().invoke(
        main,
        ["cost", "--gb-per-day", "100", "--search-days", "7", "--retention-days", "365",
         "--format", "json"],
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    report = json.loads(out.output)
    parts = [c["component"] for c in report["components"]]
    assert parts[:3] == ["Firehose ingestion", "Firehose dynamic partitioning", "Lambda"]
    assert "Athena searches" in parts and "CloudWatch" in parts
    assert "OpenSearch hot window" not in parts
    assert report["scenario"]["search"] == "athena"
    assert report["scenario"]["compacted_source_days"] == 30
    assert report["total"] == pytest.approx(
        sum(c["monthly"] for c in report["components"]), abs=0.05
    )
    assert report["reference"]["monthly"] == 989.49
    assert report["region"] == "us-east-1"


def test_command_prices_the_opensearch_tier_on_request() -> None:
    """--search opensearch prints the hot window's domain in the table."""
    out = CliRunner().invoke(main, ["cost", "--gb-per-day", "100", "--search", "opensearch"])
    assert out.exit_code == 0, out.output
    assert "OpenSearch hot window" in out.output
    assert "Athena searches" not in out.output


def test_bad_input_is_a_clear_error() -> None:
    """A non-positive volume, an empty hot window or an unknown tier is refused by name."""
    with pytest.raises(CostError, match="--gb-per-day"):
        Scenario(0)
    with pytest.raises(CostError, match="--search-days"):
        Scenario(10, 0)
    with pytest.raises(CostError, match="--search"):
        Scenario(10, search="kibana")  # type: ignore[arg-type]
    out = CliRunner().invoke(main, ["cost", "--gb-per-day", "10", "--search", "kibana"])
    assert out.exit_code == 2 and "kibana" in out.output
