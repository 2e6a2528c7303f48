"""Named queries: the questions SREs and data scientists ask every day, with typed parameters.

Written once in the Athena (Trino) dialect. Every windowed query takes `start` and `end`
(UTC timestamps, `end` exclusive; `--since 24h` sets start = now - 24 h) and filters on
`dt` as well as `timestamp`, so Athena prunes partitions and DuckDB chooses paths up front;
`start_dt`/`end_dt` are derived from them, never given. An optional parameter left empty
drops the predicates that use it (e.g. no `service`: every service), on the parse tree.

Latency of a request is the log attribute `latency_ms` (a number, milliseconds), the
name the SDK and the demo use: `log.info("request handled", latency_ms=12.5)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from sqlglot import exp

from observability.query.base import QueryEngine, QueryError, QueryResult
from observability.query.sql import READ, parse

DEFAULT_SINCE: Final = timedelta(hours=24)
_UNITS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class ParamType(StrEnum):
    """How a parameter's text is read (CLI `--param k=v`, API query strings)."""

    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    TIMESTAMP = "timestamp"


@dataclass(frozen=True, slots=True)
class Param:
    """One typed parameter; `optional` ones drop their predicates when left empty."""

    name: str
    type: ParamType
    doc: str
    default: Any = None
    optional: bool = False

    def convert(self, raw: Any) -> Any:
        """The typed value of a raw value; QueryError naming the parameter otherwise."""
        try:
            if self.type is ParamType.INTEGER:
                return int(raw)
            if self.type is ParamType.NUMBER:
                return float(raw)
            if self.type is ParamType.TIMESTAMP:
                return parse_time(raw)
            return str(raw)
        except (TypeError, ValueError) as exc:
            raise QueryError(
                f"parameter {self.name}: {raw!r} is not a {self.type}: {exc}"
            ) from None


@dataclass(frozen=True, slots=True)
class NamedQuery:
    """A query by name: its SQL (Trino), its parameters, what it answers."""

    name: str
    doc: str
    sql: str
    params: tuple[Param, ...]
    windowed: bool = True

    def bind(
        self, raw: Mapping[str, Any], *, now: datetime | None = None
    ) -> tuple[str, dict[str, Any]]:
        """SQL with empty optional predicates removed, and typed values for every placeholder."""
        known = {param.name: param for param in self.params}
        allowed = set(known) | ({"start", "end", "since"} if self.windowed else set())
        unknown = sorted(set(raw) - allowed)
        if unknown:
            names = ", ".join(sorted(allowed))
            raise QueryError(f"{self.name}: unknown parameter(s) {', '.join(unknown)} ({names})")
        values: dict[str, Any] = {}
        for param in self.params:
            given = raw.get(param.name)
            if given is None or given == "":
                if not param.optional and param.default is None:
                    raise QueryError(f"{self.name}: parameter {param.name} is required")
                values[param.name] = param.default
            else:
                values[param.name] = param.convert(given)
        if self.windowed:
            values.update(window(raw, now=now))
        tree = parse(self.sql).tree
        empty = {name for name, value in values.items() if value is None}
        if empty:
            _drop_predicates(tree, empty)
        used = {node.name for node in tree.find_all(exp.Placeholder)}
        return tree.sql(READ), {name: values[name] for name in used}

    def run(
        self,
        engine: QueryEngine,
        raw: Mapping[str, Any],
        *,
        now: datetime | None = None,
        timeout_seconds: float | None = None,
        max_rows: int | None = None,
    ) -> QueryResult:
        """Bind and execute on either engine."""
        sql, values = self.bind(raw, now=now)
        return engine.execute(sql, values, timeout_seconds=timeout_seconds, max_rows=max_rows)


def window(raw: Mapping[str, Any], *, now: datetime | None = None) -> dict[str, Any]:
    """`start`, `end` (naive UTC, end exclusive) and the `dt` bounds that cover them."""
    now = now or datetime.now(UTC)
    end = parse_time(raw["end"]) if raw.get("end") else _naive(now)
    if raw.get("start"):
        start = parse_time(raw["start"])
    elif raw.get("since"):
        start = end - parse_duration(str(raw["since"]))
    else:
        start = end - DEFAULT_SINCE
    if start >= end:
        raise QueryError(f"empty window: start {start.isoformat()} is not before end")
    last = end - timedelta(microseconds=1)
    return {
        "start": start,
        "end": end,
        "start_dt": start.date().isoformat(),
        "end_dt": last.date().isoformat(),
    }


def parse_duration(text: str) -> timedelta:
    """`90s`, `15m`, `24h`, `7d`, `2w` -> a timedelta."""
    text = text.strip().lower()
    unit = _UNITS.get(text[-1:]) if text else None
    try:
        amount = float(text[:-1]) if unit is not None else float("nan")
    except ValueError:
        amount = float("nan")
    if unit is None or not amount > 0:
        raise QueryError(f"not a duration: {text!r} (use e.g. 30m, 24h, 7d)")
    return timedelta(seconds=amount * unit)


def parse_time(raw: Any) -> datetime:
    """An ISO 8601 time or date (UTC unless it says otherwise) -> naive UTC datetime."""
    if isinstance(raw, datetime):
        return _naive(raw)
    try:
        moment = datetime.fromisoformat(str(raw).strip().replace("Z", "+00:00"))
    except ValueError:
        raise QueryError(f"not an ISO 8601 time: {raw!r}") from None
    return _naive(moment)


def _naive(moment: datetime) -> datetime:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _drop_predicates(tree: exp.Expr, names: set[str]) -> None:
    """Replace each AND-ed predicate that uses an empty parameter by TRUE."""
    for placeholder in list(tree.find_all(exp.Placeholder)):
        if placeholder.name not in names or placeholder.root() is not tree:
            continue  # a value is given, or its predicate is already gone
        node: exp.Expr = placeholder
        while node.parent is not None and not isinstance(node.parent, exp.And | exp.Where):
            node = node.parent
        if node.parent is None:
            raise QueryError(f"parameter {placeholder.name} is not in an AND-ed predicate")
        node.replace(exp.true())
