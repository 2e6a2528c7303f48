"""User SQL cannot escape or exhaust: real DuckDB, real query processes, real limits.

The guard refuses escapes before a process starts; the sandboxed connection refuses every
file outside the store even for a plan that never met the guard; the query process is
killed at its time-out and cannot map more than its memory cap.
"""

# ruff: noqa: S608 - the SQL texts are the attacks under test, built from test paths

from __future__ import annotations

import os
import pickle
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from observability.cli import main
from observability.core.aws import AwsClients
from observability.core.errors import SettingsError
from observability.core.schema import Kind
from observability.core.settings import Settings
from observability.query import isolated
from observability.query.base import (
    QueryEngine,
    QueryError,
    QueryLimitError,
    QueryRefusedError,
    QueryResult,
)
from observability.query.duckdb import DuckDBEngine, Planner
from observability.query.factory import open_user_engine
from observability.query.isolated import IsolatedEngine, QueryLimits
from observability.query.sandbox import Plan, Sandbox, connect
from observability.store.s3 import S3Store
from tests.query.conftest import Dataset, checkout_logs
from tests.query.data import write

TIMEOUT = 3.0
MEMORY = 1024**3
#: How late a query may end after its time-out (the acceptance bound).
LATE = 1.0
PASSWORD = "hunter2"  # noqa: S105 - the content of the file that must stay unread


@pytest.fixture(scope="module")
def outside(tmp_path_factory: pytest.TempPathFactory, dataset: Dataset) -> dict[str, Path]:
    """Files that must stay unreadable: elsewhere, and in a sibling that shares the prefix."""
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "secret.csv"
    sibling = Path(f"{dataset.store.root}-sibling") / "secret.csv"
    for path in (elsewhere, sibling):
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"user,password\nroot,{PASSWORD}\n")
    return {"elsewhere": elsewhere, "sibling": sibling}


@pytest.fixture(scope="module")
def engine(dataset: Dataset) -> QueryEngine:
    """The user SQL engine, built from settings as the CLI builds it."""
    settings = Settings.from_env(
        {}, query_timeout_seconds=TIMEOUT, query_memory_bytes=MEMORY, query_max_rows=100
    )
    return open_user_engine(settings, dataset.store)


def isolated_engine(
    dataset: Dataset, *, keep_spare: bool = False, **limits: float
) -> IsolatedEngine:
    """An isolated engine over the data set with some limits changed."""
    values: dict[str, float] = {
        "timeout_seconds": TIMEOUT,
        "memory_bytes": MEMORY,
        "max_rows": 100,
        "max_result_bytes": 1024**2,
        "max_concurrent": 2,
    }
    values.update(limits)
    return IsolatedEngine(
        Planner(dataset.store),
        QueryLimits(
            timeout_seconds=values["timeout_seconds"],
            memory_bytes=int(values["memory_bytes"]),
            max_rows=int(values["max_rows"]),
            max_result_bytes=int(values["max_result_bytes"]),
            max_concurrent=int(values["max_concurrent"]),
        ),
        keep_spare=keep_spare,
    )


def test_user_engine_answers_like_the_in_process_engine(
    engine: QueryEngine, dataset: Dataset
) -> None:
    """A query in the query process gives the rows, in the types, DuckDB gives in process."""
    sql = (
        "SELECT service, count(*) AS n, min(timestamp) AS first, "
        "CAST(1.5 AS DECIMAL(5, 2)) AS d, "
        "CAST('0b6d2a2a-0000-4000-8000-000000000000' AS UUID) AS u, "
        "INTERVAL '1' DAY AS i, DATE '2026-11-23' AS day, CAST(now() AS TIMESTAMP WITH TIME ZONE) "
        "IS NOT NULL AS tz, MAP(ARRAY['a'], ARRAY[1]) AS m, ROW(1, 'x') AS r, ARRAY[1, 2] AS l "
        "FROM logs GROUP BY service ORDER BY service"
    )
    local = DuckDBEngine(dataset.store)
    try:
        expected = local.execute(sql)
    finally:
        local.close()
    result = engine.execute(sql)
    assert result.columns == expected.columns
    assert result.rows == expected.rows
    assert [row[:2] for row in result.rows] == [("checkout", 101), ("search", 100)]
    assert result.extra["peak_rss_bytes"] < MEMORY


