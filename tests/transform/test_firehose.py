"""The Firehose transform keeps the response contract for any event and never loses a line."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from observability.core.errors import Reason
from observability.core.partitioning import partition_of
from observability.core.schema import MAX_RECORD_BYTES, Kind
from observability.transform.firehose import (
    DROPPED,
    LAMBDA_RESPONSE_LIMIT_BYTES,
    OK,
    PROCESSING_FAILED,
    transform_event,
)
from tests.transform.records import json_values, valid_logs

EVENTS = Path(__file__).parent.parent / "events"
NOW = "2026-11-23T20:00:00.000000Z"


def load_event(name: str) -> dict[str, Any]:
    """A fixture event from tests/events/."""
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return event


def make_event(payloads: list[bytes | str]) -> dict[str, Any]:
    """An AWS-shaped event; str payloads are sent as they are (not base64-encoded)."""
    return {
        "invocationId": "inv-1",
        "deliveryStreamArn": "arn:aws:firehose:us-east-1:123456789012:deliverystream/s",
        "region": "us-east-1",
        "records": [
            {
                "recordId": f"rec-{i:05d}",
                "approximateArrivalTimestamp": 1795438201000 + i,
                "data": p if isinstance(p, str) else base64.b64encode(p).decode(),
            }
            for i, p in enumerate(payloads)
        ],
    }


def decoded_lines(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """The NDJSON objects of an Ok entry's data, checking the trailing newline."""
    data = base64.b64decode(entry["data"])
    assert data.endswith(b"\n")
    return [orjson.loads(line) for line in data.splitlines()]


def log_line(**fields: Any) -> bytes:
    """A valid log line, with fields overridden."""
    record = {
        "kind": "log",
        "timestamp": "2026-11-23T13:00:00.000000Z",
        "level": "info",
        "service": "checkout",
        "event": "ok",
    }
    record.update(fields)
    return orjson.dumps(record)


def test_fixture_event_all_ok() -> None:
    """The AWS-shaped fixture: every record Ok with normalised data and partition keys."""
    event = load_event("kinesisFirehoseTransformEvent.json")
    result = transform_event(event, Kind.LOG, ingested_at=NOW)
    entries = result.response["records"]
    assert [e["recordId"] for e in entries] == [r["recordId"] for r in event["records"]]
    assert [e["result"] for e in entries] == [OK, OK, OK]
    second = decoded_lines(entries[1])[0]
    assert second["timestamp"] == "2026-11-23T13:05:02.500000Z"
    assert second["level"] == "warning"
    assert second["attributes"] == {"attempt": 2}
    assert second["ingested_at"] == NOW
    assert entries[1]["metadata"] == {
        "partitionKeys": {"service": "checkout", "dt": "2026-11-23", "hour": "13"}
    }
    assert entries[2]["metadata"]["partitionKeys"]["service"] == "payments"
    assert result.accepted == {Kind.LOG: 3}
    assert not result.rejections


def test_aggregated_fixture_keeps_every_line() -> None:
    """Aggregated NDJSON records come back as one Ok record each with all their lines."""
    event = load_event("kinesisFirehoseAggregatedEvent.json")
    result = transform_event(event, Kind.PREDICTION, ingested_at=NOW)
    entries = result.response["records"]
    assert [e["result"] for e in entries] == [OK, OK]
    assert [len(decoded_lines(e)) for e in entries] == [5, 3]
    assert entries[0]["metadata"]["partitionKeys"] == {
        "model": "churn",
        "dt": "2026-11-23",
        "hour": "09",
    }
    assert decoded_lines(entries[1])[0]["prediction"] is True
    assert result.accepted == {Kind.PREDICTION: 8}


def test_mixed_fixture_rejects_each_bad_line_with_its_reason() -> None:
    """Each bad line is rejected with its reason and field; the good neighbours stay Ok."""
    event = load_event("kinesisFirehoseMixedEvent.json")
    result = transform_event(event, Kind.LOG, ingested_at=NOW)
    entries = result.response["records"]
    assert [e["result"] for e in entries] == [OK, PROCESSING_FAILED, PROCESSING_FAILED, DROPPED, OK]
    assert [line["event"] for line in decoded_lines(entries[0])] == ["ok 0", "ok 9"]
    got = [
        (r.reason, r.field, r.index, p)
        for r, p in zip(result.rejections, result.rejection_records, strict=True)
    ]
    assert got == [
        (Reason.MALFORMED_JSON, None, 1, 0),
        (Reason.WRONG_TYPE, "event", 2, 0),
        (Reason.MISSING_FIELD, "event", 3, 0),
        (Reason.NAIVE_TIMESTAMP, "timestamp", 4, 0),
        (Reason.NON_FINITE_NUMBER, None, 5, 0),
        (Reason.INVALID_UTF8, None, 6, 0),
        (Reason.WRONG_KIND, "kind", 8, 0),
        (Reason.INVALID_VALUE, "level", 0, 1),
        (Reason.BAD_ENCODING, "data", None, 2),
    ]
    # Line 7 belongs to another service: it goes to its own partition, for the caller to write.
    [(position, partition, lines)] = result.rerouted
    assert (position, partition.prefix) == (0, "logs/service=payments/dt=2026-11-23/hour=13/")
    assert [orjson.loads(line)["event"] for line in lines] == ["ok 7"]
    assert result.partial == {0: (Kind.LOG, 2)}
    assert (result.failed, result.dropped, result.accepted) == (2, 1, {Kind.LOG: 3})
    assert decoded_lines(entries[4])[0]["timestamp"] == "2026-11-23T13:00:00.000000Z"


