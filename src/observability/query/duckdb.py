"""DuckDB in process over the store layout: the local (and test) query engine.

Each query gets its own DuckDB cursor. Every table the query names becomes a temporary
view over exactly the files its WHERE can need (see `pruning.py` and `layout.py`):
compacted Parquet where it exists, gzip NDJSON for what compaction has not covered.
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
from fsspec.implementations.arrow import ArrowFSWrapper  # type: ignore[import-untyped]
from sqlglot import exp

from observability.query.base import QueryError, QueryResult
from observability.query.layout import FileSet, StoreLayout
from observability.query.pruning import filters
from observability.query.sql import check_params, check_read_only, parse, to_duckdb
from observability.query.tables import TableSpec
from observability.store.base import ObjectStore
from observability.store.local import LocalStore
from observability.store.s3 import S3Store

ENGINE_NAME: Final = "duckdb"


class _S3Wrapper(ArrowFSWrapper):  # type: ignore[misc]
    """pyarrow's S3 filesystem under the `s3` protocol name, which DuckDB routes to it."""

    protocol = "s3"


class DuckDBEngine:
    """Runs Trino-dialect SQL over a LocalStore or an S3Store (with a pyarrow S3FileSystem)."""

    name = ENGINE_NAME

    def __init__(
        self,
        store: ObjectStore,
        *,
        s3_filesystem: Any | None = None,
        prune: bool = True,
        threads: int | None = None,
    ) -> None:
        self._prune = prune
        self._connection = duckdb.connect(":memory:")
        self._connection.execute("SET TimeZone = 'UTC'")
        if threads is not None:
            self._connection.execute(f"SET threads = {int(threads)}")
        if isinstance(store, LocalStore):
            root = store.root.as_posix()
            self._layout = StoreLayout(pafs.LocalFileSystem(), root, root)
        elif isinstance(store, S3Store):
            if s3_filesystem is None:
                raise QueryError("an s3:// store needs a pyarrow S3FileSystem (s3_filesystem=)")
            base = f"{store.bucket}/{store.prefix}".rstrip("/")
            self._layout = StoreLayout(s3_filesystem, base, f"s3://{base}")
            self._connection.register_filesystem(_S3Wrapper(s3_filesystem))
        else:
            raise QueryError(f"DuckDB cannot read a {type(store).__name__}")
        self._views = itertools.count()

    def execute(
        self,
        sql: str,
        params: Mapping[str, Any] | None = None,
        *,
        timeout_seconds: float | None = None,
        max_rows: int | None = None,
    ) -> QueryResult:
        """Parse (Trino), refuse anything but a SELECT, bind parameters, run, fetch."""
        started = time.perf_counter()
        values = dict(params or {})
        statement = parse(sql)
        check_read_only(statement)
        check_params(statement, values)
        tree = statement.tree.copy()
        wanted = filters(tree, values)
        cursor = self._connection.cursor()
        timer: threading.Timer | None = None
        try:
            scanned = files = 0
            for table in list(tree.find_all(exp.Table)):
                where = wanted.get(id(table))
                if where is None:
                    continue
                view = f"__{where.table.name}_{next(self._views)}"
                chosen = self._layout.select(where.table, where, prune=self._prune)
                cursor.execute(f"CREATE TEMP VIEW {view} AS {source_sql(where.table, chosen)}")
                alias = table.alias or table.name
                table.replace(exp.to_table(view).as_(alias))
                scanned += chosen.bytes
                files += len(chosen.parquet) + len(chosen.ndjson)
            text = to_duckdb(tree)
            if timeout_seconds is not None:
                # Started here: an interrupt that lands between statements would be lost.
                remaining = started + timeout_seconds - time.perf_counter()
                if remaining <= 0:
                    raise duckdb.InterruptException("no time left after choosing files")
                timer = _interrupt_after(cursor, remaining)
            cursor.execute(text, values or None)
            columns = [d[0] for d in cursor.description or []]
            rows = cursor.fetchmany(max_rows + 1) if max_rows is not None else cursor.fetchall()
        except duckdb.InterruptException:
            raise QueryError(f"query timed out after {timeout_seconds:g} s") from None
        except duckdb.Error as exc:
            raise QueryError(f"DuckDB: {str(exc).splitlines()[0]}") from None
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
            bytes_scanned=scanned,
            truncated=truncated,
            extra={"files": files, "sql": text},
        )

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
    branches = []
    hive = _hive_types(table)
    if files.parquet:
        union = ", union_by_name = true" if table.kind is None else ""
        reader = (
            f"read_parquet({_list(files.parquet)}, hive_partitioning = true, "
            f"hive_types = {hive}{union})"
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
    for name, kind in table.columns:
        if kind == "TIMESTAMP":
            parts.append(
                f"CAST(CAST({_quote(name)} AS TIMESTAMPTZ) AS TIMESTAMP) AS {_quote(name)}"
            )
        else:
            parts.append(f"CAST({_quote(name)} AS {kind}) AS {_quote(name)}")
    return ", ".join(parts)


def _json_columns(table: TableSpec) -> str:
    """read_json's column list: JSON-typed fields come out as their JSON text."""
    skip = set(table.partition_columns)
    entries = []
    for name, kind in table.columns:
        if name in skip:
            continue
        declared = "JSON" if name in table.json_columns else kind
        if kind == "TIMESTAMP":
            declared = "VARCHAR"
        entries.append(f"{_string(name)}: {_string(declared)}")
    return "{" + ", ".join(entries) + "}"


def _hive_types(table: TableSpec) -> str:
    return "{" + ", ".join(f"{_string(c)}: 'VARCHAR'" for c in table.partition_columns) + "}"


def _list(paths: list[str]) -> str:
    return "[" + ", ".join(_string(path) for path in paths) + "]"


def _string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
