"""Partition filters read from WHERE clauses: what they pin and what they accept."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlglot import exp

from observability.query.pruning import PartitionFilter, filters
from observability.query.sql import parse


def _filter(sql: str, params: dict[str, Any] | None = None, table: str = "logs") -> PartitionFilter:
    tree = parse(sql).tree
    found = filters(tree, params or {})
    (node,) = [t for t in tree.find_all(exp.Table) if t.name == table and id(t) in found]
    return found[id(node)]


def test_equality_in_and_parameters_pin_columns() -> None:
    """`service = :s`, `dt IN (…)` and `hour = 7` pin their columns to those values."""
    where = _filter(
        "SELECT * FROM logs WHERE service = :s AND dt IN ('2026-11-23', '2026-11-24') AND hour = 7",
        {"s": "checkout"},
    )
    assert where.pinned("service") == frozenset({"checkout"})
    assert where.pinned("dt") == frozenset({"2026-11-23", "2026-11-24"})
    assert where.pinned("hour") == frozenset({"07"})
    assert where.accepts("checkout", "2026-11-23", "07")
    assert not where.accepts("checkout", "2026-11-23", "08")


def test_timestamp_range_pins_days_and_rejects_hours_outside() -> None:
    """A timestamp window names its days and accepts only the hours it overlaps."""
    where = _filter(
        "SELECT * FROM logs WHERE timestamp >= :start AND timestamp < :end",
        {"start": datetime(2026, 11, 23, 22, 30), "end": datetime(2026, 11, 24, 1, 0)},
    )
    assert where.pinned("dt") == frozenset({"2026-11-23", "2026-11-24"})
    assert where.accepts("a", "2026-11-23", "22")
    assert where.accepts("a", "2026-11-24", "00")
    assert not where.accepts("a", "2026-11-24", "01")
    assert not where.accepts("a", "2026-11-23", "21")


def test_or_and_functions_do_not_prune() -> None:
    """Predicates under OR or on computed values leave the partitions open."""
    where = _filter("SELECT * FROM logs WHERE service = 'a' OR service = 'b' AND lower(dt) = 'x'")
    assert where.pinned("service") is None
    assert where.pinned("dt") is None
    assert where.accepts("z", "2026-01-01", "00")


def test_qualified_columns_apply_to_their_table_only() -> None:
    """In a join, `p.model = 'm'` pins predictions and leaves labels open."""
    sql = (
        "SELECT * FROM predictions p JOIN labels l ON p.prediction_id = l.prediction_id"
        " WHERE p.model = 'm'"
    )
    assert _filter(sql, table="predictions").pinned("model") == frozenset({"m"})
    assert _filter(sql, table="labels").pinned("model") is None


def test_subquery_filters_apply_to_the_inner_table() -> None:
    """A WHERE inside a FROM subquery prunes the table it selects from."""
    where = _filter(
        "SELECT * FROM (SELECT * FROM logs WHERE dt BETWEEN '2026-11-01' AND '2026-11-03') x"
    )
    assert where.pinned("dt") == frozenset({"2026-11-01", "2026-11-02", "2026-11-03"})


def test_a_pinned_path_pins_nothing_and_odd_partitions_are_not_read() -> None:
    """A service that is not a name ingest accepts pins no path; a dt or hour off the grammar
    (an ISO week, year 9999, `hour=xx`) is not a partition a query reads."""
    where = _filter(
        "SELECT * FROM logs WHERE service IN (:a, :b) AND timestamp >= '2026-11-23 10:00'",
        {"a": "checkout", "b": "good/../../../usr"},
    )
    assert where.pinned("service") == frozenset({"checkout"})
    assert where.accepts("checkout", "2026-11-23", "10")
    for dt, hour in (("2026-W47-1", "10"), ("9999-12-31", "23"), ("2026-11-23", "xx")):
        assert not where.accepts("checkout", dt, hour)
    assert _filter("SELECT * FROM logs WHERE service = 'a/..'").pinned("service") == frozenset()


def test_time_literals_follow_the_grammar_without_durations() -> None:
    """A literal the grammar reads bounds the days; `30m` or a year-1 value prunes nothing."""
    assert _filter(
        "SELECT * FROM logs WHERE timestamp >= '2026-11-23T13:00+01:00' AND "
        "timestamp < '2026-11-24'"
    ).pinned("dt") == frozenset({"2026-11-23"})
    for sql in (
        "SELECT * FROM logs WHERE timestamp >= '30m' AND dt <= '2026-11-23'",
        "SELECT * FROM logs WHERE timestamp >= '0001-01-01T00:00:00+14:00' AND dt <= '2026-11-23'",
    ):
        assert _filter(sql).pinned("dt") is None
