"""Named queries: the questions SREs and data scientists ask every day, with typed parameters.

Written once in the Athena (Trino) dialect. Every windowed query takes the half-open
window [start, end) — `since`/`until` are the same two parameters under the names the
search uses — in the one time grammar (`core/times.py`: `24h` is now - 24 h, a value
without a zone is UTC, a bare date as `end` is that day's midnight); without a start the
window is the 24 hours before its end, without an end it ends now. Queries filter on `dt`
as well as `timestamp`, so Athena prunes partitions and DuckDB chooses paths up front;
`start_dt`/`end_dt` are derived from the window, never given. An optional parameter left empty
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

from observability.core.checks import is_name
from observability.core.times import TimeGrammarError, check_order, naive_utc, parse_instant
from observability.query.base import QueryEngine, QueryError, QueryResult
from observability.query.sql import READ, parse

DEFAULT_SINCE: Final = timedelta(hours=24)
_NAME_RULE: Final = "1-128 letters, digits, '.', '_' or '-', starting with a letter or digit"
#: The window's two bounds, each under its two accepted names.
_BOUNDS: Final = (("start", "since"), ("end", "until"))


class ParamType(StrEnum):
    """How a parameter's text is read (CLI `--param k=v`, API query strings)."""

    STRING = "string"
    #: A service or model name: it pins a partition, so it follows ingest's rule.
    NAME = "name"
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

    def convert(self, raw: Any, now: datetime) -> Any:
        """The typed value of a raw value; QueryError naming the parameter otherwise."""
        try:
            if self.type is ParamType.INTEGER:
                return int(raw)
            if self.type is ParamType.NUMBER:
                return float(raw)
            if self.type is ParamType.TIMESTAMP:
                return naive_utc(parse_instant(raw, now))
            if self.type is ParamType.NAME and not is_name(str(raw)):
                raise ValueError(_NAME_RULE)
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
        now = now or datetime.now(UTC)
        known = {param.name: param for param in self.params}
        bounds = {name for pair in _BOUNDS for name in pair}
        allowed = set(known) | (bounds if self.windowed else set())
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
                values[param.name] = param.convert(given, now)
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
    given_end = _bound(raw, _BOUNDS[1], now)
    end = given_end or parse_instant(now, now)  # `now` itself, in UTC (naive means UTC)
    start = _bound(raw, _BOUNDS[0], now) or end - DEFAULT_SINCE
    try:
        check_order(start, end)
    except TimeGrammarError as exc:
        raise QueryError(f"empty window: {exc}") from None
    last = end - timedelta(microseconds=1)
    return {
        "start": naive_utc(start),
        "end": naive_utc(end),
        "start_dt": start.date().isoformat(),
        "end_dt": last.date().isoformat(),
    }


def _bound(raw: Mapping[str, Any], names: tuple[str, str], now: datetime) -> datetime | None:
    """One bound of the window, given under either of its names (not both)."""
    given = {name: raw[name] for name in names if raw.get(name) not in (None, "")}
    if len(given) > 1:
        raise QueryError(f"give {names[0]} or {names[1]}, not both")
    for name, value in given.items():
        try:
            return parse_instant(value, now)
        except TimeGrammarError as exc:
            raise QueryError(f"parameter {name}: {exc}") from None
    return None


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
