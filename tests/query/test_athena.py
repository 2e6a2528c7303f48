"""AthenaEngine's life cycle on moto's Athena API: start, poll, results, failure, timeout."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import boto3
import pytest

from observability.core.aws import AwsClients
from observability.core.settings import Settings
from observability.query.athena import AthenaEngine, athena_literal
from observability.query.base import QueryError
from observability.query.library import NAMED

BUCKET = "athena-results"
WORKGROUP = "observability"


def _moto_api(url: str, path: str, body: dict[str, Any]) -> None:
    request = urllib.request.Request(  # noqa: S310 (loopback moto URL)
        f"{url}/moto-api/{path}", data=json.dumps(body).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310
        pass


def _session() -> boto3.Session:
    return boto3.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 (moto's dummy credentials)
        region_name="us-east-1",
    )


class _FailingSession(boto3.Session):
    """A session whose Athena client reports FAILED for queries mentioning `broken_table`."""

    def client(self, *args: Any, **kwargs: Any) -> Any:
        return _FailingAthena(super().client(*args, **kwargs))


class _FailingAthena:
    def __init__(self, real: Any) -> None:
        self._real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def get_query_execution(self, **kwargs: Any) -> Any:
        response = self._real.get_query_execution(**kwargs)
        execution = response["QueryExecution"]
        if "broken_table" in execution["Query"]:
            execution["Status"] = {
                "State": "FAILED",
                "StateChangeReason": "TABLE_NOT_FOUND: Table broken_table does not exist",
            }
        return response


@pytest.fixture
def athena(aws: AwsClients, aws_settings: Settings) -> AwsClients:
    """A results bucket and the workgroup, as `catalog apply` would leave them."""
    aws.s3().create_bucket(Bucket=BUCKET)
    aws.client("athena").create_work_group(
        Name=WORKGROUP,
        Configuration={"ResultConfiguration": {"OutputLocation": f"s3://{BUCKET}/results/"}},
    )
    return aws


@pytest.fixture
def engine(athena: AwsClients, aws_settings: Settings) -> Iterator[AthenaEngine]:
    """An AthenaEngine on moto with a fast poll."""
    engine = AthenaEngine.connect(
        session=_session(),
        region="us-east-1",
        endpoint_url=aws_settings.aws_endpoint_url,
        poll_interval=0.05,
    )
    yield engine
    engine.close()


def test_query_runs_with_execution_parameters(
    engine: AthenaEngine, athena: AwsClients, moto_url: str
) -> None:
    """The query starts in the workgroup with `?` and literal parameters; rows come back."""
    _moto_api(
        moto_url,
        "static/athena/query-results",
        {
            "results": [
                {
                    "rows": [
                        {"Data": [{"VarCharValue": "service"}, {"VarCharValue": "n"}]},
                        {"Data": [{"VarCharValue": "checkout"}, {"VarCharValue": "7"}]},
                    ],
                    "column_info": [
                        {
                            "Name": "service",
                            "Type": "varchar",
                            "CatalogName": "",
                            "SchemaName": "",
                            "TableName": "",
                            "Label": "service",
                            "Precision": 0,
                            "Scale": 0,
                            "Nullable": "UNKNOWN",
                            "CaseSensitive": True,
                        },
                        {
                            "Name": "n",
                            "Type": "bigint",
                            "CatalogName": "",
                            "SchemaName": "",
                            "TableName": "",
                            "Label": "n",
                            "Precision": 0,
                            "Scale": 0,
                            "Nullable": "UNKNOWN",
                            "CaseSensitive": False,
                        },
                    ],
                }
            ]
        },
    )
    result = engine.execute(
        "SELECT service, count(*) AS n FROM logs WHERE service = :service AND dt = :dt "
        "GROUP BY service",
        {"service": "checkout'; DROP TABLE logs; --", "dt": "2026-11-23"},
    )
    assert result.columns == ["service", "n"]
    assert result.rows == [("checkout", 7)]
    assert result.engine == "athena"
    execution = athena.client("athena").get_query_execution(
        QueryExecutionId=result.extra["query_id"]
    )
    query = execution["QueryExecution"]
    assert query["Query"].endswith("WHERE service = ? AND dt = ? GROUP BY service")
    assert query["ExecutionParameters"] == ["'checkout''; DROP TABLE logs; --'", "'2026-11-23'"]
    assert query["WorkGroup"] == WORKGROUP
    assert query["Status"]["State"] == "SUCCEEDED"


def test_named_query_binds_timestamps(engine: AthenaEngine, athena: AwsClients) -> None:
    """A named query's window goes to Athena as TIMESTAMP literals in placeholder order."""
    sql, values = NAMED["error-rate"].bind(
        {"service": "checkout", "start": "2026-11-23T00:00:00Z", "end": "2026-11-24T00:00:00Z"}
    )
    result = engine.execute(sql, values)
    assert result.rows == []
    query = athena.client("athena").get_query_execution(QueryExecutionId=result.extra["query_id"])[
        "QueryExecution"
    ]
    assert query["ExecutionParameters"] == [
        "'checkout'",
        "'2026-11-23'",
        "'2026-11-23'",
        "TIMESTAMP '2026-11-23 00:00:00.000000'",
        "TIMESTAMP '2026-11-24 00:00:00.000000'",
    ]


