"""The typed fast path keeps exactly the lines the generic path would, byte for byte."""

from __future__ import annotations

import binascii
import json
import random
from typing import Any

import msgspec
import orjson
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from observability.core.errors import RecordError
from observability.core.partitioning import Partition
from observability.core.schema import Kind
from observability.transform.firehose import OK, transform_event
from observability.transform.lines import transform_line
from observability.transform.typed import accept_many, kept, stamp
from tests.core import reference
from tests.transform.records import json_values, valid_logs, valid_predictions

NOW = "2026-11-23T20:00:00.000000Z"
SUFFIX = stamp(NOW) or b""  # NOW is plain ASCII: never None
_SHORT_ESCAPES = {0x08: b"\\b", 0x09: b"\\t", 0x0A: b"\\n", 0x0C: b"\\f", 0x0D: b"\\r"}


def shortest(code: int) -> bytes:
    """The one shortest way JSON can write a code point without a `\\u` escape, if any."""
    if code == 0x22:
        return b'\\"'
    if code == 0x5C:
        return b"\\\\"
    if code < 0x20:
        return _SHORT_ESCAPES.get(code, b"\\u%04x" % code)
    return chr(code).encode()


def test_orjson_and_msgspec_write_every_string_in_its_shortest_form() -> None:
    """Both libraries write each code point the same way, the shortest JSON allows."""
    different = [
        code
        for code in range(0x110000)
        if not 0xD800 <= code <= 0xDFFF
        and not orjson.dumps(chr(code))
        == msgspec.json.encode(chr(code))
        == b'"%s"' % shortest(code)
    ]
    assert different == []


@pytest.mark.parametrize("text", [b'"\x01"', b'"\x1f"', b'"\xff"', b'"\xc3"', b'"\xed\xa0\x80"'])
def test_msgspec_refuses_strings_shorter_than_their_rendering(text: bytes) -> None:
    """Raw control characters and invalid UTF-8 never decode (they would beat the length proof)."""
    with pytest.raises(msgspec.DecodeError):
        msgspec.json.decode(text, type=str)


def stored(record: dict[str, Any]) -> bytes:
    """A record as the SDK writes it: validated, with its record_id, compact orjson."""
    done = reference.validate(record, None, None)
    return orjson.dumps(done)


def renderings(record: dict[str, Any], how: int, seed: int) -> bytes:
    """One of several ways a producer might write the record."""
    if how == 0:
        return orjson.dumps(record)
    if how == 1:
        return json.dumps(record).encode()  # spaced, ASCII escapes
    if how == 2:
        return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()
    items = list(record.items())
    random.Random(seed).shuffle(items)
    return orjson.dumps(dict(items))


def accept(line: bytes, expected: Kind | None, suffix: bytes) -> tuple[Partition, bytes] | None:
    """The fast path's verdict on one line: its partition and kept line, or None."""
    partitions, declined = accept_many([line], expected)
    assert (partitions[0] is None) is (declined == [0])
    return None if partitions[0] is None else (partitions[0], kept(line, suffix))


def same_as_generic(line: bytes, expected: Kind | None) -> bool:
    """Whether the fast path agrees with `transform_line`; returns whether it took the line."""
    fast = accept(line, expected, SUFFIX)
    if fast is None:
        return False
    slow = transform_line(line, expected, NOW)
    assert fast == (slow.partition, slow.line)
    # And with the plain reference implementation, which shares no code with either.
    assert fast[1] == orjson.dumps(reference.validate(reference.parse(line), expected, NOW))
    return True


_MUTATIONS = st.sampled_from(
    ["timestamp", "level", "service", "model", "event", "record_id", "schema_version",
     "kind", "attributes", "exception", "features", "prediction", "latency_ms", "extra",
     "ingested_at", "env"]
)  # fmt: skip


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(valid_logs(), valid_predictions()),
    st.tuples(st.integers(0, 3), st.integers(0, 1_000)),
    st.lists(st.tuples(_MUTATIONS, json_values()), max_size=2),
    st.sampled_from([None, Kind.LOG, Kind.PREDICTION]),
    st.booleans(),
)
@example(
    {"kind": "log", "timestamp": "2026-11-23T13:00:00.000000Z", "level": "info",
     "service": "a", "event": "e"}, (0, 0), [], Kind.LOG, True,
)  # fmt: skip
def test_fast_path_agrees_with_the_generic_path(
    record: dict[str, Any],
    style: tuple[int, int],
    mutations: list[tuple[str, Any]],
    expected: Kind | None,
    canonical: bool,
) -> None:
    """Valid or not, however written: the fast path declines or gives the generic result."""
    if canonical:  # the SDK's own form, which the fast path is for
        try:
            record = orjson.loads(stored(record))
        except reference.RefusedError:
            return
    for name, value in mutations:
        record[name] = value
    same_as_generic(renderings(record, *style), expected)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(valid_logs(), valid_predictions()))
