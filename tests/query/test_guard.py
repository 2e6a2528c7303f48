"""The statement guard: one SELECT over our tables, every table reference checked per scope."""

# ruff: noqa: S608 - the SQL texts are the attacks under test, built from constants

from __future__ import annotations

import pytest

from observability.core.errors import ObservabilityError
from observability.query.base import QueryError, QueryRefusedError
from observability.query.library import NAMED
from observability.query.sql import check_read_only, check_transpiled, parse

#: A file outside the store; the guard refuses before anything could open it.
OUTSIDE = "/srv/secrets/passwords.csv"

#: (SQL, a fragment of the refusal): the CTE-scope escape and its relatives.
ESCAPES = [
    # A CTE named like a file in one scope, the same name read as a table in another.
    (
        f'SELECT * FROM (WITH "{OUTSIDE}" AS (SELECT 1 AS a) SELECT * FROM logs) AS x, "{OUTSIDE}"',
        "CTE name",
    ),
    (f'WITH "{OUTSIDE}" AS (SELECT * FROM "{OUTSIDE}") SELECT * FROM "{OUTSIDE}"', "CTE name"),
    (
        f'WITH a AS (SELECT * FROM "{OUTSIDE}"), "{OUTSIDE}" AS (SELECT 1) SELECT * FROM a',
        "CTE name",
    ),
    (
        f'SELECT (SELECT a FROM "{OUTSIDE}") FROM (WITH "{OUTSIDE}" AS (SELECT 1) SELECT 1)',
        "CTE name",
    ),
    (f'WITH x AS (WITH "{OUTSIDE}" AS (SELECT 1) SELECT 1) SELECT * FROM "{OUTSIDE}"', "CTE name"),
    (f'(WITH "{OUTSIDE}" AS (SELECT 1) SELECT 1) UNION ALL SELECT * FROM "{OUTSIDE}"', "CTE name"),
    # The same scoping with plain names: a CTE is visible only where SQL says it is.
    ("SELECT * FROM (WITH c AS (SELECT 1 AS a) SELECT * FROM c) AS x, c", "unknown table 'c'"),
    ("WITH c AS (SELECT * FROM c) SELECT * FROM c", "unknown table 'c'"),
    ("WITH a AS (SELECT * FROM b), b AS (SELECT 1) SELECT * FROM a", "unknown table 'b'"),
    (
        "SELECT * FROM logs WHERE EXISTS (WITH c AS (SELECT 1) SELECT 1) "
        "AND service IN (SELECT * FROM c)",
        "unknown table 'c'",
    ),
    ("SELECT * FROM (SELECT 1) AS c, c", "unknown table 'c'"),
    ("WITH logs AS (SELECT 1) SELECT * FROM logs", "hides the table"),
    # A file named directly: quoted identifier, string literal, other schemes.
    (f'SELECT * FROM "{OUTSIDE}"', "is not a table name"),
    (f"SELECT * FROM '{OUTSIDE}'", "is not a table name"),
    ('SELECT * FROM "data.parquet"', "is not a table name"),
    ("SELECT * FROM 's3://bucket/key.json'", "is not a table name"),
    # Table functions, in FROM, in LATERAL, in TABLE(...).
    (f"SELECT * FROM read_csv('{OUTSIDE}')", "read_csv"),
    (f"SELECT * FROM read_csv_auto('{OUTSIDE}')", "read_csv_auto"),
    ("SELECT * FROM read_parquet('x.parquet')", "read_parquet"),
    ("SELECT * FROM read_json('x.json')", "read_json"),
    ("SELECT * FROM read_text('/etc/hostname')", "read_text"),
    ("SELECT * FROM read_blob('/etc/hostname')", "read_blob"),
    ("SELECT * FROM query('SELECT 1')", "query"),
    ("SELECT * FROM TABLE(sequence(1, 2))", "table"),
    ("SELECT * FROM sniff_csv('x.csv')", "sniff_csv"),
    ("SELECT * FROM parquet_metadata('x.parquet')", "parquet_metadata"),
    ("SELECT * FROM duckdb_settings()", "duckdb_settings"),
    ("SELECT * FROM logs, LATERAL read_csv('x.csv')", "not a table"),
    # Scalar functions that reveal settings or the environment.
    ("SELECT current_setting('allowed_directories')", "current_setting"),
    ("SELECT getenv('HOME')", "getenv"),
    ("SELECT read_text('/etc/hostname')", "read_text"),
    # Other schemas and catalogues.
    ("SELECT * FROM main.logs", "qualified"),
    ("SELECT * FROM information_schema.tables", "qualified"),
    ("SELECT * FROM system.main.duckdb_settings", "qualified"),
    # Statements that are not queries.
    ("COPY logs TO 'x.csv'", "not COPY"),
    ("INSTALL httpfs", "not INSTALL"),
    ("LOAD httpfs", "not LOAD"),
    ("SET enable_external_access = true", "not SET"),
    ("RESET enable_external_access", "not RESET"),
    ("PRAGMA version", "not PRAGMA"),
    ("CALL duckdb_settings()", "not CALL"),
    ("EXPLAIN SELECT 1", "not EXPLAIN"),
    ("DESCRIBE logs", "not DESCRIBE"),
    ("SUMMARIZE logs", "not SUMMARIZE"),
    ("DETACH x", "not DETACH"),
    ("CHECKPOINT", "not CHECKPOINT"),
    ("USE x", "not USE"),
    ("SELECT 1 INTO t", "found INTO"),
    ("INSERT INTO logs VALUES (1)", "not INSERT"),
    ("CREATE TABLE t AS SELECT 1", "not CREATE"),
]

