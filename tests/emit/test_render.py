"""Tests of observability.emit.render."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from observability.core.partitioning import group_key
from observability.core.schema import Kind
from observability.emit.render import jsonable, make_line_renderer, make_renderer


def test_values_orjson_refuses_become_strings() -> None:
    """Huge ints, lone surrogates, non-string keys and deep nesting render instead of failing."""
    deep: object = 1
    for _ in range(300):
        deep = [deep]
    record = {"big": 2**70, "text": "a\ud800b", "keys": {1: "one", (2, 3): "t"}, "deep": deep}
    line = make_renderer()(record)
    parsed = orjson.loads(line)
    assert parsed["big"] == str(2**70)
    assert parsed["text"] == "a\\ud800b"
    assert parsed["keys"] == {"1": "one", "(2, 3)": "t"}
    assert isinstance(parsed["deep"], list)


def test_known_objects_keep_orjson_forms_and_others_use_str() -> None:
    """Datetimes and dataclasses keep orjson's rendering; sets become lists; others use str()."""

    @dataclass
    class Point:
        x: int

    class Opaque:
        def __str__(self) -> str:
            return "opaque!"

    when = datetime(2026, 11, 23, 13, tzinfo=UTC)
    parsed = orjson.loads(make_renderer()({"when": when, "p": Point(1), "s": {3}, "o": Opaque()}))
    assert parsed == {"when": "2026-11-23T13:00:00+00:00", "p": {"x": 1}, "s": [3], "o": "opaque!"}


def test_jsonable_keeps_plain_values() -> None:
    """Plain JSON values come back equal; a value whose str() fails is still described."""

    class Broken:
        def __str__(self) -> str:
            raise RuntimeError("no")

    assert jsonable({"a": [1, 2.5, None, True, "x"]}) == {"a": [1, 2.5, None, True, "x"]}
    assert jsonable(Broken()) == "<unprintable Broken>"


def test_line_renderer_returns_group_and_line() -> None:
    """The last processor returns ((group, line), {}) with the partition's group key."""
    record = {"service": "svc", "timestamp": "2026-11-23T13:05:00.000000Z", "event": "e"}
    (group, line), kwargs = make_line_renderer()(None, "info", record)
    assert group == group_key(Kind.LOG, record) == "svc|2026-11-23T13"
    assert orjson.loads(line) == record
    assert kwargs == {}


def test_line_renderer_groups_follow_the_hour_and_the_service() -> None:
    """The kept group changes exactly when a record's hour or service does, and stays
    `group_key`'s across many records."""
    render = make_line_renderer()
    records = [
        {"service": service, "timestamp": f"2026-11-23T{hour}:{minute}:00.000000Z"}
        for service, hour, minute in [
            ("svc", "13", "05"),
            ("svc", "13", "59"),
            ("svc", "14", "00"),
            ("other", "14", "00"),
            ("svc", "14", "01"),
            ("svc", "13", "30"),
        ]
    ]
    groups = [render(None, "info", record)[0][0] for record in records]
    assert groups == [group_key(Kind.LOG, record) for record in records]
    assert groups == [
        "svc|2026-11-23T13",
        "svc|2026-11-23T13",
        "svc|2026-11-23T14",
        "other|2026-11-23T14",
        "svc|2026-11-23T14",
        "svc|2026-11-23T13",
    ]