def test_sdk_lines_take_the_fast_path(record: dict[str, Any]) -> None:
    """A valid record in stored form, with no `\\u` escape, is kept by the fast path."""
    line = stored(record)
    assert same_as_generic(line, None) or b"\\u" in line


def test_lines_needing_normalisation_go_the_generic_way() -> None:
    """An alias level, an offset time, a null, an extra field or no record_id: declined."""
    base = {
        "schema_version": 1,
        "kind": "log",
        "record_id": "r1",
        "timestamp": "2026-11-23T13:00:00.000000Z",
        "level": "info",
        "service": "a",
        "event": "e",
    }
    assert accept(orjson.dumps(base), Kind.LOG, SUFFIX) is not None
    for change in (
        {"level": "warn"},
        {"timestamp": "2026-11-23T15:00:00.000000+02:00"},
        {"env": None},
        {"colour": "red"},
        {"exception": "boom"},
        {"attributes": {"a": 1.0e2, "b": [1, 2]}} | {"event": "e "},
    ):
        line = orjson.dumps(base | change)
        assert same_as_generic(line, Kind.LOG) is ("attributes" in change)
    line = orjson.dumps({k: v for k, v in base.items() if k != "record_id"})
    assert accept(line, Kind.LOG, SUFFIX) is None
    assert accept(orjson.dumps(base), Kind.PREDICTION, SUFFIX) is None  # wrong_kind is judged
    assert accept(orjson.dumps(base).replace(b",", b", "), Kind.LOG, SUFFIX) is None


def reference_event(lines: list[bytes]) -> list[dict[str, Any]]:
    """The response the generic path gives, one line per record (no limit reached)."""
    entries: list[dict[str, Any]] = []
    for i, line in enumerate(lines):
        try:
            accepted = transform_line(line, Kind.LOG, NOW)
        except Exception:  # noqa: BLE001 - only the verdict matters here
            entries.append({"recordId": str(i), "result": "ProcessingFailed", "data": ""})
            continue
        data = binascii.b2a_base64(accepted.line + b"\n", newline=False).decode()
        keys = {"partitionKeys": accepted.partition.firehose_keys()}
        entries.append({"recordId": str(i), "result": OK, "data": data, "metadata": keys})
    return entries


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(valid_logs(), st.booleans(), st.integers(0, 3)), max_size=20))
def test_event_response_matches_the_generic_path(
    records: list[tuple[dict[str, Any], bool, int]],
) -> None:
    """A whole event of canonical and other lines answers as the generic path does."""
    lines = []
    for record, canonical, how in records:
        try:
            source = orjson.loads(stored(record)) if canonical else record
        except reference.RefusedError:
            source = record
        lines.append(renderings(source, how, 0))
    event = {
        "records": [
            {"recordId": str(i), "data": binascii.b2a_base64(line, newline=False).decode()}
            for i, line in enumerate(lines)
        ]
    }
    result = transform_event(event, Kind.LOG, ingested_at=NOW)
    assert result.response["records"] == reference_event(lines)


#: Record data that is not one line of JSON in stored form, put among good records.
_ODD_DATA = st.sampled_from(
    ["", "IA==", "bm90IGpzb24=", "e30=", "!!not base64", "e30", None, 7, "w6k="]
)


def generic_entry(position: int, data: object, expected: Kind | None) -> tuple[Any, ...]:
    """One record as the generic path alone answers it: the entry and the rejection reason."""
    record_id = f"r{position}"
    try:
        payload = binascii.a2b_base64(data, strict_mode=True)  # type: ignore[arg-type]
    except (ValueError, TypeError):
        return {"recordId": record_id, "result": "ProcessingFailed", "data": ""}, "bad_encoding"
    try:
        accepted = transform_line(payload, expected, NOW)
    except RecordError as error:
        if not payload.strip():
            return {"recordId": record_id, "result": "Dropped", "data": ""}, None
        return {"recordId": record_id, "result": "ProcessingFailed", "data": ""}, error.reason
    data = binascii.b2a_base64(accepted.line + b"\n", newline=False).decode()
    keys = {"partitionKeys": accepted.partition.firehose_keys()}
    return {"recordId": record_id, "result": OK, "data": data, "metadata": keys}, None


