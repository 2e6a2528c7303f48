"""The generated validators agree with the plain reference (`tests/core/reference.py`).

Same verdict, same reason and field, same stored record and partition, for records
mutated from valid ones, for lines with one defect each, and for timestamps probing the
validators' fast path (canonical text, a string range test and `fromisoformat`).
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from observability.core.errors import Reason, RecordError
from observability.core.schema import (
    FIELDS,
    INGESTED_AT,
    MAX_DEPTH,
    MAX_ID_LENGTH,
    Kind,
    normalize_timestamp,
    validate,
)
from observability.transform.lines import transform_line
from tests.core import reference
from tests.transform.records import json_values, timestamps, valid_logs, valid_predictions

NOW = "2026-11-23T20:00:00.000000Z"
SORTED = orjson.OPT_SORT_KEYS
Outcome = tuple[Any, ...]


def fast(record: dict[str, Any], kind: Kind | None) -> Outcome:
    """The generated validator's verdict and stored record (keys sorted)."""
    try:
        out = validate(copy.deepcopy(record), kind, NOW)
    except RecordError as error:
        return ("refused", error.reason, error.field)
    return _stored(out)


def slow(record: dict[str, Any], kind: Kind | None) -> Outcome:
    """The reference's verdict and stored record (keys sorted)."""
    try:
        out = reference.validate(copy.deepcopy(record), kind, NOW)
    except reference.RefusedError as refused:
        return ("refused", refused.reason, refused.field)
    return _stored(out)


def _stored(out: dict[str, Any]) -> Outcome:
    """An accepted record as its stored line, or the refusal `transform` gives a record no
    line can hold (`checks.unencodable`: an integer past 64 bits)."""
    try:
        return ("ok", orjson.dumps(out, option=SORTED))
    except orjson.JSONEncodeError:
        return ("refused", Reason.INVALID_VALUE, None)


def fast_line(line: bytes, kind: Kind | None) -> Outcome:
    """transform_line's verdict: partition and stored record, or reason and field."""
    try:
        accepted = transform_line(line, kind, NOW)
    except RecordError as error:
        return ("refused", error.reason, error.field)
    stored = orjson.loads(accepted.line)
    assert accepted.record_id == stored["record_id"]
    return ("ok", tuple(accepted.partition), orjson.dumps(stored, option=SORTED))


def slow_line(line: bytes, kind: Kind | None) -> Outcome:
    """The reference's verdict on a line."""
    try:
        where, record = reference.transform(line, kind, NOW)
    except reference.RefusedError as refused:
        return ("refused", refused.reason, refused.field)
    return ("ok", where, orjson.dumps(record, option=SORTED))


# --- strategies -------------------------------------------------------------------------

_CANONICAL = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2199, 12, 31, 23, 59, 59, 999999)
).map(lambda moment: moment.isoformat(timespec="microseconds") + "Z")
_ANY_YEAR = st.datetimes().map(lambda moment: moment.isoformat(timespec="microseconds") + "Z")
_NOISE = "0123456789-:T.Zt z+W,\u0662\n/"


def _perturb(text: str, position: int, char: str) -> str:
    position %= len(text) + 1
    return text[:position] + char + text[position + 1 :]


def _render(moment: datetime, separator: str, fraction: str, zone: str) -> str:
    return f"{moment:%Y-%m-%d}{separator}{moment:%H:%M:%S}{fraction}{zone}"


def timestamp_texts() -> st.SearchStrategy[str]:
    """Canonical and near-canonical text, other RFC 3339 forms, and nonsense."""
    perturbed = st.builds(
        _perturb, _CANONICAL | _ANY_YEAR, st.integers(0, 27), st.sampled_from(_NOISE)
    )
    cut = st.builds(lambda text, n: text[:n], _CANONICAL, st.integers(0, 27))
    forms = st.builds(
        _render,
        st.datetimes(min_value=datetime(1969, 12, 30), max_value=datetime(2200, 1, 2)),
        st.sampled_from(["T", "t", " ", "_"]),
        st.sampled_from(["", ".", ".5", ",25", ".123456", ".1234567", ".000000000001"]),
        st.sampled_from(
            [
                "Z",
                "z",
                "",
                "+00:00",
                "-00:00",
                "+05:30",
                "-0800",
                "+23:59",
                "+24:00",
                "+01",
                "+01:60",
                "+1:00",
                " Z",
            ]
        ),
    )
    return st.one_of(
        _CANONICAL,
        _ANY_YEAR,
        perturbed,
        cut,
        forms,
        st.builds(_week_date, _CANONICAL),
        timestamps(),
        st.text(max_size=30),
    )


