"""DuckDB over the store layout: the planner, and the in-process engine for our own SQL.

Every table a query names becomes a temporary view over exactly the files its WHERE can
need (see `pruning.py` and `layout.py`): compacted Parquet where it exists, gzip NDJSON
for what compaction has not covered. `Planner` does that in the calling process (listing
needs the store's filesystem) and hands back a `Plan`: the view definitions and the
statement in DuckDB's dialect, checked again after transpiling. `DuckDBEngine` runs plans
in this process, in a sandboxed connection (`sandbox.py`), for the package's own SQL
(search, drift, the demo); user SQL runs in a query process (`isolated.py`).
DuckDB 2.0 cannot download its httpfs extension here, so an S3 store is read through
pyarrow's `S3FileSystem`, handed to DuckDB as an fsspec filesystem for `s3://` paths.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Mapping
from typing import Any, Final

import duckdb

# pyarrow ships no type information; its objects are Any here.
import pyarrow.fs as pafs
from sqlglot import exp

from observability.core.fields import HOT_SOURCE
from observability.query.base import QueryError, QueryLimitError, QueryResult
from observability.query.layout import FileSet, StoreLayout
from observability.query.pruning import filters
from observability.query.sandbox import Plan, Sandbox, connect, first_line, open_views
from observability.query.sql import (
    check_params,
    check_read_only,
    check_transpiled,
    parse,
    to_duckdb,
)
from observability.query.tables import TableSpec
from observability.store.base import ObjectStore
from observability.store.local import LocalStore
from observability.store.s3 import S3Store

ENGINE_NAME: Final = "duckdb"


class Planner:
    """Trino SQL to a DuckDB `Plan` over one store: parsed, guarded, pruned, files chosen."""

    def __init__(
        self, store: ObjectStore, *, s3_filesystem: Any | None = None, prune: bool = True
    ) -> None:
        self._prune = prune
        self.s3_filesystem: Any | None = None
        if isinstance(store, LocalStore):
            root = store.root.as_posix()
            self._layout = StoreLayout(pafs.LocalFileSystem(), root, root)
            directory = root
        elif isinstance(store, S3Store):
            if s3_filesystem is None:
                raise QueryError("an s3:// store needs a pyarrow S3FileSystem (s3_filesystem=)")
            base = f"{store.bucket}/{store.prefix}".rstrip("/")
            self._layout = StoreLayout(s3_filesystem, base, f"s3://{base}")
            self.s3_filesystem = s3_filesystem
            directory = f"s3://{base}"
        else:
            raise QueryError(f"DuckDB cannot read a {type(store).__name__}")
        #: The store as DuckDB names its files, with the `/` that makes the prefix exact.
        self.directories = (directory.rstrip("/") + "/",)
        self._views = itertools.count()

    def sandbox(
        self, *, memory_limit_bytes: int | None = None, threads: int | None = None
    ) -> Sandbox:
        """A connection's sandbox: this store's directory, through its filesystem."""
        return Sandbox(self.directories, self.s3_filesystem, memory_limit_bytes, threads)

    def plan(self, sql: str, params: Mapping[str, Any] | None = None) -> Plan:
        """Parse (Trino), refuse anything but a SELECT over our tables, choose the files."""
        values = dict(params or {})
        statement = parse(sql)
        check_read_only(statement)
        check_params(statement, values)
        tree = statement.tree.copy()
        wanted = filters(tree, values)
        views: list[tuple[str, str]] = []
        scanned = files = 0
        for table in list(tree.find_all(exp.Table)):
            where = wanted.get(id(table))
            if where is None:
                continue
            view = f"__{where.table.name}_{next(self._views)}"
            chosen = self._layout.select(where.table, where, prune=self._prune)
            views.append((view, source_sql(where.table, chosen)))
            table.replace(exp.to_table(view).as_(table.alias or table.name))
            scanned += chosen.bytes
            files += len(chosen.parquet) + len(chosen.days) + len(chosen.ndjson)
        text = to_duckdb(tree)
        check_transpiled(text, frozenset(name for name, _ in views))
        return Plan(tuple(views), text, values, scanned, files)


class DuckDBEngine:
    """Runs Trino-dialect SQL in this process over a LocalStore or an S3Store (with a
    pyarrow S3FileSystem), in a connection that can read nothing but the store."""

    name = ENGINE_NAME

    def __init__(
        self,
        store: ObjectStore,
        *,
        s3_filesystem: Any | None = None,
        prune: bool = True,
        threads: int | None = None,
    ) -> None:
        self.planner = Planner(store, s3_filesystem=s3_filesystem, prune=prune)
        self._threads = threads
        self._connection = connect(self.planner.sandbox(threads=threads))

    def execute(
        self,
        sql: str,
        params: Mapping[str, Any] | None = None,
        *,
        timeout_seconds: float | None = None,
        max_rows: int | None = None,
    ) -> QueryResult:
        """Plan, run on a fresh cursor (interrupted at the time-out), fetch."""
        started = time.perf_counter()
        plan = self.planner.plan(sql, params)
        cursor = self._connection.cursor()
        timer: threading.Timer | None = None
        try:
            open_views(cursor, plan)
            if timeout_seconds is not None:
                # Started here: an interrupt that lands between statements would be lost.
                remaining = started + timeout_seconds - time.perf_counter()
                if remaining <= 0:
                    raise duckdb.InterruptException("no time left after choosing files")
                timer = _interrupt_after(cursor, remaining)
            cursor.execute(plan.sql, plan.params or None)
            columns = [d[0] for d in cursor.description or []]
            rows = cursor.fetchmany(max_rows + 1) if max_rows is not None else cursor.fetchall()
        except duckdb.InterruptException:
            raise QueryLimitError(f"query timed out after {timeout_seconds:g} s") from None
        except duckdb.Error as exc:
            raise QueryError(f"DuckDB: {first_line(exc)}") from None
        finally:
            if timer is not None:
                timer.cancel()
            cursor.close()
        truncated = max_rows is not None and len(rows) > max_rows
        return QueryResult(
            columns=columns,
            rows=[tuple(row) for row in (rows[:max_rows] if truncated else rows)],
            engine=ENGINE_NAME,
            elapsed_seconds=time.perf_counter() - started,
            bytes_scanned=plan.bytes_scanned,
            truncated=truncated,
            extra={"files": plan.files, "sql": plan.sql},
        )

    def frame(
        self, sql: str, params: Mapping[str, Any] | None = None, *, then: str | None = None
    ) -> Any:
        """The rows as a pyarrow Table, columns straight from DuckDB (no Python row objects).

        `then`, a DuckDB-dialect SELECT over `result` (the planned statement), shapes the
        columns inside DuckDB (JSON expansion). It is the package's own SQL, never a user's.
        It runs on a connection of its own, closed after: DuckDB keeps the memory of a
        large scan (~100 MB for a million-row window) until its database is closed.
        """
        plan = self.planner.plan(sql, params)
        shape = then or "SELECT * FROM result"
        statement = f"WITH result AS ({plan.sql}) {shape}"
        connection = connect(self.planner.sandbox(threads=self._threads))
        try:
            open_views(connection, plan)
            return connection.sql(statement, params=plan.params or None).to_arrow_table()
        except duckdb.Error as exc:
            raise QueryError(f"DuckDB: {first_line(exc)}") from None
        finally:
            connection.close()

    def close(self) -> None:
        """Close the DuckDB connection (and every cursor of it)."""
        self._connection.close()


def _interrupt_after(cursor: Any, seconds: float) -> threading.Timer:
    """A timer that interrupts the cursor's running query (DuckDB checks between chunks)."""
    timer = threading.Timer(seconds, cursor.interrupt)
    timer.daemon = True
    timer.start()
    return timer


