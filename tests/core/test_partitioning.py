"""Partition keys, storage keys and the Firehose prefix come from one rule."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from observability.core.keys import error_key
from observability.core.partitioning import (
    Partition,
    firehose_prefix,
    group_key,
    parse_prefix,
    partition_of,
)
from observability.core.schema import Kind

NAMES = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,30}", fullmatch=True)
DAYS = st.dates().map(lambda d: d.strftime("%Y-%m-%d") if d.year >= 1000 else "2026-01-01")
HOURS = st.integers(0, 23).map(lambda h: f"{h:02d}")


def test_partition_of_each_kind() -> None:
    """Logs by service and hour, predictions by model and hour, labels by model and day."""
    ts = "2026-11-23T13:45:00.000000Z"
    log = partition_of(Kind.LOG, {"timestamp": ts, "service": "api"})
    assert log == Partition(Kind.LOG, "api", "2026-11-23", "13")
    assert log.prefix == "logs/service=api/dt=2026-11-23/hour=13/"
    pred = partition_of(Kind.PREDICTION, {"timestamp": ts, "model": "churn"})
    assert pred.prefix == "predictions/model=churn/dt=2026-11-23/hour=13/"
    assert pred.firehose_keys() == {"model": "churn", "dt": "2026-11-23", "hour": "13"}
    label = partition_of(Kind.LABEL, {"timestamp": ts, "model": "churn"})
    assert label.prefix == "labels/model=churn/dt=2026-11-23/"
    assert label.firehose_keys() == {"model": "churn", "dt": "2026-11-23"}
    assert isinstance(label, Partition) and label.hour is None


def test_firehose_prefixes() -> None:
    """The delivery stream prefix for each kind, in the storage layout."""
    assert firehose_prefix(Kind.LOG) == (
        "logs/service=!{partitionKeyFromLambda:service}/dt=!{partitionKeyFromLambda:dt}/"
        "hour=!{partitionKeyFromLambda:hour}/"
    )
    assert firehose_prefix(Kind.PREDICTION).startswith(
        "predictions/model=!{partitionKeyFromLambda:model}/"
    )
    assert firehose_prefix(Kind.LABEL) == (
        "labels/model=!{partitionKeyFromLambda:model}/dt=!{partitionKeyFromLambda:dt}/"
    )


def test_error_and_object_keys() -> None:
    """errors/ and data keys follow the documented layout."""
    assert error_key("transform", "bad_encoding", "2026-11-23", "f.json.gz") == (
        "errors/transform/bad_encoding/dt=2026-11-23/f.json.gz"
    )
    part = Partition(Kind.LOG, "api", "2026-11-23", "13")
    assert part.object_key("f") == "logs/service=api/dt=2026-11-23/hour=13/f"
    assert part.compacted_key("p") == "compacted/logs/service=api/dt=2026-11-23/hour=13/p"


def test_parse_prefix_refuses_non_partitions() -> None:
    """Paths without the partition columns are refused."""
    with pytest.raises(ValueError, match="not a partition path"):
        parse_prefix("logs/dt=2026-11-23/")
    with pytest.raises(ValueError, match="unknown kind"):
        parse_prefix("metrics/model=a/dt=2026-11-23/")


@given(kind=st.sampled_from(Kind), key=NAMES, dt=DAYS, hour=HOURS)
def test_prefix_round_trip(kind: Kind, key: str, dt: str, hour: str) -> None:
    """parse_prefix inverts prefix, object keys and compacted keys alike."""
    part = Partition(kind, key, dt, None if kind is Kind.LABEL else hour)
    assert parse_prefix(part.prefix) == part
    assert parse_prefix(part.object_key("x.json.gz")) == part
    assert parse_prefix(part.compacted_key("p.parquet")) == part


@given(kind=st.sampled_from(Kind), key=NAMES, dt=DAYS, hour=HOURS)
def test_firehose_keys_fill_the_prefix(kind: Kind, key: str, dt: str, hour: str) -> None:
    """Substituting the transform's keys into the Firehose prefix gives the storage prefix."""
    part = Partition(kind, key, dt, None if kind is Kind.LABEL else hour)
    prefix = firehose_prefix(kind)
    for name, value in part.firehose_keys().items():
        prefix = prefix.replace(f"!{{partitionKeyFromLambda:{name}}}", value)
    assert prefix == part.prefix


@given(key=NAMES, dt=DAYS, hour=HOURS)
def test_group_key_agrees_with_partition(key: str, dt: str, hour: str) -> None:
    """Records with equal group keys share a partition."""
    ts = f"{dt}T{hour}:00:00.000000Z"
    record = {"timestamp": ts, "service": key}
    other = {"timestamp": f"{dt}T{hour}:59:59.999999Z", "service": key}
    assert group_key(Kind.LOG, record) == group_key(Kind.LOG, other)
    assert partition_of(Kind.LOG, record) == partition_of(Kind.LOG, other)
