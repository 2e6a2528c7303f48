"""Parsing, the read-only check, parameters and transpiling of Trino SQL."""

from __future__ import annotations

import pytest

from observability.query.base import QueryError
from observability.query.sql import check_params, check_read_only, parse, to_athena, to_duckdb


def test_parse_error_has_line_and_column() -> None:
    """A syntax error names sqlglot's line, column and message."""
    with pytest.raises(QueryError) as caught:
        parse("SELECT *\nFROM logs\nWHERE")
    assert (caught.value.line, caught.value.column) == (3, 5)
    assert "line 3, column 5" in str(caught.value)


@pytest.mark.parametrize(
    "sql",
    [
        "DROP TABLE logs",
        "INSERT INTO logs SELECT * FROM logs",
        "DELETE FROM logs",
        "CREATE TABLE x AS SELECT 1",
        "SELECT 1; SELECT 2",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM some_other_table",
        "SET SESSION query_max_run_time = '1h'",
    ],
)
def test_read_only_check_refuses_everything_but_one_select(sql: str) -> None:
    """DDL, DML, several statements, table functions and unknown tables are refused."""
    with pytest.raises(QueryError):
        check_read_only(parse(sql))


def test_read_only_check_accepts_select_and_with() -> None:
    """A SELECT and a WITH … SELECT over the known tables pass."""
    check_read_only(parse("SELECT count(*) FROM logs"))
    check_read_only(
        parse("WITH x AS (SELECT * FROM labels) SELECT * FROM x JOIN predictions p ON true")
    )


def test_parameters_are_placeholders_in_both_dialects() -> None:
    """`:name` becomes `$name` for DuckDB and `?` in order (repeats kept) for Athena."""
    statement = parse("SELECT * FROM logs WHERE service = :s AND dt IN (:d, :e) AND host = :s")
    assert statement.params == ("s", "d", "e", "s")
    assert "service = $s AND dt IN ($d, $e) AND host = $s" in to_duckdb(statement.tree)
    assert "service = ? AND dt IN (?, ?) AND host = ?" in to_athena(statement)


def test_missing_and_unused_parameters_are_reported() -> None:
    """Every placeholder needs a value and every value a placeholder."""
    statement = parse("SELECT * FROM logs WHERE service = :service")
    with pytest.raises(QueryError, match="missing parameter"):
        check_params(statement, {})
    with pytest.raises(QueryError, match="unused parameter"):
        check_params(statement, {"service": "a", "other": 1})


def test_trino_functions_transpile_for_duckdb() -> None:
    """JSON access, percentiles and zipped UNNEST come out in DuckDB's forms."""
    sql = to_duckdb(
        parse(
            "SELECT approx_percentile("
            "CAST(json_extract_scalar(attributes, '$.latency_ms') AS DOUBLE), 0.99)"
            " FROM logs CROSS JOIN UNNEST(ARRAY[1], ARRAY[2]) AS t(a, b)"
        ).tree
    )
    assert "QUANTILE_DISC(" in sql.upper()
    assert "attributes ->> '$.latency_ms'" in sql
    assert "LATERAL (SELECT UNNEST(" in sql


def test_positional_parameters_are_refused() -> None:
    """Only named `:name` placeholders are accepted, so binding is never by accident."""
    with pytest.raises(QueryError, match="named parameters"):
        parse("SELECT * FROM logs WHERE service = ?")