def test_time_zone_values_come_back(engine: QueryEngine) -> None:
    """A TIMESTAMP WITH TIME ZONE comes back as an aware datetime in UTC."""
    (row,) = engine.execute(
        "SELECT CAST(TIMESTAMP '2026-11-23 10:00:00' AS TIMESTAMP WITH TIME ZONE) AS t"
    ).rows
    assert row[0].isoformat() == "2026-11-23T10:00:00+00:00"


def test_cte_escape_is_refused_before_a_process_starts(
    engine: QueryEngine, outside: dict[str, Path]
) -> None:
    """The CTE-scope escape and its relatives, aimed at a real file, end as refusals."""
    secret = outside["elsewhere"]
    for sql in (
        f'SELECT * FROM (WITH "{secret}" AS (SELECT 1 AS a) SELECT * FROM logs) AS x, "{secret}"',
        f'WITH "{secret}" AS (SELECT * FROM "{secret}") SELECT * FROM "{secret}"',
        f'SELECT (SELECT password FROM "{secret}") FROM (WITH "{secret}" AS (SELECT 1) SELECT 1)',
        "SELECT * FROM (WITH c AS (SELECT 1 AS a) SELECT * FROM c) AS x, c",
        f"SELECT * FROM read_csv('{secret}')",
        f"SELECT * FROM '{secret}'",
    ):
        with pytest.raises(QueryRefusedError) as refused:
            engine.execute(sql)
        assert PASSWORD not in str(refused.value)


RESOURCE_QUERIES = {
    "sequence": "SELECT count(*) FROM UNNEST(SEQUENCE(1, 300000000))",
    "repeat": "SELECT length(repeat('x', 2000000000))",
    "cross join count": (
        "SELECT count(*) FROM UNNEST(SEQUENCE(1, 100000)) AS a(x) "
        "CROSS JOIN UNNEST(SEQUENCE(1, 100000)) AS b(y)"
    ),
    "cross join sum": (
        "SELECT sum(a.x * b.y) FROM UNNEST(SEQUENCE(1, 100000)) AS a(x) "
        "CROSS JOIN UNNEST(SEQUENCE(1, 100000)) AS b(y)"
    ),
    "cross join sorted": (
        "SELECT max(x + y) FROM (SELECT x, y FROM UNNEST(SEQUENCE(1, 100000)) AS a(x) "
        "CROSS JOIN UNNEST(SEQUENCE(1, 100000)) AS b(y) ORDER BY x * y) AS t"
    ),
}


@pytest.mark.parametrize("name", sorted(RESOURCE_QUERIES))
def test_resource_query_ends_by_its_timeout_under_the_memory_cap(
    engine: QueryEngine, name: str
) -> None:
    """Each query ends within 1 s of its time-out, its process's peak RSS under the cap."""
    started = time.monotonic()
    peak: int | None
    try:
        result = engine.execute(RESOURCE_QUERIES[name])
    except QueryLimitError as stopped:
        peak = stopped.peak_rss_bytes
    else:
        peak = result.extra["peak_rss_bytes"]
    elapsed = time.monotonic() - started
    assert elapsed <= TIMEOUT + LATE, f"{name}: {elapsed:.2f} s"
    assert peak is not None
    assert 0 < peak < MEMORY, f"{name}: peak RSS {peak}"


def test_timeout_kills_the_query_process(engine: QueryEngine) -> None:
    """A query still running at its time-out is killed and reported as timed out."""
    started = time.monotonic()
    with pytest.raises(QueryLimitError, match="timed out after 1 s"):
        engine.execute(RESOURCE_QUERIES["cross join sum"], timeout_seconds=1.0)
    assert time.monotonic() - started <= 1.0 + LATE


@pytest.fixture
def run_plan(dataset: Dataset) -> Callable[[str], QueryResult]:
    """Runs hand-made DuckDB SQL in a query process: no parser, no guard, only the sandbox."""
    engine = isolated_engine(dataset)
    return lambda sql: engine.run(Plan((), sql, {}))


def bypass_reads(store: Path, outside: dict[str, Path]) -> list[str]:
    """DuckDB SQL that would read a file outside the store if the guard were bypassed."""
    secret, sibling = outside["elsewhere"], outside["sibling"]
    traversal = f"{store}/{os.path.relpath(secret, store)}"
    return [
        f"SELECT * FROM read_csv('{secret}')",
        f"SELECT * FROM '{secret}'",
        f"SELECT * FROM read_csv('{traversal}')",
        f"SELECT * FROM read_csv('{sibling}')",
        f"SELECT * FROM read_text('{secret}')",
        f"SELECT * FROM glob('{secret.parent}/*')",
        f"WITH x AS (SELECT 1) SELECT * FROM '{secret}'",
    ]


