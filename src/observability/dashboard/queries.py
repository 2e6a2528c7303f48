"""`GET /queries` and `GET /queries/{name}`: the named queries and one run of one of them.

Parameters arrive as query-string text and are typed by the query's own declaration
(`query/named.py`: unknown or ill-typed ones are a QueryError, 400). Rows come back as
JSON objects: timestamps in the canonical UTC form (`…Z`), decimals as numbers.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Final

from observability.core.times import format_instant
from observability.dashboard.errors import NotFoundError
from observability.dashboard.schemas import QueryInfo, QueryList, QueryParam, QueryRows
from observability.query.base import QueryEngine
from observability.query.library import NAMED
from observability.query.named import NamedQuery


def catalog() -> QueryList:
    """Every named query with its typed parameters."""
    return QueryList(queries=[_info(NAMED[name]) for name in sorted(NAMED)])


def _info(query: NamedQuery) -> QueryInfo:
    return QueryInfo(
        name=query.name,
        doc=query.doc,
        windowed=query.windowed,
        params=[
            QueryParam(
                name=p.name,
                type=p.type.value,
                doc=p.doc,
                default=p.default,
                required=not p.optional and p.default is None,
            )
            for p in query.params
        ],
    )


def named(name: str) -> NamedQuery:
    """The query called `name`; NotFoundError lists the names."""
    query = NAMED.get(name)
    if query is None:
        raise NotFoundError(f"no named query {name[:80]!r} (have: {', '.join(sorted(NAMED))})")
    return query


def run(engine: QueryEngine, name: str, raw: Mapping[str, str]) -> QueryRows:
    """Bind the parameters, run on `engine` (its own row and time limits), return the rows."""
    query = named(name)
    result = query.run(engine, raw)
    rows = [
        {c: _json_value(v) for c, v in zip(result.columns, row, strict=True)} for row in result.rows
    ]
    return QueryRows(
        name=query.name,
        columns=result.columns,
        rows=rows,
        truncated=result.truncated,
        engine=result.engine,
        elapsed_seconds=result.elapsed_seconds,
    )


def _finite(number: float) -> float | None:
    return number if math.isfinite(number) else None


#: How a value of each type an engine returns is carried in JSON (the first match wins).
_CONVERTERS: Final[tuple[tuple[type | tuple[type, ...], Callable[[Any], Any]], ...]] = (
    (float, _finite),
    (decimal.Decimal, lambda value: _finite(float(value))),
    (dt.datetime, format_instant),  # naive means UTC, as the engines return it
    ((dt.date, dt.time), lambda value: value.isoformat()),
    (dt.timedelta, lambda value: value.total_seconds()),
    (uuid.UUID, str),
    (bytes, bytes.hex),
)


def _json_value(value: Any) -> Any:
    """A value DuckDB or Athena returned, as JSON can carry it."""
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    for kind, convert in _CONVERTERS:
        if isinstance(value, kind):
            return convert(value)
    return value
