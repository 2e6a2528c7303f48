"""Athena through pyathena: the query engine on AWS.

The same Trino SQL as DuckDB, with `:name` placeholders turned into `?` and the values
sent as Athena execution parameters (server side, in order), never formatted into the
query text. Each value is rendered as exactly one SQL literal, and checked to parse as
one. A query that outlives its timeout is cancelled with StopQueryExecution; bytes
scanned come from the execution's statistics.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, Final

import sqlglot
from pyathena.connection import Connection
from pyathena.error import Error as PyAthenaError
from sqlglot import exp

from observability.query.base import QueryError, QueryResult
from observability.query.sql import READ, check_params, check_read_only, parse, to_athena

ENGINE_NAME: Final = "athena"
DEFAULT_DATABASE: Final = "observability"
DEFAULT_WORKGROUP: Final = "observability"


class _DeadlineError(Exception):
    """Raised from pyathena's poll callback when the query ran out of time."""


class AthenaEngine:
    """Runs queries in a workgroup through an injected pyathena connection."""

    name = ENGINE_NAME

    def __init__(self, connection: Connection[Any]) -> None:
        self._connection = connection

    @classmethod
    def connect(
        cls,
        *,
        session: Any,
        region: str,
        workgroup: str = DEFAULT_WORKGROUP,
        output_location: str | None = None,
        database: str = DEFAULT_DATABASE,
        endpoint_url: str | None = None,
        poll_interval: float = 1.0,
    ) -> AthenaEngine:
        """A pyathena connection from a boto3 session (built once at the composition root)."""
        options: dict[str, Any] = {
            "session": session,
            "region_name": region,
            "work_group": workgroup,
            "s3_staging_dir": output_location or "",
            "schema_name": database,
            "poll_interval": poll_interval,
        }
        if endpoint_url:
            options["endpoint_url"] = endpoint_url
        connection: Connection[Any] = Connection(**options)
        return cls(connection)

    def execute(
        self,
        sql: str,
        params: Mapping[str, Any] | None = None,
        *,
        timeout_seconds: float | None = None,
        max_rows: int | None = None,
    ) -> QueryResult:
        """Start, poll until done (or cancel at the deadline), fetch, report the cost."""
        started = time.perf_counter()
        values = dict(params or {})
        statement = parse(sql)
        check_read_only(statement)
        check_params(statement, values)
        parameters = [athena_literal(values[name]) for name in statement.params]
        deadline = None if timeout_seconds is None else time.monotonic() + timeout_seconds
        started_ids: list[str] = []

        def on_poll(_execution: Any) -> None:
            if deadline is not None and time.monotonic() > deadline:
                raise _DeadlineError

        cursor = self._connection.cursor(on_poll=on_poll)
        try:
            cursor.execute(
                to_athena(statement),
                parameters or None,
                paramstyle="qmark",
                on_start_query_execution=started_ids.append,
            )
            columns = [d[0] for d in cursor.description or []]
            fetched = cursor.fetchmany(max_rows + 1) if max_rows is not None else cursor.fetchall()
        except _DeadlineError:
            self._cancel(started_ids)
            raise QueryError(
                f"Athena query timed out after {timeout_seconds:g} s and was cancelled"
            ) from None
        except PyAthenaError as exc:
            raise QueryError(f"Athena: {' '.join(str(exc).split())}") from None
        finally:
            cursor.close()
        rows = [tuple(row) for row in fetched]
        truncated = max_rows is not None and len(rows) > max_rows
        return QueryResult(
            columns=columns,
            rows=rows[:max_rows] if truncated else rows,
            engine=ENGINE_NAME,
            elapsed_seconds=time.perf_counter() - started,
            bytes_scanned=cursor.data_scanned_in_bytes,
            truncated=truncated,
            extra={"query_id": cursor.query_id, "state": cursor.state},
        )

    def _cancel(self, query_ids: list[str]) -> None:
        client: Any = self._connection.client
        for query_id in query_ids:
            client.stop_query_execution(QueryExecutionId=query_id)

    def close(self) -> None:
        """Close the pyathena connection."""
        self._connection.close()


def athena_literal(value: Any) -> str:
    """One SQL literal for an execution parameter; QueryError for values with no literal."""
    if value is None:
        text = "NULL"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise QueryError(f"parameter value {value!r} has no SQL literal")
        text = repr(value)
    elif isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        text = f"TIMESTAMP '{value.strftime('%Y-%m-%d %H:%M:%S.%f')}'"
    elif isinstance(value, date):
        text = f"DATE '{value.isoformat()}'"
    elif isinstance(value, str):
        text = "'" + value.replace("'", "''") + "'"
    else:
        raise QueryError(f"parameter of type {type(value).__name__} cannot be bound")
    _check_single_literal(text)
    return text


def _check_single_literal(text: str) -> None:
    """Belt and braces: the rendered value parses as one literal, nothing more."""
    node: exp.Expr | None = sqlglot.parse_one(text, read=READ)
    while isinstance(node, exp.Cast | exp.Neg):
        node = node.this
    if not isinstance(node, exp.Literal | exp.Null | exp.Boolean):
        raise QueryError(f"parameter value does not render as one literal: {text!r}")
