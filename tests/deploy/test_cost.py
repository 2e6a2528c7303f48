"""`observability cost` figures agree with a hand calculation from the committed prices."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from observability.cli import main
from observability.deploy.cost import CostError, Scenario, estimate, load_prices


def test_figures_match_a_hand_calculation() -> None:
    """100 GB/day, 7 days searchable with 1 replica, a year in S3: each line by hand."""
    result = {line.component: line.monthly for line in estimate(Scenario(100, 7, 365)).lines}
    p = load_prices()
    month = 30.42
    gb_month = 100 * month  # 3,042 GB
    objects = 40 * 1440 * month  # 40 partitions flushed every 60 s
    assert result["Firehose ingestion"] == pytest.approx(3042 * 0.029)
    assert result["Firehose dynamic partitioning"] == pytest.approx(
        3042 * 0.020 + objects / 1000 * 0.005
    )
    # Standard: 30 days of gzip NDJSON (100/7 GB a day) + 365 days of Parquet (100/10 GB a day).
    assert result["S3 Standard"] == pytest.approx((100 / 7 * 30 + 10 * 365) * 0.023)
    assert result["S3 Standard-IA"] == pytest.approx(100 / 7 * 335 * 0.0125)
    # OpenSearch: 100 GB x 7 days x 2 copies x 1.266 = 1,772.4 GB -> 2 r6g.large nodes.
    hours = month * 24
    assert result["OpenSearch hot window"] == pytest.approx(2 * 0.167 * hours + 1772.4 * 0.122)
    # Athena: 1,440 runs x 2 queries x 20 MB + 100 queries x 1 GB, a day, at $5/TB.
    assert result["Athena"] == pytest.approx((1440 * 2 * 20 / 1e6 + 100 / 1e3) * month * 5)
    # Glue: 24 runs a day, 0.5 min start + 13.4M rows / 262k rows/s, 2 DPU at $0.44/DPU-hour.
    minutes = 0.5 + 100e9 / 310 / 24 / 262_000 / 60
    assert result["Glue compaction job"] == pytest.approx(24 * month * 2 * minutes / 60 * 0.44)
    assert p["region"] == "us-east-1"
    assert gb_month == pytest.approx(3042)


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
    assert "OpenSearch hot window" in parts and "CloudWatch" in parts
    assert report["total"] == pytest.approx(
        sum(c["monthly"] for c in report["components"]), abs=0.05
    )
    assert report["reference"]["monthly"] == 989.49
    assert report["region"] == "us-east-1"


def test_no_search_window_prices_no_domain() -> None:
    """--search-days 0 leaves OpenSearch out entirely."""
    lines = estimate(Scenario(10, 0, 30)).lines
    assert "OpenSearch hot window" not in {line.component for line in lines}


def test_bad_volume_is_a_clear_error() -> None:
    """A non-positive volume is refused with the flag's name."""
    with pytest.raises(CostError, match="--gb-per-day"):
        Scenario(0)