def assert_generic(datas: list[object], expected: Kind | None) -> None:
    """The batched transform of these record datas answers as the generic path, record by
    record: entries, rejection reasons and positions, and counts."""
    event = {"records": [{"recordId": f"r{i}", "data": data} for i, data in enumerate(datas)]}
    result = transform_event(event, expected, ingested_at=NOW)
    answers = [generic_entry(i, data, expected) for i, data in enumerate(datas)]
    assert result.response["records"] == [entry for entry, _ in answers]
    refused = [(i, reason) for i, (_, reason) in enumerate(answers) if reason is not None]
    assert [r.reason for r in result.rejections] == [reason for _, reason in refused]
    assert result.rejection_records == [i for i, _ in refused]
    ok = [entry for entry, _ in answers if entry["result"] == OK]
    assert sum(result.accepted.values()) == len(ok)
    assert result.failed == len(refused)
    assert result.dropped == sum(entry["result"] == "Dropped" for entry, _ in answers)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.one_of(valid_logs(), valid_predictions()),
            st.booleans(),
            st.integers(0, 3),
            st.lists(st.tuples(_MUTATIONS, json_values()), max_size=1),
        ),
        min_size=1,
        max_size=25,
    ),
    st.lists(st.tuples(st.integers(0, 24), _ODD_DATA), max_size=2),
    st.sampled_from([None, Kind.LOG, Kind.PREDICTION]),
)
def test_batched_events_match_the_generic_path(
    records: list[tuple[dict[str, Any], bool, int, list[tuple[str, Any]]]],
    odd: list[tuple[int, object]],
    expected: Kind | None,
) -> None:
    """Events of both kinds, canonical or not, mutated, with odd records in the middle:
    every record answers as the generic path alone answers it."""
    datas: list[object] = []
    for record, canonical, how, mutations in records:
        try:
            source = orjson.loads(stored(record)) if canonical else record
        except reference.RefusedError:
            source = record
        for name, value in mutations:
            source[name] = value
        datas.append(binascii.b2a_base64(renderings(source, how, 0), newline=False).decode())
    for position, data in odd:
        datas.insert(min(position, len(datas)), data)
    assert_generic(datas, expected)


def sdk_lines(count: int) -> list[bytes]:
    """SDK-shaped log lines in stored form over several services and hours."""
    return [
        stored(
            {
                "kind": "log",
                "timestamp": f"2026-11-23T1{i % 3}:{i % 60:02d}:00.{i:06d}Z",
                "level": "info",
                "service": f"svc-{i % 4}",
                "event": f'event {i} \u00e9 "quoted"',
                "attributes": {"status": 200 + i % 3, "ratio": i / 7},
            }
        )
        for i in range(count)
    ]


@pytest.mark.parametrize(
    "bad",
    [
        b'{"kind":"log"}',  # a refused record
        b"",  # blank: dropped
        b'{"kind": "log"}',  # not in stored form
    ],
)
def test_one_bad_record_in_a_large_event(bad: bytes) -> None:
    """A bad record in the middle of 2,000 good ones is judged alone; the rest keep the batch."""
    datas: list[object] = [
        binascii.b2a_base64(line, newline=False).decode() for line in sdk_lines(2_000)
    ]
    datas[1_000] = binascii.b2a_base64(bad, newline=False).decode()
    assert_generic(datas, Kind.LOG)
    payloads = [binascii.a2b_base64(data) for data in datas]  # type: ignore[arg-type]
    assert accept_many(payloads, Kind.LOG).declined == [1_000]


def test_lines_spanning_each_other_are_not_taken_together() -> None:
    """Lines that only parse as JSON when joined (one opens what the next closes) are each
    declined: a batch never mistakes two lines for one record."""
    good = sdk_lines(3)
    head, tail = good[0][:-1] + b',"attributes":[{"a":1}', b'{"b":2}]}'
    partitions, declined = accept_many([head, tail, good[1], good[2]], None)
    assert declined == [0, 1]
    assert None not in partitions[2:]
    assert partitions[2:] == accept_many(good[1:], None).partitions
