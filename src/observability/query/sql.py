"""SQL written once in the Athena (Trino) dialect: parsing, the read-only check, transpiling.

Every statement goes through sqlglot's Trino parser first, so a syntax error is reported
the same way whichever engine runs it: a QueryError with sqlglot's line, column and
message. Parameters are `:name` placeholders in the text and are bound by the engines
(DuckDB: `$name`; Athena: `?` in order of appearance), never formatted into the SQL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from observability.query.base import QueryError
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
)


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

    Checked on the parse tree, not the text: DDL, DML, SET and commands are refused, and so
    are table functions and unknown tables, which in DuckDB could read any file.
    """
    tree = statement.tree
    if not isinstance(tree, _QUERY_TYPES):
        raise QueryError(f"only SELECT queries are allowed, not {tree.key.upper()}")
    for node in tree.walk():
        if isinstance(node, _WRITES):
            raise QueryError(f"only SELECT queries are allowed: found {node.key.upper()}")
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            raise QueryError(f"table functions are not allowed: {table.this.sql(READ)}")
        if table.name not in TABLES and table.name not in ctes:
            known = ", ".join(sorted(TABLES))
            raise QueryError(f"unknown table {table.name!r}: query one of {known}")


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
