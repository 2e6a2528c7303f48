"""CloudWatch Logs subscription records through the Firehose transform Lambda handler.

The fixture holds what a subscription filter sends to Firehose: four gzip records, three
log groups (a Lambda with platform lines, Powertools and Lambda JSON, plain text and an
SDK record; an ECS service; a second Lambda) and a control message. Events cross an hour,
so some belong to another partition than their record's.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest

from observability.transform.firehose import LAMBDA_RESPONSE_LIMIT_BYTES, RESPONSE_BUDGET_BYTES
from tests.lambdas.test_firehose_handler import check_shape, lambda_handler

EVENTS = Path(__file__).resolve().parents[1] / "events"
ENV = {
    "OBSERVABILITY_CLOUDWATCH_SERVICES": "/ecs/orders-*=orders,/aws/lambda/payments-prod=payments",
    "OBSERVABILITY_CLOUDWATCH_ENV": "prod",
}


def subscription_event() -> dict[str, Any]:
    """The fixture: a Firehose transformation event of subscription records."""
    event: dict[str, Any] = json.loads(
        (EVENTS / "kinesisFirehoseCloudWatchLogsEvent.json").read_text()
    )
    return event


def log_events(event: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every DATA_MESSAGE log event of the fixture by id, with its log group."""
    found = {}
    for record in event["records"]:
        message = json.loads(gzip.decompress(base64.b64decode(record["data"])))
        if message["messageType"] == "DATA_MESSAGE":
            for log_event in message["logEvents"]:
                found[log_event["id"]] = {**log_event, "logGroup": message["logGroup"]}
    return found


def stored(
    event: dict[str, Any], response: dict[str, Any], store: Path
) -> list[tuple[str, dict[str, Any]]]:
    """(partition prefix, record) of every line: Ok data filed under its partition keys, as
    Firehose would, and the files the transform wrote itself."""
    out = []
    for entry in response["records"]:
        if entry["result"] == "Ok":
            keys = entry["metadata"]["partitionKeys"]
            prefix = f"logs/service={keys['service']}/dt={keys['dt']}/hour={keys['hour']}"
            for line in base64.b64decode(entry["data"]).splitlines():
                out.append((prefix, orjson.loads(line)))
    for path in sorted(store.rglob("*.json.gz")):
        key = path.relative_to(store).as_posix()
        assert key.startswith("logs/"), key  # nothing went to errors/
        for line in gzip.decompress(path.read_bytes()).splitlines():
            out.append((key.rpartition("/")[0], orjson.loads(line)))
    return out


def expected_prefix(record: dict[str, Any]) -> str:
    """The partition a record belongs to, from its own service and timestamp."""
    stamp = record["timestamp"]
    return f"logs/service={record['service']}/dt={stamp[:10]}/hour={stamp[11:13]}"


@pytest.fixture
def app(tmp_path: Path) -> Any:
    """The transform as the Lambda builds it, over a local store, with a log-group mapping."""
    return lambda_handler.build({"OBSERVABILITY_STORE_URL": (tmp_path / "store").as_uri(), **ENV})


def test_contract_holds_and_every_event_is_stored_once_in_its_partition(
    app: Any, tmp_path: Path
) -> None:
    """Ok records for the data messages, Dropped for the control message; each log event
    stored exactly once, in the partition of its own service and hour."""
    event = subscription_event()
    response = app.handle(event, ingested_at="2026-12-03T11:00:06.000000Z")
    check_shape(event, response)
    assert [e["result"] for e in response["records"]] == ["Ok", "Ok", "Dropped", "Ok"]
    lines = stored(event, response, tmp_path / "store")
    for prefix, record in lines:
        assert prefix == expected_prefix(record), record
    ids = Counter(record["record_id"] for _, record in lines)
    expected = set(log_events(event)) - {"37916382840123756234982374298347923847928374982374980005"}
    assert set(ids) == expected | {"sdk-7c1e-0"}  # the SDK's own record keeps its id
    assert set(ids.values()) == {1}
    prefixes = Counter(prefix for prefix, _ in lines)
    assert prefixes == {
        "logs/service=checkout-api/dt=2026-12-03/hour=10": 5,
        "logs/service=checkout-api/dt=2026-12-03/hour=11": 1,
        "logs/service=orders/dt=2026-12-03/hour=10": 2,
        "logs/service=orders/dt=2026-12-03/hour=11": 1,
        "logs/service=payments/dt=2026-12-03/hour=10": 2,
    }


