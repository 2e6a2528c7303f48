"""The embedded search: the query AST as parameterised SQL over the `logs` table (or
`predictions`, whose `features.<name>:value` matches the feature's JSON text exactly,
as OpenSearch's `flat_object` does).

Runs on any `QueryEngine` (DuckDB over the store by default), with every value bound as
a `:name` parameter. Text terms become one regular expression each over `lower(event)`
(see `text.py`), so the hits are those OpenSearch's standard analyzer would give. Every
leaf is wrapped in `COALESCE(..., FALSE)`: a record without the field does not match,
and `NOT` of it does, as in OpenSearch's `must_not`. One known difference: the index does
not index keyword values over 1,024 characters (`ignore_above`), so an exact match on
such a value finds the record here but not in OpenSearch.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any, Final

from observability.core.fields import Kind
from observability.query.base import QueryEngine, QueryError
from observability.search.hits import KIND_HIT_FIELDS, to_hit
from observability.search.model import (
    ATTRIBUTE_PREFIX,
    FEATURE_PREFIX,
    And,
    Exact,
    MatchAll,
    Node,
    Not,
    Or,
    SearchBackendError,
    Text,
)
from observability.search.request import (
    Aggregations,
    Bucket,
    Cursor,
    SearchRequest,
    SearchResult,
    iso_ms,
)
from observability.search.text import phrase_regex, prefix_regex

BACKEND: Final = "embedded"
#: Whole milliseconds since the epoch: the time buckets of the aggregations.
TS_MS: Final = "date_diff('millisecond', from_unixtime(0), timestamp)"
#: The sort key: microseconds since the epoch, the records' full precision.
TS_US: Final = "date_diff('microsecond', from_unixtime(0), timestamp)"
NS_PER_US: Final = 1000
#: JSON-text columns reached by a path (`exception.type`, `attributes.<key>`).
_JSON_PATHS: Final = {"exception.type": ("exception", "type")}
#: Free-form JSON-text columns whose leaves a query names as `<column>.<key>`.
_JSON_COLUMNS: Final = (ATTRIBUTE_PREFIX, FEATURE_PREFIX)
#: The column the `models` filter matches, per kind.
_MODEL_COLUMN: Final = {Kind.LOG: "attributes.model", Kind.PREDICTION: "model"}


@dataclass
class Sql:
    """A WHERE clause under construction and its bound parameters."""

    params: dict[str, Any] = field(default_factory=dict)
    _names: itertools.count[int] = field(default_factory=itertools.count)

    def bind(self, value: Any) -> str:
        """A fresh `:pN` placeholder bound to `value`."""
        name = f"p{next(self._names)}"
        self.params[name] = value
        return f":{name}"

    def node(self, node: Node) -> str:
        """SQL for one AST node."""
        if isinstance(node, Text):
            pattern = prefix_regex(node.words[0]) if node.prefix else phrase_regex(list(node.words))
            return f"COALESCE(regexp_like(lower(event), {self.bind(pattern)}), FALSE)"
        if isinstance(node, Exact):
            column, value = column_sql(node.field), self.bind(node.value)
            test = f"starts_with({column}, {value})" if node.prefix else f"{column} = {value}"
            return f"COALESCE({test}, FALSE)"
        if isinstance(node, And | Or):
            joiner = " AND " if isinstance(node, And) else " OR "
            return "(" + joiner.join(self.node(child) for child in node.children) + ")"
        if isinstance(node, Not):
            return f"(NOT {self.node(node.child)})"
        assert isinstance(node, MatchAll)
        return "TRUE"

    def any_of(self, column: str, values: tuple[str, ...]) -> str:
        """`column IN (...)` with one parameter per value."""
        return f"{column} IN ({', '.join(self.bind(v) for v in values)})"


def column_sql(name: str) -> str:
    """The SQL expression of a searchable field (a column, or a path into JSON text)."""
    if name.startswith(_JSON_COLUMNS):
        column, path = name.split(".", 1)
    elif name in _JSON_PATHS:
        column, path = _JSON_PATHS[name]
    else:
        return name
    # The path is validated by the parser (letters, digits, _ and dots): safe as a literal.
    return f"json_extract_scalar({column}, '$.{path}')"


def where_sql(request: SearchRequest, sql: Sql) -> str:
    """The WHERE of a request: the query, the filters and the time range."""
    parts = [sql.node(request.query)]
    for column, values in (
        ("service", request.services),
        ("level", request.levels),
        ("env", request.envs),
        ("trace_id", request.trace_ids),
        (column_sql(_MODEL_COLUMN[request.kind]), request.models),
    ):
        if values:
            parts.append(sql.any_of(column, values))
    if request.since is not None:
        parts.append(f"timestamp >= {sql.bind(request.since)}")
    if request.until is not None:
        parts.append(f"timestamp < {sql.bind(request.until)}")
    return " AND ".join(parts)


def cursor_sql(request: SearchRequest, sql: Sql, sort_us: str) -> str:
    """Rows after the cursor in sort order: (µs, record_id) past the last hit's."""
    if request.after is None:
        return "TRUE"
    op = "<" if request.sort == "desc" else ">"
    ts = sql.bind(request.after.timestamp_ns // NS_PER_US)
    rid = sql.bind(request.after.record_id)
    return f"({sort_us} {op} {ts} OR ({sort_us} = {ts} AND record_id {op} {rid}))"


class EmbeddedSearch:
    """Search over the store through the query layer; no OpenSearch needed."""

    name = BACKEND

    def __init__(self, engine: QueryEngine, *, timeout_seconds: float | None = 30.0) -> None:
        self._engine = engine
        self._timeout = timeout_seconds

    def search(self, request: SearchRequest) -> SearchResult:
        """One page of hits, the total and, when asked, the aggregations.

        One statement reads the matching rows once: the total counts them all, the page
        takes the rows after the cursor. A LEFT JOIN keeps the total when the page is empty.
        """
        started = time.perf_counter()
        sql = Sql()
        order = "DESC" if request.sort == "desc" else "ASC"
        where = where_sql(request, sql)
        after = cursor_sql(request, sql, "sort_us")
        limit = sql.bind(request.size + 1)
        fields = ", ".join(KIND_HIT_FIELDS[request.kind])
        rows = self._run(
            f"WITH matched AS (SELECT {fields}, {TS_US} AS sort_us "  # noqa: S608
            f"FROM {request.kind.plural} WHERE {where}), "
            f"page AS (SELECT * FROM matched WHERE {after} "
            f"ORDER BY sort_us {order}, record_id {order} LIMIT {limit}) "
            "SELECT counted.total_n, page.* FROM (SELECT count(*) AS total_n FROM matched) "
            f"AS counted LEFT JOIN page ON TRUE ORDER BY page.sort_us {order}, "
            f"page.record_id {order}",
            sql.params,
        )
        total = int(rows[0]["total_n"])
        rows = [row for row in rows if row["record_id"] is not None]
        more = len(rows) > request.size
        rows = rows[: request.size]
        last = rows[-1] if more else None
        cursor = Cursor(last["sort_us"] * NS_PER_US, last["record_id"]) if last else None
        return SearchResult(
            hits=[to_hit(row, request.kind, sql_row=True) for row in rows],
            total=total,
            next_cursor=cursor.encode() if cursor else None,
            backend=BACKEND,
            took_ms=(time.perf_counter() - started) * 1000,
            aggregations=self._aggregations(request),
        )

    def _aggregations(self, request: SearchRequest) -> Aggregations | None:
        """Both breakdowns in one statement, with GROUPING SETS."""
        interval = request.interval_ms
        if interval is None:
            return None
        sql = Sql()
        where = where_sql(request, sql)
        width = sql.bind(interval)
        rows = self._run(
            f"SELECT bucket, level, service, count(*) AS n FROM ("  # noqa: S608 - bound values
            f"SELECT {TS_MS} - ({TS_MS} % {width}) AS bucket, level, service FROM logs "
            f"WHERE {where}) AS t GROUP BY GROUPING SETS ((bucket, level), (bucket, service)) "
            "ORDER BY bucket, level, service",
            sql.params,
        )
        found: dict[str, list[Bucket]] = {"level": [], "service": []}
        for row in rows:
            key = "level" if row["level"] is not None else "service"
            found[key].append(Bucket(iso_ms(int(row["bucket"])), row[key], int(row["n"])))
        return Aggregations(interval, found["level"], found["service"])

    def _run(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            result = self._engine.execute(sql, params, timeout_seconds=self._timeout)
        except QueryError as exc:
            raise SearchBackendError(f"embedded search failed: {exc}") from exc
        return result.to_dicts()

    def close(self) -> None:
        """Close the query engine."""
        self._engine.close()