def test_failed_query_is_a_query_error(athena: AwsClients, aws_settings: Settings) -> None:
    """A query Athena reports FAILED raises QueryError carrying Athena's reason."""
    engine = AthenaEngine.connect(
        session=_FailingSession(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 (moto's dummy credentials)
            region_name="us-east-1",
        ),
        region="us-east-1",
        endpoint_url=aws_settings.aws_endpoint_url,
        poll_interval=0.05,
    )
    with pytest.raises(QueryError, match="TABLE_NOT_FOUND"):
        engine.execute("WITH broken_table AS (SELECT 1 AS x) SELECT x FROM broken_table")
    engine.close()


def test_timeout_cancels_the_query(engine: AthenaEngine, athena: AwsClients, moto_url: str) -> None:
    """A query still running at its deadline is stopped: moto shows it CANCELLED."""
    _moto_api(
        moto_url,
        "state-manager/set-transition",
        {
            "model_name": "athena::execution",
            "transition": {"progression": "manual", "times": 10_000},
        },
    )
    try:
        with pytest.raises(QueryError, match="timed out"):
            engine.execute("SELECT count(*) FROM logs", timeout_seconds=0.3)
    finally:
        _moto_api(moto_url, "state-manager/unset-transition", {"model_name": "athena::execution"})
    client = athena.client("athena")
    (query_id,) = client.list_query_executions(WorkGroup=WORKGROUP)["QueryExecutionIds"]
    state = client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"][
        "State"
    ]
    assert state == "CANCELLED"


def test_bad_sql_and_writes_never_reach_athena(engine: AthenaEngine, athena: AwsClients) -> None:
    """Syntax errors and DDL are refused before StartQueryExecution."""
    with pytest.raises(QueryError, match="line 1"):
        engine.execute("SELECT * FROM logs WHERE")
    with pytest.raises(QueryError, match="only SELECT"):
        engine.execute("DROP TABLE logs")
    assert (
        athena.client("athena").list_query_executions(WorkGroup=WORKGROUP)["QueryExecutionIds"]
        == []
    )


def test_literals_render_one_value_each() -> None:
    """Every bound value becomes exactly one literal; quotes are doubled, not interpreted."""
    assert athena_literal("a'b") == "'a''b'"
    assert athena_literal(3) == "3"
    assert athena_literal(2.5) == "2.5"
    assert athena_literal(True) == "true"
    assert athena_literal(None) == "NULL"
    assert athena_literal(datetime(2026, 1, 2, 3, 4, 5)) == "TIMESTAMP '2026-01-02 03:04:05.000000'"
    with pytest.raises(QueryError):
        athena_literal(float("nan"))
