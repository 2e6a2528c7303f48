"""SQL written once in the Athena (Trino) dialect: parsing, the read-only check, transpiling.

Every statement goes through sqlglot's Trino parser first, so a syntax error is reported
the same way whichever engine runs it: a QueryError with sqlglot's line, column and
message. Parameters are `:name` placeholders in the text and are bound by the engines
(DuckDB: `$name`; Athena: `?` in order of appearance), never formatted into the SQL.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import sqlglot
from sqlglot import exp
from sqlglot.errors import OptimizeError, ParseError, TokenError
from sqlglot.optimizer.scope import Scope, traverse_scope

from observability.query.base import QueryError, QueryRefusedError
from observability.query.tables import TABLE_SPECS

READ: Final = "trino"
WRITE: Final = "duckdb"

#: The tables both engines know (Glue database and DuckDB views share the names).
TABLES: Final = frozenset(TABLE_SPECS)

#: Statements that are queries; anything else (DDL, DML, SET, SHOW...) is refused ad hoc.
_QUERY_TYPES: Final = (exp.Select, exp.Union, exp.Intersect, exp.Except, exp.Subquery)
_WRITES: Final = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.Command,
    exp.Into,
    exp.Copy,
    exp.Set,
    exp.Pragma,
    exp.Use,
    exp.Describe,
)
#: What a FROM or JOIN may read; a table function (`read_csv`, `TABLE(...)`) is none of them.
_SOURCES: Final = (exp.Table, exp.Subquery, exp.Unnest, exp.Values, exp.Lateral)
#: Table and CTE names: plain identifiers only. DuckDB reads an unknown name that looks like
#: a file (`"/etc/x.csv"`, `'data.parquet'`) as that file, so no such name ever gets through.
_PLAIN_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
#: DuckDB functions that read files, settings, the environment or the catalogue, refused
#: wherever they appear. The sandbox (`sandbox.py`) refuses their files anyway; this names
#: the problem before anything runs.
_DENIED_FUNCTIONS: Final = frozenset(
    {
        "current_setting",
        "getenv",
        "glob",
        "query",
        "query_table",
        "sniff_csv",
        "checkpoint",
        "force_checkpoint",
        "which_secret",
        "arrow_scan",
        "pandas_scan",
        "python_map_function",
        "seq_scan",
        "summary",
        "table",
    }
)
_DENIED_PREFIXES: Final = (
    "read_",
    "parquet_",
    "duckdb_",
    "pragma_",
    "json_execute",
    "sqlite_",
    "postgres_",
    "mysql_",
    "iceberg_",
    "delta_",
    "enable_",
    "disable_",
)


class _NoCommandFallbackWarning(logging.Filter):
    """sqlglot warns (to stderr, unconfigured) when it parses a statement as a Command;
    `check_read_only` refuses those with one clear error, so the warning is noise."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Falling back to parsing as a 'Command'" not in record.getMessage()


logging.getLogger("sqlglot").addFilter(_NoCommandFallbackWarning())


@dataclass(frozen=True, slots=True)
class Statement:
    """One parsed statement and its `:name` parameters in order of appearance (repeats kept)."""

    tree: exp.Expr
    params: tuple[str, ...]

    @property
    def tables(self) -> frozenset[str]:
        """Known tables the statement reads (CTE names are not tables)."""
        ctes = {cte.alias_or_name for cte in self.tree.find_all(exp.CTE)}
        return frozenset(
            table.name
            for table in self.tree.find_all(exp.Table)
            if table.name in TABLES and table.name not in ctes
        )


def parse(sql: str) -> Statement:
    """Exactly one statement in the Trino dialect; QueryError with the position otherwise."""
    try:
        trees = [tree for tree in sqlglot.parse(sql, read=READ) if tree is not None]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        # sqlglot appends the raw token repr ("... but got <Token ...>"); the highlight says it.
        message = str(first.get("description") or exc).split(" but got <Token")[0]
        highlight = first.get("highlight")
        if highlight:
            message = f"{message} near {highlight!r}"
        raise QueryError(message, line=first.get("line"), column=first.get("col")) from None
    except TokenError as exc:
        raise QueryError(f"cannot tokenize: {exc}") from None
    if len(trees) != 1:
        raise QueryError(f"expected exactly one statement, got {len(trees)}")
    tree = trees[0]
    # Depth-first is text order; repeats are kept because Athena binds `?` by position.
    names = tuple(node.name for node in tree.find_all(exp.Placeholder, bfs=False))
    if "" in names or "?" in names:
        raise QueryError("use named parameters (:name), not positional ones (?)")
    return Statement(tree, names)


def check_read_only(statement: Statement) -> None:
    """Refuse anything but one SELECT (or WITH ... SELECT) over the known tables.

    Checked on the parse tree, not the text, scope by scope (`check_sources`): DDL, DML, SET
    and commands are refused, and so are table functions, functions that read files or
    settings, qualified or unknown tables and names that are not plain identifiers, any of
    which DuckDB could turn into a file read. QueryRefusedError says which.
    """
    tree = statement.tree
    if not isinstance(tree, _QUERY_TYPES):
        raise QueryRefusedError(f"only SELECT queries are allowed, not {_statement_name(tree)}")
    check_sources(tree, TABLES)


def _statement_name(tree: exp.Expr) -> str:
    """`EXPLAIN`, `COPY`, `INSTALL`...: what the statement starts with, as the user wrote it."""
    if isinstance(tree, exp.Command):
        return str(tree.this).upper()
    if isinstance(tree, (*_WRITES, exp.Values)):
        return tree.key.upper()
    # Words sqlglot does not know as statements (INSTALL, DETACH) parse as expressions.
    return tree.sql(READ).split(maxsplit=1)[0].upper()


