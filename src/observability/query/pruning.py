"""Partition pruning: which partitions a query can touch, read from its WHERE clause.

Listing every partition of a table costs more than the query it serves (1,680 hour
partitions: ≈108 ms to list, ≈3 ms with the paths chosen up front). For every table
reference we collect the top-level AND-ed predicates of its SELECT's WHERE that pin a
partition column (`service`/`model`, `dt`, `hour`) or bound `timestamp` (partitions are
cut from it): equality, IN, BETWEEN and range comparisons against literals or bound
parameters. Anything else is ignored, which only means reading more: the WHERE still
runs in the engine, so pruning can never change an answer.

A pinned value becomes a store path, so a service or model pinned by `=` or `IN` that is
not a name ingest accepts (`core/checks.py`) pins nothing: no partition can hold it, and
no path is built from it (`service=../../usr` lists nothing). Likewise a directory whose
`dt` or `hour` is not a day or an hour of the time grammar (`core/times.py`) holds nothing
ingest writes and is not read. Time literals are read by that grammar, durations excepted.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, Final

from sqlglot import exp

from observability.core.checks import is_name
from observability.core.times import TimeGrammarError, parse_absolute, utc_instant
from observability.query.tables import TABLE_SPECS, TableSpec

#: A bounded `dt` range up to this many days is turned into paths instead of a listing.
MAX_PINNED_DAYS: Final = 62

_FLIP: Final = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "=": "="}
_OPS: Final[Mapping[type[exp.Expr], str]] = {
    exp.EQ: "=",
    exp.GT: ">",
    exp.GTE: ">=",
    exp.LT: "<",
    exp.LTE: "<=",
}
_COMPARE: Final[Mapping[str, Callable[[Any, Any], bool]]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}


@lru_cache(maxsize=4096)
def _span(dt: str, hour: str | None) -> tuple[datetime, datetime] | None:
    """The time a day (hour) partition covers; None when its values are not one.
    Cached: a plan asks once per partition, and services share their days and hours."""
    if len(dt) != 10 or (hour is not None and len(hour) != 2):
        return None
    try:
        start = parse_absolute(dt if hour is None else f"{dt}T{hour}")
    except TimeGrammarError:
        return None
    return start, start + (timedelta(days=1) if hour is None else timedelta(hours=1))


@dataclass(frozen=True, slots=True)
class Condition:
    """`column op value` with the value normalised to the partition's form."""

    column: str
    op: str  # "in", ">", ">=", "<", "<="
    value: Any  # frozenset for "in"


@dataclass(slots=True)
class PartitionFilter:
    """The AND of conditions on one table reference's partition columns."""

    table: TableSpec
    conditions: list[Condition] = field(default_factory=list)

    def pinned(self, column: str) -> frozenset[str] | None:
        """The only values a column can take, or None when it is not pinned."""
        values: frozenset[str] | None = None
        for condition in self.conditions:
            if condition.column == column and condition.op == "in":
                values = condition.value if values is None else values & condition.value
        if values is None and column == "dt":
            values = self._days()
        return values

    def accepts(self, key: str, dt: str, hour: str | None) -> bool:
        """Whether a partition can hold rows the query wants."""
        span = _span(dt, hour)
        if span is None:
            return False  # not a day (hour) of the layout: ingest never writes there
        start, end = span
        values = {self.table.key_column: key, "dt": dt, "hour": hour}
        for condition in self.conditions:
            if condition.column == "timestamp":
                if not _overlaps(condition, start, end):
                    return False
                continue
            value = values.get(condition.column)
            if value is None:
                continue
            if condition.op == "in":
                if value not in condition.value:
                    return False
            elif not _COMPARE[condition.op](value, condition.value):
                return False
        return True

    def _days(self) -> frozenset[str] | None:
        """Days of a bounded dt/timestamp range, when few enough to name them."""
        low: date | None = None
        high: date | None = None
        for condition in self.conditions:
            if condition.column not in ("dt", "timestamp") or condition.op == "in":
                continue
            bound = condition.value
            day = bound.date() if isinstance(bound, datetime) else date.fromisoformat(bound)
            if condition.op in (">", ">="):
                low = day if low is None else max(low, day)
            else:
                if (
                    condition.column == "timestamp"
                    and condition.op == "<"
                    and bound == datetime(day.year, day.month, day.day, tzinfo=UTC)
                ):
                    day -= timedelta(days=1)  # `< midnight` ends the day before
                high = day if high is None else min(high, day)
        if low is None or high is None or (high - low).days > MAX_PINNED_DAYS:
            return None
        count = max((high - low).days + 1, 0)
        return frozenset((low + timedelta(days=n)).isoformat() for n in range(count))


def _overlaps(condition: Condition, start: datetime, end: datetime) -> bool:
    """Whether rows with timestamps in [start, end) can satisfy a timestamp condition."""
    value = condition.value
    if condition.op == "in":
        return any(start <= moment < end for moment in value)
    if condition.op in (">", ">="):
        return bool(end > value)
    if condition.op == "<=":
        return bool(start <= value)
    return bool(start < value)