def test_files_outside_the_store_stay_unreadable_without_the_guard(
    run_plan: Callable[[str], QueryResult], dataset: Dataset, outside: dict[str, Path]
) -> None:
    """With the guard bypassed, DuckDB itself refuses every file outside the store."""
    for sql in bypass_reads(dataset.store.root, outside):
        with pytest.raises(QueryError) as refused:
            run_plan(sql)
        assert "Permission Error" in str(refused.value), sql
        assert PASSWORD not in str(refused.value)
    inside = f"SELECT count(*) FROM read_json('{dataset.store.root}/logs/*/*/*/*.json.gz')"
    assert run_plan(inside).rows[0][0] > 0


def test_settings_cannot_be_changed_from_sql(run_plan: Callable[[str], QueryResult]) -> None:
    """The sandbox's configuration is locked: no statement can reopen external access."""
    for sql in (
        "SET enable_external_access = true",
        "SET allowed_directories = ['/']",
        "RESET lock_configuration",
        "INSTALL httpfs",
    ):
        with pytest.raises(QueryError):
            run_plan(sql)


def test_query_process_writes_no_file_even_inside_the_store(
    run_plan: Callable[[str], QueryResult], dataset: Dataset
) -> None:
    """COPY and ATTACH into the store fail in the query process and store no byte."""
    root = dataset.store.root
    for sql, target in (
        (f"COPY (SELECT 1 AS a) TO '{root}/planted.csv'", root / "planted.csv"),
        (f"ATTACH '{root}/planted.duckdb' AS planted", root / "planted.duckdb"),
    ):
        with pytest.raises(QueryError):
            run_plan(sql)
        # Landlock refuses the file; without it, RLIMIT_FSIZE refuses its first byte.
        assert not target.exists() or target.stat().st_size == 0


def test_sandboxed_connection_in_process(dataset: Dataset, outside: dict[str, Path]) -> None:
    """The package's own connections (search, drift) refuse outside files on every cursor."""
    connection = connect(Sandbox((f"{dataset.store.root}/",)))
    try:
        for cursor in (connection, connection.cursor()):
            for sql in bypass_reads(dataset.store.root, outside):
                with pytest.raises(duckdb.Error, match="Permission Error"):
                    cursor.execute(sql).fetchall()
            with pytest.raises(duckdb.Error, match="locked"):
                cursor.execute("SET enable_external_access = true")
    finally:
        connection.close()


def test_rows_are_capped_and_say_so(engine: QueryEngine) -> None:
    """At most max_rows rows come back, with `truncated` set."""
    result = engine.execute("SELECT x FROM UNNEST(SEQUENCE(1, 1000)) AS t(x)", max_rows=7)
    assert [row[0] for row in result.rows] == list(range(1, 8))
    assert result.truncated
    default = engine.execute("SELECT x FROM UNNEST(SEQUENCE(1, 1000)) AS t(x)")
    assert len(default.rows) == 100  # query_max_rows


def test_result_bytes_are_capped(dataset: Dataset) -> None:
    """Rows stop at the byte cap; a first row alone over it is a limit error."""
    engine = isolated_engine(dataset, max_result_bytes=10_000)
    result = engine.execute("SELECT repeat('x', 1000) FROM UNNEST(SEQUENCE(1, 100)) AS t(x)")
    assert 0 < len(result.rows) < 10
    assert result.truncated
    with pytest.raises(QueryLimitError, match="first row"):
        engine.execute("SELECT repeat('x', 20000)")


def test_limits_must_be_positive(dataset: Dataset) -> None:
    """A query limit of zero is a settings error that names its variable."""
    settings = Settings.from_env({"OBSERVABILITY_QUERY_MAX_CONCURRENT": "0"})
    with pytest.raises(SettingsError, match="OBSERVABILITY_QUERY_MAX_CONCURRENT"):
        open_user_engine(settings, dataset.store)


def test_result_reader_builds_only_result_types() -> None:
    """A frame holding anything but a result value type is refused, never called."""
    with pytest.raises(QueryError, match="may not hold"):
        isolated._load(pickle.dumps(os.system))