def test_messages_become_records_with_their_fields(app: Any, tmp_path: Path) -> None:
    """Powertools and Lambda JSON map field by field; plain text keeps its text, with the
    level its first word names; every record has its group, stream, env and event id."""
    event = subscription_event()
    response = app.handle(event, ingested_at="2026-12-03T11:00:06.000000Z")
    records = {r["event"]: r for _, r in stored(event, response, tmp_path / "store")}
    start = records["START RequestId: 8f5e6c1a-2b3d-4e5f-9a0b-1c2d3e4f5a6b Version: $LATEST"]
    assert (start["level"], start["env"], start["timestamp"]) == (
        "info",
        "prod",
        "2026-12-03T10:15:01.000000Z",
    )
    assert start["attributes"] == {
        "log_group": "/aws/lambda/checkout-api",
        "log_stream": "2026/12/03/[$LATEST]0b2f6a8c9d1e4f5a",
    }
    declined = records["payment declined"]
    assert (declined["level"], declined["timestamp"]) == ("error", "2026-12-03T10:15:02.123000Z")
    assert declined["request_id"] == "8f5e6c1a-2b3d-4e5f-9a0b-1c2d3e4f5a6b"
    assert declined["trace_id"] == "1-656c5a1e-4bf92f3577b34da6a3ce929d"  # X-Ray's, as given
    assert declined["exception"]["type"] == "ValueError"
    assert declined["exception"]["message"].endswith("ValueError: card expired")
    assert declined["attributes"]["location"] == "handler:42"
    assert declined["attributes"]["cold_start"] is True
    assert declined["service"] == "checkout-api"  # the mapping decides, not the message
    retry = records["retrying the card network"]
    assert (retry["level"], retry["logger"], retry["timestamp"]) == (
        "warning",
        "root",
        "2026-12-03T10:15:02.456000Z",
    )
    unhandled = records[
        "[ERROR]\t2026-12-03T10:15:03.000Z\t8f5e6c1a-2b3d-4e5f-9a0b-1c2d3e4f5a6b\t"
        "Unhandled exception: card expired"
    ]
    assert unhandled["level"] == "error"
    sdk = records["order placed"]
    assert (sdk["record_id"], sdk["env"], sdk["attributes"]) == (
        "sdk-7c1e-0",
        "prod",
        {"order_id": 42},
    )
    assert records["WARN disk usage at 91% on /var/lib/orders"]["level"] == "warning"
    assert records["GET /health 200 1.2ms"]["level"] == "info"
    assert records["CRITICAL: database connection lost"]["level"] == "critical"
    refund = records["refund issued"]
    assert (refund["service"], refund["timestamp"]) == ("payments", "2026-12-03T10:20:00.500000Z")
    assert refund["attributes"]["amount_cents"] == 1299


def test_a_retried_batch_overwrites_what_the_transform_wrote(app: Any, tmp_path: Path) -> None:
    """Firehose retrying the same batch: the rerouted lines are written to the same keys,
    so each event is still stored once."""
    event = subscription_event()
    app.handle(event)
    first = sorted((tmp_path / "store").rglob("*.json.gz"))
    response = app.handle(event)
    assert sorted((tmp_path / "store").rglob("*.json.gz")) == first
    ids = Counter(r["record_id"] for _, r in stored(event, response, tmp_path / "store"))
    assert set(ids.values()) == {1}


def test_a_large_subscription_record_keeps_the_response_under_the_limit(
    app: Any, tmp_path: Path
) -> None:
    """Subscription data grows when unzipped: past the response budget, the remaining
    records fail back to Firehose with response_limit, and the response stays under 6 MB."""
    message = {
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": "/aws/lambda/bulk",
        "logStream": "s",
        "subscriptionFilters": ["f"],
        "logEvents": [
            {"id": f"{n:056d}", "timestamp": 1796292000000 + n, "message": f"line {n} " + "x" * 900}
            for n in range(2500)
        ],
    }
    data = base64.b64encode(gzip.compress(json.dumps(message).encode())).decode()
    assert len(data) < 1_000_000  # one compressed record, under Firehose's record limit
    event = {
        **subscription_event(),
        "records": [{"recordId": f"r{n}", "data": data} for n in range(3)],
    }
    response = app.handle(event)
    check_shape(event, response)
    results = [e["result"] for e in response["records"]]
    assert results[0] == "Ok" and "ProcessingFailed" in results
    assert len(json.dumps(response)) <= RESPONSE_BUDGET_BYTES < LAMBDA_RESPONSE_LIMIT_BYTES