def test_line_over_the_size_limit_is_rejected_alone() -> None:
    """A line over 1,000 KiB is refused too_large; the small line beside it goes on."""
    huge = log_line(event="x" * MAX_RECORD_BYTES)
    result = transform_event(make_event([huge + b"\n" + log_line()]), ingested_at=NOW)
    entry = result.response["records"][0]
    assert entry["result"] == OK
    assert len(decoded_lines(entry)) == 1
    assert [r.reason for r in result.rejections] == [Reason.TOO_LARGE]
    assert result.rejections[0].raw == huge


@pytest.mark.parametrize(
    ("line", "reason", "field"),
    [
        (b'{"kind":"log",', Reason.MALFORMED_JSON, None),
        (log_line(level=3), Reason.WRONG_TYPE, "level"),
        (log_line(service=None), Reason.MISSING_FIELD, "service"),
        (log_line()[:-1] + b',"x":"\xc3\x28"}', Reason.INVALID_UTF8, None),
        (log_line()[:-1] + b',"x":Infinity}', Reason.NON_FINITE_NUMBER, None),
        (log_line(timestamp="2026-11-23T13:00:00"), Reason.NAIVE_TIMESTAMP, "timestamp"),
        (b"[1, 2]", Reason.NOT_AN_OBJECT, None),
    ],
)
def test_each_bad_input_fails_a_record_of_its_own(
    line: bytes, reason: Reason, field: str | None
) -> None:
    """A one-line record that is bad is ProcessingFailed, and its reason is returned."""
    result = transform_event(make_event([line, log_line()]), ingested_at=NOW)
    assert [e["result"] for e in result.response["records"]] == [PROCESSING_FAILED, OK]
    assert [(r.reason, r.field, r.raw) for r in result.rejections] == [(reason, field, line)]
    assert result.response["records"][0]["data"] == ""
    assert "metadata" not in result.response["records"][0]


def test_deep_nesting_and_out_of_range_times_never_raise() -> None:
    """Lines orjson cannot re-encode, or whose time leaves the calendar, are only rejected."""
    deep = b'{"kind":"log","timestamp":"2026-11-23T13:00:00Z","level":"info","service":"a",'
    deep += b'"event":"e","x":' + b"[" * 300 + b"]" * 300 + b"}"
    early = log_line(timestamp="0001-01-01T00:00:00+01:00")
    result = transform_event(make_event([deep + b"\n" + early + b"\n" + log_line()]))
    assert [r.reason for r in result.rejections] == [Reason.TOO_DEEP, Reason.INVALID_VALUE]
    assert result.response["records"][0]["result"] == OK


def test_a_record_nested_300_deep_fails_alone() -> None:
    """One-line records: the one nested 300 deep is ProcessingFailed too_deep, the rest Ok."""
    deep = log_line(record_id="r-deep")[:-1] + b',"attributes":{"x":' + b"[" * 300
    deep += b"]" * 300 + b"}}"
    result = transform_event(
        make_event([log_line(), deep, log_line(), log_line()]), ingested_at=NOW
    )
    results = [e["result"] for e in result.response["records"]]
    assert results == [OK, PROCESSING_FAILED, OK, OK]
    assert [(r.reason, r.field, r.raw) for r in result.rejections] == [
        (Reason.TOO_DEEP, "attributes", deep)
    ]
    assert result.accepted == {Kind.LOG: 3}


@pytest.mark.parametrize(
    "timestamp",
    ["9999-12-31T23:59:59.999999Z", "2026-W47-1T13:00:00Z", "2026-W47-1T13:00:00.000000Z"],
)
def test_timestamps_that_would_break_queries_are_refused(timestamp: str) -> None:
    """Far-future and week-date timestamps fail their record with invalid_value; no Ok
    record ever carries a partition that is not a calendar day in range."""
    bad = log_line(timestamp=timestamp)
    result = transform_event(make_event([bad, log_line()]), ingested_at=NOW)
    assert [e["result"] for e in result.response["records"]] == [PROCESSING_FAILED, OK]
    assert [(r.reason, r.field) for r in result.rejections] == [(Reason.INVALID_VALUE, "timestamp")]
    assert result.response["records"][1]["metadata"]["partitionKeys"]["dt"] == "2026-11-23"