def filters(tree: exp.Expr, params: Mapping[str, Any]) -> dict[int, PartitionFilter]:
    """A filter per known-table reference, keyed by `id()` of its sqlglot Table node."""
    found: dict[int, PartitionFilter] = {}
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        spec = TABLE_SPECS.get(table.name)
        if spec is None or table.name in ctes:
            continue
        partition_filter = PartitionFilter(spec)
        select = _owning_select(table)
        where = select.args.get("where") if select is not None else None
        if where is not None:
            names = {table.alias_or_name, table.name}
            for conjunct in _conjuncts(where.this):
                partition_filter.conditions.extend(_conditions(conjunct, spec, names, params))
        found[id(table)] = partition_filter
    return found


def _owning_select(table: exp.Table) -> exp.Select | None:
    """The SELECT whose FROM or JOIN names this table directly."""
    parent = table.parent
    if isinstance(parent, exp.From | exp.Join) and isinstance(parent.parent, exp.Select):
        return parent.parent
    return None


def _conjuncts(node: exp.Expr) -> Iterable[exp.Expr]:
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.And):
        yield from _conjuncts(node.left)
        yield from _conjuncts(node.right)
    else:
        yield node


def _conditions(
    node: exp.Expr, spec: TableSpec, names: set[str], params: Mapping[str, Any]
) -> list[Condition]:
    """Conditions a predicate puts on the table's prunable columns (none if unknown)."""
    try:
        if isinstance(node, exp.Between):
            return _between(node, spec, names, params)
        if isinstance(node, exp.In) and not node.args.get("query"):
            return _in(node, spec, names, params)
        if isinstance(node, exp.Binary) and type(node) in _OPS:
            return _comparison(node, spec, names, params)
    except (_NotConstantError, ValueError, TypeError):
        pass
    return []


def _between(
    node: exp.Between, spec: TableSpec, names: set[str], params: Mapping[str, Any]
) -> list[Condition]:
    column = _column(node.this, names, spec.prunable)
    if column is None:
        return []
    low = _value(column, node.args["low"], params)
    high = _value(column, node.args["high"], params)
    return [Condition(column, ">=", low), Condition(column, "<=", high)]


def _in(
    node: exp.In, spec: TableSpec, names: set[str], params: Mapping[str, Any]
) -> list[Condition]:
    column = _column(node.this, names, spec.prunable)
    if column is None or column == "timestamp":
        return []
    values = frozenset(_value(column, item, params) for item in node.expressions)
    return [Condition(column, "in", _checked_keys(column, spec, values))]


def _comparison(
    node: exp.Binary, spec: TableSpec, names: set[str], params: Mapping[str, Any]
) -> list[Condition]:
    op = _OPS[type(node)]
    column, other = _column(node.left, names, spec.prunable), node.right
    if column is None:
        column, other, op = _column(node.right, names, spec.prunable), node.left, _FLIP[op]
    if column is None:
        return []
    value = _value(column, other, params)
    if op == "=":
        return [Condition(column, "in", _checked_keys(column, spec, frozenset({value})))]
    return [Condition(column, op, value)]


def _checked_keys(column: str, spec: TableSpec, values: frozenset[Any]) -> frozenset[Any]:
    """Pinned services or models become store paths: only names ingest accepts remain."""
    if column != spec.key_column:
        return values
    return frozenset(value for value in values if is_name(value))


def _column(node: exp.Expr, names: set[str], columns: tuple[str, ...]) -> str | None:
    if not isinstance(node, exp.Column) or node.name not in columns:
        return None
    qualifier = node.table
    return node.name if not qualifier or qualifier in names else None


class _NotConstantError(Exception):
    """The other side of a comparison is not a literal or a bound parameter."""


def _value(column: str, node: exp.Expr, params: Mapping[str, Any]) -> Any:
    """A literal or a parameter's value, in the form partition values are compared in."""
    raw = _constant(node, params)
    if column == "timestamp":
        return _as_datetime(raw)
    if column == "dt":
        if isinstance(raw, datetime):
            return _as_datetime(raw).date().isoformat()
        if isinstance(raw, date):
            return raw.isoformat()
        return date.fromisoformat(str(raw)[:10]).isoformat()
    if column == "hour":
        return f"{int(raw):02d}"
    if not isinstance(raw, str):
        raise _NotConstantError
    return raw


def _constant(node: exp.Expr, params: Mapping[str, Any]) -> Any:
    while isinstance(node, exp.Cast | exp.TryCast | exp.Paren):
        node = node.this
    if isinstance(node, exp.Placeholder) and node.name in params:
        return params[node.name]
    if isinstance(node, exp.Literal):
        return node.this if node.is_string else float(node.this)
    if isinstance(node, exp.StrToTime | exp.TsOrDsToTimestamp):
        return _constant(node.this, params)
    raise _NotConstantError


def _as_datetime(raw: Any) -> datetime:
    """A bound as an aware UTC datetime (naive means UTC); outside the grammar: not pruned."""
    try:
        if isinstance(raw, datetime):
            return utc_instant(raw)
        if isinstance(raw, date):
            return utc_instant(datetime(raw.year, raw.month, raw.day))
        if isinstance(raw, str):
            return parse_absolute(raw)  # a SQL literal: `30m` is text there, not a time
    except TimeGrammarError:
        pass
    raise _NotConstantError