ALLOWED = [
    "WITH c AS (SELECT service FROM logs) SELECT * FROM c",
    "WITH c AS (SELECT service FROM logs) "
    "SELECT * FROM (WITH d AS (SELECT * FROM c) SELECT * FROM d) AS x",
    "WITH c AS (SELECT 1 AS x) "
    "SELECT (SELECT max(x) FROM c) FROM logs WHERE EXISTS (SELECT 1 FROM c)",
    "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 3) SELECT * FROM t",
    "SELECT count(*) FROM UNNEST(SEQUENCE(1, 10)) AS a(x) "
    "CROSS JOIN UNNEST(SEQUENCE(1, 10)) AS b(y)",
    "SELECT * FROM (VALUES (1, 'a'), (2, 'b')) AS v(n, s)",
    "SELECT l.service FROM logs AS l JOIN predictions AS p ON l.trace_id = p.trace_id",
    "SELECT * FROM logs AS l, LATERAL (SELECT count(*) AS n FROM labels) AS x",
    "SELECT service FROM logs UNION SELECT model FROM predictions",
    "WITH c AS (SELECT 1 AS x) SELECT * FROM c UNION ALL SELECT * FROM c",
    "SELECT * FROM drift_metrics",
]


@pytest.mark.parametrize(("sql", "fragment"), ESCAPES)
def test_escape_variants_are_refused(sql: str, fragment: str) -> None:
    """Each way to name a file, call a table function, read a setting or write is refused."""
    with pytest.raises(QueryRefusedError) as refused:
        check_read_only(parse(sql))
    assert fragment in str(refused.value)


@pytest.mark.parametrize("sql", ["ATTACH 'x.db' AS x", "SELECT 1; SELECT 2"])
def test_unparseable_or_several_statements_are_errors(sql: str) -> None:
    """What the Trino parser rejects, or more than one statement, never reaches an engine."""
    with pytest.raises(QueryError):
        check_read_only(parse(sql))


@pytest.mark.parametrize("sql", ALLOWED)
def test_ordinary_queries_pass(sql: str) -> None:
    """CTEs used where they are visible, recursion, UNNEST, VALUES and LATERAL pass."""
    check_read_only(parse(sql))


@pytest.mark.parametrize("name", sorted(NAMED))
def test_named_queries_pass(name: str) -> None:
    """Every named query passes the guard."""
    check_read_only(parse(NAMED[name].sql))


def test_transpiled_text_is_checked_against_its_views() -> None:
    """The DuckDB text may read only the views made for it, scope by scope, no functions."""
    check_transpiled("SELECT count(*) FROM __logs_0 AS logs", frozenset({"__logs_0"}))
    for text in (
        'SELECT * FROM "/srv/x.csv"',
        "SELECT * FROM logs",
        "SELECT * FROM read_csv('/srv/x.csv')",
        "SELECT * FROM (WITH c AS (SELECT 1) SELECT * FROM c) AS x, c",
    ):
        with pytest.raises(QueryRefusedError):
            check_transpiled(text, frozenset({"__logs_0"}))


def test_refusal_is_a_one_line_client_error() -> None:
    """A refusal is an ObservabilityError (the CLI's one `error:` line) that HTTP answers 400."""
    from observability.service.errors import status_of

    with pytest.raises(QueryRefusedError) as refused:
        check_read_only(parse(ESCAPES[0][0]))
    assert isinstance(refused.value, ObservabilityError)
    assert "\n" not in str(refused.value)
    assert status_of(refused.value) == 400
