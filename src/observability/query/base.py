"""The query contract: one SQL text (Athena/Trino dialect), two engines, one result shape."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from observability.core.errors import ObservabilityError


class QueryError(ObservabilityError):
    """A query that could not run: bad SQL (with line/column), a timeout, a refused statement."""

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None):
        self.line = line
        self.column = column
        where = f" (line {line}, column {column})" if line is not None else ""
        super().__init__(f"{message}{where}")


class QueryRefusedError(QueryError):
    """A statement the guard will not run: not one SELECT over our tables (HTTP 400)."""


class QueryLimitError(QueryError):
    """A query stopped at a limit: its time-out, its memory cap or the result's size.

    `peak_rss_bytes` is the query process's peak resident memory when it was measured.
    """

    def __init__(self, message: str, *, peak_rss_bytes: int | None = None) -> None:
        self.peak_rss_bytes = peak_rss_bytes
        super().__init__(message)


@dataclass(slots=True)
class QueryResult:
    """Rows of a finished query and what it cost."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    engine: str
    elapsed_seconds: float = 0.0
    #: Bytes the engine read (Athena reports it; DuckDB: bytes of the files it was given).
    bytes_scanned: int | None = None
    truncated: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dicts(self) -> list[dict[str, Any]]:
        """Rows as column -> value mappings (the CLI's JSON output, the API's body)."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


class QueryEngine(Protocol):
    """Athena through pyathena, or DuckDB in process; SQL is written for Athena (Trino).

    Parameters are written as `:name` in the SQL and always bound by the engine, never
    formatted into the text.
    """

    name: str

    def execute(
        self,
        sql: str,
        params: Mapping[str, Any] | None = None,
        *,
        timeout_seconds: float | None = None,
        max_rows: int | None = None,
    ) -> QueryResult:
        """Run one statement and return its rows; raise QueryError with a readable message."""
        ...

    def close(self) -> None:
        """Release connections and temporary state."""
        ...