def check_sources(tree: exp.Expr, tables: frozenset[str]) -> None:
    """Every node is read-only and every table reference, scope by scope, is in `tables`
    or a CTE visible in that scope; QueryRefusedError naming the first that is not.

    Scopes matter: a CTE named `x` in one subquery does not make `x` a CTE elsewhere, where
    DuckDB would resolve it as a table (or a file). Also run on the DuckDB text about to be
    executed, with the generated view names as `tables`, so a transpiling surprise is caught.
    """
    for node in tree.walk():
        _check_node(node, tables)
    try:
        scopes = traverse_scope(tree)
    except OptimizeError as exc:
        raise QueryRefusedError(f"cannot resolve the tables of this query: {exc}") from None
    resolved: set[int] = set()
    for scope in scopes:
        for table in scope.tables:
            resolved.add(id(table))
            _check_reference(table, scope, tables)
    for table in tree.find_all(exp.Table):
        if id(table) not in resolved:
            raise QueryRefusedError(f"table reference {table.sql(READ)!r} is not allowed here")


def check_transpiled(text: str, tables: frozenset[str]) -> None:
    """The DuckDB text about to run passes the same checks, over the views made for it."""
    try:
        tree = sqlglot.parse_one(text, read=WRITE)
    except (ParseError, TokenError) as exc:
        raise QueryRefusedError(f"the DuckDB form of this query cannot be checked: {exc}") from None
    check_sources(tree, tables)


def _check_node(node: exp.Expr, tables: frozenset[str]) -> None:
    """One node on its own: no writes, no denied function, sources and CTE names allowed."""
    if isinstance(node, _WRITES):
        raise QueryRefusedError(f"only SELECT queries are allowed: found {node.key.upper()}")
    if isinstance(node, exp.Func):
        name = (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()
        if name in _DENIED_FUNCTIONS or name.startswith(_DENIED_PREFIXES):
            raise QueryRefusedError(f"function {name} is not allowed")
    elif isinstance(node, exp.From | exp.Join):
        source = node.this
        inner = source.this if isinstance(source, exp.Lateral) else None
        if not isinstance(source, _SOURCES) or (
            inner is not None and not isinstance(inner, exp.Subquery | exp.Unnest)
        ):
            raise QueryRefusedError(f"cannot read from {source.sql(READ)!r}: not a table")
    elif isinstance(node, exp.CTE):
        name = node.alias_or_name
        if not _PLAIN_NAME.match(name):
            raise QueryRefusedError(f"CTE name {name!r}: use letters, digits and _ only")
        if name in tables:
            raise QueryRefusedError(f"CTE name {name!r} hides the table of that name")


def _check_reference(table: exp.Table, scope: Scope, tables: frozenset[str]) -> None:
    """A FROM/JOIN name in one scope: one of `tables` or a CTE that scope can see."""
    if not isinstance(table.this, exp.Identifier):
        raise QueryRefusedError(f"table functions are not allowed: {table.this.sql(READ)}")
    if table.args.get("db") or table.args.get("catalog"):
        raise QueryRefusedError(f"qualified table names are not allowed: {table.sql(READ)}")
    name = table.name
    if not _PLAIN_NAME.match(name):
        raise QueryRefusedError(f"{name!r} is not a table name")
    if name in tables or name in scope.cte_sources:
        return
    known = ", ".join(sorted(TABLES))
    raise QueryRefusedError(f"unknown table {name!r}: query one of {known}")


def check_params(statement: Statement, params: Mapping[str, Any]) -> None:
    """Every placeholder has a value; extra values are a mistake worth reporting."""
    missing = [name for name in statement.params if name not in params]
    if missing:
        raise QueryError(f"missing parameter(s): {', '.join(dict.fromkeys(missing))}")
    unused = sorted(set(params) - set(statement.params))
    if unused:
        raise QueryError(f"unused parameter(s): {', '.join(unused)}")


def to_duckdb(tree: exp.Expr) -> str:
    """DuckDB SQL for a Trino tree; placeholders become `$name` named parameters.

    sqlglot does the dialect work; two Trino forms it leaves as they are get rewritten
    here: `approx_percentile` becomes DuckDB's exact `quantile_disc` (an observed value,
    like Trino's), and a zipped `CROSS JOIN UNNEST(a, b) AS t(x, y)` becomes a LATERAL
    subquery of one UNNEST per column, which DuckDB zips the same way.
    """
    tree = tree.copy()
    for node in list(tree.find_all(exp.ApproxQuantile)):
        node.replace(
            exp.Anonymous(this="quantile_disc", expressions=[node.this, node.args["quantile"]])
        )
    for unnest in list(tree.find_all(exp.Unnest)):
        alias = unnest.args.get("alias")
        if not isinstance(unnest.parent, exp.Join | exp.From) or alias is None:
            continue
        columns = [column.name for column in alias.columns]
        if len(columns) != len(unnest.expressions) or len(columns) < 2:
            continue
        select = exp.select(
            *(
                exp.alias_(exp.Unnest(expressions=[value.copy()]), column)
                for value, column in zip(unnest.expressions, columns, strict=True)
            )
        )
        table_alias = exp.TableAlias(this=exp.to_identifier(alias.name))
        unnest.replace(exp.Lateral(this=select.subquery(), alias=table_alias))
    return tree.sql(WRITE)


def to_athena(statement: Statement) -> str:
    """Athena SQL with `?` execution parameters in `statement.params` order."""
    tree = statement.tree.copy()
    for placeholder in list(tree.find_all(exp.Placeholder)):
        placeholder.replace(exp.Placeholder())
    return tree.sql(READ)