def source_sql(table: TableSpec, files: FileSet) -> str:
    """One SELECT over the chosen files with the table's columns and types, in order.

    Built as text, and safe so: every name comes from the schema, every path is quoted
    by `_string`, and no user input reaches it (parameters are bound separately).
    """
    if table.derived is not None:
        return table.derived.duckdb_select(files.parquet)
    branches = []
    hive = _hive_types(table)
    if files.parquet:
        union = ", union_by_name = true" if table.kind is None else ""
        reader = (
            f"read_parquet({_list(files.parquet)}, hive_partitioning = true, "
            f"hive_types = {hive}{union})"
        )
        branches.append(f"SELECT {_parquet_columns(table)} FROM {reader}")  # noqa: S608 - see docstring
    if files.days:  # day files: the hour is a column of the file, not of the path
        reader = (
            f"read_parquet({_list(files.days)}, hive_partitioning = true, "
            f"hive_types = {_hive_types(table, table.partition_columns[:2])})"
        )
        branches.append(f"SELECT {_parquet_columns(table)} FROM {reader}")  # noqa: S608 - see docstring
    if files.ndjson and table.kind is not None:
        reader = (
            f"read_json({_list(files.ndjson)}, format = 'newline_delimited', "
            f"columns = {_json_columns(table)}, hive_partitioning = true, hive_types = {hive})"
        )
        branches.append(f"SELECT {_ndjson_columns(table)} FROM {reader}")  # noqa: S608 - see docstring
    if not branches:
        nulls = ", ".join(f"CAST(NULL AS {kind}) AS {_quote(name)}" for name, kind in table.columns)
        return f"SELECT {nulls} WHERE false"
    return " UNION ALL ".join(branches)


def _parquet_columns(table: TableSpec) -> str:
    return ", ".join(f"CAST({_quote(n)} AS {t}) AS {_quote(n)}" for n, t in table.columns)


def _ndjson_columns(table: TableSpec) -> str:
    parts = []
    hot = {h.name: h for h in table.hot}
    for name, kind in table.columns:
        if name in hot:  # not in the JSON: read from the attribute (core.fields' rule)
            parts.append(f"{hot[name].duckdb(_quote(HOT_SOURCE))} AS {_quote(name)}")
        elif kind == "TIMESTAMP":
            parts.append(
                f"CAST(CAST({_quote(name)} AS TIMESTAMPTZ) AS TIMESTAMP) AS {_quote(name)}"
            )
        else:
            parts.append(f"CAST({_quote(name)} AS {kind}) AS {_quote(name)}")
    return ", ".join(parts)


def _json_columns(table: TableSpec) -> str:
    """read_json's column list: JSON-typed fields come out as their JSON text."""
    skip = {*table.partition_columns, *(h.name for h in table.hot)}
    entries = []
    for name, kind in table.columns:
        if name in skip:
            continue
        declared = "JSON" if name in table.json_columns else kind
        if kind == "TIMESTAMP":
            declared = "VARCHAR"
        entries.append(f"{_string(name)}: {_string(declared)}")
    return "{" + ", ".join(entries) + "}"


def _hive_types(table: TableSpec, columns: tuple[str, ...] | None = None) -> str:
    named = table.partition_columns if columns is None else columns
    return "{" + ", ".join(f"{_string(c)}: 'VARCHAR'" for c in named) + "}"


def _list(paths: list[str]) -> str:
    return "[" + ", ".join(_string(path) for path in paths) + "]"


def _string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