def test_lines_of_another_hour_or_kind_are_rerouted() -> None:
    """Lines of another hour or kind than the record's first good line are returned by
    partition, for the caller to write there; none is refused."""
    lines = [
        log_line(),
        log_line(timestamp="2026-11-23T14:00:00Z"),
        b'{"kind":"label","timestamp":"2026-11-23T13:00:00Z","model":"m","prediction_id":"p","label":1}',
    ]
    result = transform_event(make_event([b"\n".join(lines)]), ingested_at=NOW)
    assert result.rejections == []
    assert [(pos, p.prefix, len(ls)) for pos, p, ls in result.rerouted] == [
        (0, "logs/service=checkout/dt=2026-11-23/hour=14/", 1),
        (0, "labels/model=m/dt=2026-11-23/", 1),
    ]
    assert len(decoded_lines(result.response["records"][0])) == 1
    assert result.partial == {0: (Kind.LOG, 1)}


def test_response_limit_fails_the_rest_and_stays_under_6_mb() -> None:
    """Once the budget is spent the remaining records fail with response_limit, counted."""
    line = log_line(event="y" * 20_000)
    event = make_event([line] * 400)  # ~10.7 MB of Ok data if all fitted
    result = transform_event(event, ingested_at=NOW)
    results = [e["result"] for e in result.response["records"]]
    fitted = results.count(OK)
    assert 0 < fitted < 400
    assert results == [OK] * fitted + [PROCESSING_FAILED] * (400 - fitted)
    assert result.over_limit == 400 - fitted
    size = len(json.dumps(result.response))
    assert size <= result.response_bytes <= 5_800_000 < LAMBDA_RESPONSE_LIMIT_BYTES
    assert not result.rejections


def test_budget_counts_the_failed_tail() -> None:
    """A tiny budget still leaves room for a ProcessingFailed entry for every record."""
    event = make_event([log_line()] * 50)
    result = transform_event(event, ingested_at=NOW, budget=4_000)
    assert result.over_limit > 0
    assert len(json.dumps(result.response)) <= 4_000


def test_fail_records_undoes_accepted_counts() -> None:
    """Failing an Ok record after the fact removes its data, keys and accepted lines."""
    event = make_event([log_line() + b"\n{bad", log_line()])
    result = transform_event(event, ingested_at=NOW)
    assert result.fail_records([0, 0]) == 1
    first = result.response["records"][0]
    assert first == {"recordId": "rec-00000", "result": PROCESSING_FAILED, "data": ""}
    assert result.accepted == {Kind.LOG: 1}
    assert result.response["records"][1]["result"] == OK


def _payloads() -> st.SearchStrategy[bytes | str]:
    ndjson = st.lists(json_values(), max_size=4).map(
        lambda values: b"\n".join(orjson.dumps(v) for v in values)
    )
    objects = st.lists(st.dictionaries(st.text(max_size=8), json_values(), max_size=5), max_size=3)
    return st.one_of(
        st.text(max_size=40),
        st.binary(max_size=60),
        ndjson,
        objects.map(lambda objs: b"\n".join(orjson.dumps(o) for o in objs)),
        valid_logs().map(orjson.dumps),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payloads=st.lists(_payloads(), max_size=12), kind=st.none() | st.sampled_from(Kind))
def test_any_event_gets_one_result_per_record_in_order(
    payloads: list[bytes | str], kind: Kind | None
) -> None:
    """Arbitrary data (text, bytes, JSON, NDJSON) never raises; each recordId once, in order."""
    event = make_event(payloads)
    result = transform_event(event, kind, ingested_at=NOW)
    entries = result.response["records"]
    assert [e["recordId"] for e in entries] == [r["recordId"] for r in event["records"]]
    for entry in entries:
        assert entry["result"] in (OK, DROPPED, PROCESSING_FAILED)
        base64.b64decode(entry["data"], validate=True)
        assert ("metadata" in entry) == (entry["result"] == OK)
    assert len(json.dumps(result.response)) <= result.response_bytes
    assert all(0 <= p < len(entries) for p in result.rejection_records)


@settings(max_examples=100, deadline=None)
@given(records=st.lists(valid_logs(), min_size=1, max_size=5))
def test_valid_records_round_trip(records: list[dict[str, Any]]) -> None:
    """Every valid record comes back Ok, keyed by its partition_of, with its content."""
    event = make_event([orjson.dumps(r) for r in records])
    result = transform_event(event, Kind.LOG, ingested_at=NOW)
    for record, entry in zip(records, result.response["records"], strict=True):
        assert entry["result"] == OK
        (line,) = decoded_lines(entry)
        assert line["event"] == record["event"]
        keys = partition_of(Kind.LOG, line).firehose_keys()
        assert entry["metadata"]["partitionKeys"] == keys
    assert result.accepted == {Kind.LOG: len(records)}