def _week_date(canonical: str) -> str:
    """The same instant as an ISO week date, `2026-W47-1T...`: 27 characters too."""
    year, week, day = datetime.fromisoformat(canonical).isocalendar()
    return f"{year:04d}-W{week:02d}-{day}{canonical[10:]}"


_NAMES = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}", fullmatch=True)


def _values_for(name: str) -> st.SearchStrategy[Any]:
    """Values worth trying in a field: anything, and near misses of its own type."""
    specific: dict[str, st.SearchStrategy[Any]] = {
        "timestamp": timestamp_texts(),
        "level": st.sampled_from(["INFO", "Warn", "fatal", "loud", "", "İnfo", "debug "]),
        "service": _NAMES | st.text(max_size=6) | st.just("x" * 129),
        "model": _NAMES | st.text(max_size=6),
        "record_id": st.text(max_size=4) | st.just("r" * MAX_ID_LENGTH) | st.just("r" * 257),
        "prediction_id": st.text(max_size=4) | st.just("p" * 257),
        "schema_version": st.integers(-1, 3) | st.booleans() | st.just(1.0),
        "kind": st.sampled_from(["log", "prediction", "label", "metric", "LOG"]),
        "exception": st.fixed_dictionaries(
            {}, optional={"type": json_values(), "message": json_values(), "frames": json_values()}
        ),
        "features": st.dictionaries(st.text(max_size=3), json_values(), max_size=3),
        "prediction": st.dictionaries(st.text(max_size=3), json_values(), max_size=3),
        "latency_ms": st.floats() | st.integers(),
        INGESTED_AT: json_values(),
    }
    return specific.get(name, st.nothing()) | json_values()


def valid_labels() -> st.SearchStrategy[dict[str, Any]]:
    """Label records the schema must accept."""
    return st.fixed_dictionaries(
        {
            "kind": st.just("label"),
            "timestamp": timestamps(),
            "model": _NAMES,
            "prediction_id": st.text(min_size=1, max_size=20),
            "label": st.booleans() | st.integers(-5, 5) | st.text(max_size=5),
        }
    )


@st.composite
def mutated_records(draw: st.DrawFn) -> dict[str, Any]:
    """A valid record of any kind with a few fields deleted, nulled or replaced."""
    record: dict[str, Any] = dict(
        draw(st.one_of(valid_logs(), valid_predictions(), valid_labels()))
    )
    names = [spec.name for spec in FIELDS[Kind(record["kind"])]]
    names += ["extra", "attributes", INGESTED_AT, "service", "model"]
    for name in draw(st.lists(st.sampled_from(names), max_size=3)):
        action = draw(st.sampled_from(["delete", "null", "replace", "replace"]))
        if action == "delete":
            record.pop(name, None)
        elif action == "null":
            record[name] = None
        else:
            record[name] = draw(_values_for(name))
    return record


def _defect(line: bytes, choice: int, position: int) -> bytes:
    """The line with (at most) one defect a producer could send."""
    cut = position % (len(line) + 1)
    tail = line[:-1] if line.endswith(b"}") else line
    defects = [
        line,
        line[:cut],  # truncated
        line[:cut] + b"\xff" + line[cut:],  # a byte that is not UTF-8
        tail + b',"n":NaN}',
        tail + b',"n":-Infinity}',
        tail + b',"s":"\\ud800"}',  # a lone surrogate escape
        tail + b',"big":1e400}',
        tail + b',"huge":' + b"9" * 30 + b"}",  # past 64 bits: read as a double
        tail + b',"neg":-9223372036854775809}',
        b"[" + line + b"]",
    ]
    return defects[choice % len(defects)]


# --- the properties ---------------------------------------------------------------------


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(record=mutated_records(), kind=st.none() | st.sampled_from(Kind))
def test_validators_match_the_reference(record: dict[str, Any], kind: Kind | None) -> None:
    """Any mutated record: same verdict, reason, field and stored record as the reference."""
    assert fast(record, kind) == slow(record, kind)


