"""Partition pruning: which partitions a query can touch, read from its WHERE clause.

Listing every partition of a table costs more than the query it serves (1,680 hour
partitions: ≈108 ms to list, ≈3 ms with the paths chosen up front). For every table
reference we collect the top-level AND-ed predicates of its SELECT's WHERE that pin a
partition column (`service`/`model`, `dt`, `hour`) or bound `timestamp` (partitions are
cut from it): equality, IN, BETWEEN and range comparisons against literals or bound
parameters. Anything else is ignored, which only means reading more: the WHERE still
runs in the engine, so pruning can never change an answer.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from sqlglot import exp

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
        start = datetime.fromisoformat(dt).replace(tzinfo=UTC)
        end = start + timedelta(days=1)
        if hour is not None:
            start += timedelta(hours=int(hour))
            end = start + timedelta(hours=1)
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
    return [Condition(column, "in", values)]


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
        return [Condition(column, "in", frozenset({value}))]
    return [Condition(column, op, value)]


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
            return raw.astimezone(UTC).date().isoformat() if raw.tzinfo else raw.date().isoformat()
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
    if isinstance(raw, datetime):
        moment = raw
    elif isinstance(raw, date):
        moment = datetime(raw.year, raw.month, raw.day)
    elif isinstance(raw, str):
        try:
            moment = datetime.fromisoformat(raw.strip().replace(" ", "T"))
        except ValueError:
            raise _NotConstantError from None
    else:
        raise _NotConstantError
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
