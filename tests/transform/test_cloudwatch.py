"""Tests of observability.transform.cloudwatch: subscription messages to log record lines."""

from __future__ import annotations

import gzip
import json
from typing import Any

import orjson
import pytest

from observability.core.errors import Reason, RecordError, SettingsError
from observability.core.settings import Settings
from observability.transform.cloudwatch import (
    MAX_DECOMPRESSED_BYTES,
    LogGroupMapping,
    decode,
    is_subscription_record,
)
from observability.transform.firehose import DROPPED, OK, PROCESSING_FAILED, transform_event
from tests.transform.test_firehose import make_event


def message(events: list[dict[str, Any]], group: str = "/aws/lambda/fn") -> dict[str, Any]:
    """A DATA_MESSAGE of one log group."""
    return {
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": group,
        "logStream": "stream-1",
        "subscriptionFilters": ["f"],
        "logEvents": events,
    }


def packed(*messages: dict[str, Any]) -> bytes:
    """Messages as a subscription record's data: one gzip member each."""
    return b"".join(gzip.compress(json.dumps(m).encode()) for m in messages)


def lines(data: bytes, mapping: LogGroupMapping | None = None) -> list[dict[str, Any]]:
    """The decoded records."""
    decoded = decode(data, mapping or LogGroupMapping())
    assert decoded is not None
    return [orjson.loads(line) for line in decoded]


def test_service_comes_from_the_mapping_or_the_last_segment() -> None:
    """Exact names and `*` prefixes map groups to services; others use their last segment."""
    mapping = LogGroupMapping.from_settings(
        Settings.from_env(
            {"OBSERVABILITY_CLOUDWATCH_SERVICES": "/ecs/web-*=web, /aws/lambda/x=pay"}
        )
    )
    assert mapping.service("/ecs/web-blue") == "web"
    assert mapping.service("/aws/lambda/x") == "pay"
    assert mapping.service("/aws/lambda/x-other") == "x-other"
    assert mapping.service("/aws/ecs/api/") == "api"
    assert mapping.env == "dev"  # OBSERVABILITY_ENV's default
    with pytest.raises(SettingsError, match="OBSERVABILITY_CLOUDWATCH_SERVICES"):
        LogGroupMapping.from_settings(
            Settings.from_env({"OBSERVABILITY_CLOUDWATCH_SERVICES": "no-equals"})
        )


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("ERROR could not connect", "error"),
        ("[WARN] slow query", "warning"),
        ("CRITICAL: disk gone", "critical"),
        ("DEBUG", "debug"),
        ("Error is a word here", "info"),
        ("INFORMATION only", "info"),
        ("plain line", "info"),
    ],
)
def test_plain_text_level_comes_from_a_leading_level_word(text: str, level: str) -> None:
    """Upper-case level words at the start set the level; anything else is info."""
    [record] = lines(packed(message([{"id": "1", "timestamp": 0, "message": text}])))
    assert (record["event"], record["level"]) == (text, level)


def test_structured_messages_and_timestamps() -> None:
    """An epoch-ms or ISO `timestamp` in the message wins; an unreadable one is kept aside."""
    events = [
        {"id": "1", "timestamp": 5, "message": '{"level":"info","message":"a","timestamp":1000}'},
        {
            "id": "2",
            "timestamp": 5,
            "message": '{"level":"x","message":{"k":1},"timestamp":"soon"}',
        },
    ]
    first, second = lines(packed(message(events)))
    assert (first["level"], first["timestamp"]) == ("info", "1970-01-01T00:00:01.000000Z")
    assert (second["level"], second["event"]) == ("info", '{"k":1}')
    assert second["timestamp"] == "1970-01-01T00:00:00.005000Z"
    assert second["attributes"]["original_timestamp"] == "soon"


def test_several_gzip_members_and_control_messages() -> None:
    """Back-to-back gzip members are all read; a record of control messages only is None."""
    control = {"messageType": "CONTROL_MESSAGE", "logGroup": "", "logStream": "", "logEvents": []}
    data = packed(message([{"id": "1", "timestamp": 0, "message": "a"}]), control, message([]))
    assert [r["event"] for r in lines(data)] == ["a"]
    assert decode(packed(control), LogGroupMapping()) is None
    assert is_subscription_record(data) and not is_subscription_record(b'{"kind":"log"}')


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x1f\x8bnot really gzip", Reason.BAD_ENCODING),
        (gzip.compress(b"{not json"), Reason.MALFORMED_JSON),
        (gzip.compress(b"[1, 2]"), Reason.WRONG_TYPE),
        (gzip.compress(b'{"messageType": "SOMETHING"}'), Reason.INVALID_VALUE),
        (gzip.compress(b'{"messageType": "DATA_MESSAGE"}'), Reason.MISSING_FIELD),
        (gzip.compress(b" " * (MAX_DECOMPRESSED_BYTES + 1)), Reason.TOO_LARGE),
        (gzip.compress(b'{"messageType": "DATA_MESSAGE"}')[:-9], Reason.BAD_ENCODING),
    ],
)
def test_data_that_is_no_subscription_message_is_refused(data: bytes, reason: Reason) -> None:
    """Bad gzip, bad JSON, an unknown shape or too much data: one RecordError with a reason."""
    with pytest.raises(RecordError) as raised:
        decode(data, LogGroupMapping())
    assert raised.value.reason is reason


def test_transform_event_contract_for_subscription_records() -> None:
    """A data message is Ok (its bad events refused one by one), a control message Dropped,
    undecodable data ProcessingFailed with its reason."""
    good = message(
        [
            {"id": "e1", "timestamp": 1796292000000, "message": "hello"},
            {"id": "e2", "timestamp": "yesterday", "message": "bad time"},
        ]
    )
    control = {"messageType": "CONTROL_MESSAGE", "logGroup": "", "logStream": "", "logEvents": []}
    event = make_event([packed(good), packed(control), b"\x1f\x8b\x08broken"])
    result = transform_event(event, ingested_at="2026-12-03T00:00:00.000000Z")
    assert [e["result"] for e in result.response["records"]] == [OK, DROPPED, PROCESSING_FAILED]
    assert [
        (r.reason, r.field, p)
        for r, p in zip(result.rejections, result.rejection_records, strict=True)
    ] == [
        (Reason.INVALID_VALUE, "timestamp", 0),
        (Reason.BAD_ENCODING, "data", 2),
    ]
    assert result.response["records"][0]["metadata"]["partitionKeys"]["service"] == "fn"