def test_concurrent_queries_wait_for_a_turn(dataset: Dataset) -> None:
    """With one query process allowed, a second query waits and times out waiting."""
    engine = isolated_engine(dataset, max_concurrent=1, timeout_seconds=2.0)
    outcome: list[BaseException] = []

    def slow() -> None:
        try:
            engine.execute(RESOURCE_QUERIES["cross join sum"])
        except QueryLimitError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=slow)
    worker.start()
    time.sleep(0.3)
    with pytest.raises(QueryLimitError, match="waiting"):
        engine.execute("SELECT 1", timeout_seconds=0.5)
    worker.join()
    assert outcome
    assert engine.execute("SELECT 1").rows == [(1,)]


def test_spare_process_serves_the_next_query_and_stops_at_close(dataset: Dataset) -> None:
    """With `keep_spare`, a process waits ready for the next query; close() ends it."""
    engine = isolated_engine(dataset, keep_spare=True)
    assert engine.execute("SELECT 1").rows == [(1,)]
    spare = engine._spare  # the process started ahead for the next query
    assert spare is not None
    assert spare.poll() is None
    assert engine.execute("SELECT count(*) FROM logs").rows == [(201,)]
    assert spare.poll() is not None  # it ran that query and ended
    engine.close()
    assert engine._spare is None


def test_cli_prints_one_error_line_at_the_limits(dataset: Dataset) -> None:
    """`observability query` refuses an escape and stops a heavy query with one `error:` line."""
    runner = CliRunner(env={"OBSERVABILITY_QUERY_MEMORY_BYTES": str(MEMORY)})
    base = ["--store-url", str(dataset.store.root), "query"]
    started = time.monotonic()
    heavy = runner.invoke(main, [*base, RESOURCE_QUERIES["cross join sum"], "--timeout", "2"])
    assert time.monotonic() - started <= 2 + LATE + 1  # plus the CLI's own start
    escape = runner.invoke(main, [*base, 'WITH "/etc/passwd.csv" AS (SELECT 1) SELECT 1'])
    for result, message in ((heavy, "timed out after 2 s"), (escape, "CTE name")):
        assert result.exit_code == 1
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1
        assert lines[0].startswith("error: ")
        assert message in lines[0]


@pytest.fixture
def s3_store(aws: AwsClients) -> Iterator[S3Store]:
    """An S3 store on moto under `env/prod`, with neighbours that must stay unread."""
    client = aws.s3()
    client.create_bucket(Bucket="data")
    client.create_bucket(Bucket="other")
    secret = f"user,password\nroot,{PASSWORD}\n".encode()
    for bucket, key in (
        ("data", "env/prod2/secret.csv"),
        ("data", "env/secret.csv"),
        ("other", "secret.csv"),
    ):
        client.put_object(Bucket=bucket, Key=key, Body=secret)
    store = S3Store(client, "data", "env/prod")
    write(store, Kind.LOG, checkout_logs()[:30])
    yield store


@pytest.mark.aws
def test_s3_store_reads_its_prefix_only(
    s3_store: S3Store, aws_settings: Settings, aws: AwsClients
) -> None:
    """Over S3 (moto) through the registered filesystem: the store's prefix is readable in
    the query process; other prefixes, buckets and local files are refused, writes too."""
    settings = aws_settings.replace(query_timeout_seconds=30.0, query_memory_bytes=MEMORY)
    engine = open_user_engine(settings, s3_store, aws.session)
    assert isinstance(engine, IsolatedEngine)
    assert engine.execute("SELECT count(*) FROM logs").rows == [(30,)]
    for path in (
        "s3://data/env/prod2/secret.csv",
        "s3://data/env/prod/../prod2/secret.csv",
        "s3://data/env/secret.csv",
        "s3://other/secret.csv",
        "/etc/hostname",
    ):
        with pytest.raises(QueryError, match="Permission Error") as refused:
            engine.run(Plan((), f"SELECT * FROM read_csv('{path}')", {}))
        assert PASSWORD not in str(refused.value)
    with pytest.raises(QueryError):
        engine.run(Plan((), "COPY (SELECT 1 AS a) TO 's3://data/env/prod/planted.csv'", {}))
    listed = aws.s3().list_objects_v2(Bucket="data", Prefix="env/prod/planted")
    assert listed.get("KeyCount", 0) == 0
