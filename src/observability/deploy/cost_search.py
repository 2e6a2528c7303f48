"""The search tier's monthly cost: the API's searches on Athena, or an OpenSearch domain.

Part of the cost model (`cost.py`); prices and assumptions come from `prices.toml`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from observability.deploy.design import ATHENA_SCAN_CUTOFF_BYTES
from observability.deploy.scenario import Line, Scenario


def _range_gb(
    scenario: Scenario, a: Mapping[str, Any], hours: float, share: float
) -> tuple[float, float]:
    """GB in the last `hours` of `share` of the data: (compacted Parquet, gzip NDJSON not
    compacted yet)."""
    fresh = min(a["uncompacted_hours"], hours)
    per_hour = scenario.gb_per_day * share / 24
    return per_hour * (hours - fresh) / a["parquet_ratio"], per_hour * fresh / a["gzip_ratio"]


def search_gb(scenario: Scenario, table: Mapping[str, Any], hours: float, share: float) -> float:
    """GB one search scans: its hits query reads every column of the range, its counts query
    the share of Parquet bytes it needs (gzip NDJSON is read whole either way); each query
    bills Athena's minimum and stops at the workgroup's cutoff."""
    a = table["assumptions"]
    floor: float = table["athena"]["minimum_mb_per_query"] / 1e3
    cutoff = ATHENA_SCAN_CUTOFF_BYTES / 1e9
    parquet, ndjson = _range_gb(scenario, a, hours, share)
    queries = (parquet + ndjson, parquet * a["search_counts_share"] + ndjson)
    return sum(min(max(gb, floor), cutoff) for gb in queries)


def athena_searches(scenario: Scenario, table: Mapping[str, Any]) -> Line:
    """People's searches through the API, which runs them on Athena (no index)."""
    a, price = table["assumptions"], table["athena"]
    searches = a["searches_per_day"]
    wide_n = searches * a["search_wide_share"]
    wide = search_gb(scenario, table, a["search_wide_hours"], 1.0)
    narrow = search_gb(scenario, table, a["search_narrow_hours"], 1 / a["active_partitions"])
    tb_month = (wide_n * wide + (searches - wide_n) * narrow) * a["days_per_month"] / 1e3
    over = sum(_range_gb(scenario, a, a["search_wide_hours"], 1.0)) > ATHENA_SCAN_CUTOFF_BYTES / 1e9
    cut = ", cut off at the scan limit: they fail" if over else ""
    return Line(
        "Athena searches",
        tb_month * price["per_tb_scanned"],
        f"{tb_month:,.2f} TB: {searches:,} searches a day, {wide_n:,.0f} over the last "
        f"{a['search_wide_hours']} h of every service ({wide:,.2f} GB each{cut}), the rest "
        f"over {a['search_narrow_hours']} h of one ({narrow * 1e3:,.0f} MB)",
    )


def opensearch(scenario: Scenario, table: Mapping[str, Any]) -> Line:
    """The domain holding the hot window: enough nodes for its copies and their gp3 volume."""
    a, price = table["assumptions"], table["opensearch"]
    ratio = table["reference"]["ebs_gb_per_source_gb"]
    storage = scenario.gb_per_day * scenario.search_days * (1 + scenario.replicas) * ratio
    nodes = max(1 + scenario.replicas, math.ceil(storage / price["max_ebs_gib_per_node"]))
    hours = a["days_per_month"] * 24
    monthly = nodes * price["instance_per_hour"] * hours + storage * price["gp3_per_gb_month"]
    return Line(
        "OpenSearch hot window",
        monthly,
        f"{nodes} x {price['instance']} + {storage:,.0f} GB gp3 "
        f"({scenario.search_days} days, {scenario.replicas} replica(s))",
    )