@pytest.mark.parametrize("with_id", [False, True])
def test_an_integer_past_64_bits_is_refused_alike(with_id: bool) -> None:
    """A record only an in-process producer can make (a line reads such a number as a
    double): no line can hold it, so it is refused, whether its id is given or computed."""
    record: dict[str, Any] = {
        "kind": "log",
        "timestamp": "2026-11-23T13:00:00Z",
        "level": "info",
        "service": "checkout",
        "event": "e",
        "attributes": {"n": 2**70},
    }
    if with_id:
        record["record_id"] = "r-1"
    assert fast(record, None) == slow(record, None) == ("refused", Reason.INVALID_VALUE, None)


def _dumps(record: dict[str, Any]) -> bytes:
    """The record as a producer may write it: integers beyond 64 bits too (orjson refuses
    to write them; Python's json module does, and the line must still be judged alike)."""
    try:
        return orjson.dumps(record)
    except TypeError:
        return json.dumps(record, separators=(",", ":")).encode()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    record=mutated_records(),
    kind=st.none() | st.sampled_from(Kind),
    choice=st.integers(0, 9),
    position=st.integers(0, 400),
)
def test_lines_match_the_reference(
    record: dict[str, Any], kind: Kind | None, choice: int, position: int
) -> None:
    """A line with one defect or none: same verdict, partition and stored line."""
    line = _defect(_dumps(record), choice, position)
    assert fast_line(line, kind) == slow_line(line, kind)


@settings(max_examples=2000, deadline=None)
@given(text=timestamp_texts())
@example("2026-W47-1T13:00:00.000000Z")
@example("9999-12-31T23:59:59.999999Z")
@example("2200-01-01T00:00:00.000000Z")
@example("1970-01-01T00:00:00.000000Z")
@example("2026-02-29T00:00:00.000000Z")
@example("2028-02-29T00:00:00.000000Z")
def test_timestamps_match_the_reference(text: str) -> None:
    """Fast path (validator) and slow path (normalize_timestamp) both agree with the reference."""
    record = {"kind": "log", "timestamp": text, "level": "info", "service": "a", "event": "e"}
    assert fast(record, None) == slow(record, None)
    try:
        expected: object = reference.timestamp(text, "timestamp")
    except reference.RefusedError as refused:
        expected = refused.reason
    try:
        got: object = normalize_timestamp(text)
    except RecordError as error:
        got = error.reason
    assert got == expected


@pytest.mark.parametrize("levels", [MAX_DEPTH - 3, MAX_DEPTH - 2, MAX_DEPTH - 1, 300, 500])
@pytest.mark.parametrize("with_id", [False, True])
@pytest.mark.parametrize("where", ["attributes", "extra", "features"])
def test_depth_matches_the_reference(levels: int, with_id: bool, where: str) -> None:
    """Around MAX_DEPTH, in a field, an extra or a feature: same verdict and field."""
    record: dict[str, Any] = {
        "kind": "prediction",
        "timestamp": "2026-11-23T13:00:00Z",
        "model": "m",
        "prediction_id": "p",
        "features": {"a": 1},
        "prediction": 1,
    }
    if with_id:
        record["record_id"] = "r-1"
    if where == "attributes":
        record["attributes"] = {"deep": "DEEP"}
    elif where == "extra":
        record["extra"] = "DEEP"
    else:
        record["features"] = {"deep": "DEEP"}
    # orjson writes at most MAX_DEPTH levels: the deep value is spliced in as text.
    line = orjson.dumps(record).replace(b'"DEEP"', b"[" * levels + b"0" + b"]" * levels)
    assert fast_line(line, None) == slow_line(line, None)


def test_reference_reads_the_sdk_clock_form() -> None:
    """Sanity: the reference accepts the canonical form as it is and refuses out of range."""
    now = datetime.now(UTC)
    text = now.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
    assert reference.timestamp(text, "timestamp") == text
    later = (now + timedelta(days=365 * 200)).replace(tzinfo=None)
    with pytest.raises(reference.RefusedError):
        reference.timestamp(later.isoformat(timespec="microseconds") + "Z", "timestamp")
