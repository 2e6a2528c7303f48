"""The query language: what parses to which AST, and what is refused with which message."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime

import orjson
import pytest

from observability.core.fields import Kind
from observability.search.model import (
    MAX_CLAUSES,
    MAX_QUERY_CHARS,
    And,
    Exact,
    MatchAll,
    Not,
    Or,
    SearchError,
    Text,
    parse_query,
)
from observability.search.request import Cursor, SearchRequest


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", MatchAll()),
        ("   ", MatchAll()),
        ("Timeout", Text(("timeout",))),
        ('"upstream  Timeout"', Text(("upstream", "timeout"))),
        ("timed-out", Text(("timed", "out"))),
        ("db.timeout", Text(("db.timeout",))),
        ("time*", Text(("time",), prefix=True)),
        ("event:timeout", Text(("timeout",))),
        ("service:checkout", Exact("service", "checkout")),
        ("service:check*", Exact("service", "check", prefix=True)),
        ("level:WARN", Exact("level", "warning")),
        ('service:"my service"', Exact("service", "my service")),
        ("attributes.model:fraud", Exact("attributes.model", "fraud")),
        ("exception.type:KeyError", Exact("exception.type", "KeyError")),
        (
            "timeout AND service:checkout",
            And((Text(("timeout",)), Exact("service", "checkout"))),
        ),
        ("a b", And((Text(("a",)), Text(("b",))))),
        ("a OR b c", Or((Text(("a",)), And((Text(("b",)), Text(("c",))))))),
        ("a || b && c", Or((Text(("a",)), And((Text(("b",)), Text(("c",))))))),
        ("(a OR b) c", And((Or((Text(("a",)), Text(("b",)))), Text(("c",))))),
        ("NOT a", Not(Text(("a",)))),
        ("-a +b", And((Not(Text(("a",))), Text(("b",))))),
        ("!level:debug", Not(Exact("level", "debug"))),
        ("a and b", And((Text(("a",)), Text(("and",)), Text(("b",))))),
    ],
)
def test_valid_queries_parse_to_the_expected_ast(query: str, expected: object) -> None:
    """Terms, phrases, fields, prefixes and boolean operators give the documented AST."""
    assert parse_query(query) == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("*timeout", "leading wildcards are not allowed"),
        ("*", "leading wildcards are not allowed"),
        ("service:*", "leading wildcards are not allowed"),
        ("ti*me", "inner wildcards are not allowed"),
        ("t*", "at least 2 characters"),
        ("service:c*", "at least 2 characters"),
        ("tim?", "single-character wildcards"),
        ("timeout~2", "fuzzy"),
        ("timeout^3", "boosts"),
        ("timestamp:[now TO now]", "ranges are not supported"),
        ("timestamp:now", "unknown field 'timestamp'"),
        ("foo:bar", "unknown field 'foo'"),
        ("/time.*/", "regular expressions"),
        ('"unclosed', "unterminated phrase"),
        ("(a OR b", "unclosed '('"),
        ("a OR", "ends where a term was expected"),
        ("a )", "unexpected ')'"),
        ("---", "no searchable characters"),
        ("level:loud", "unknown level 'loud'"),
        ("attributes.model:fr*", "without wildcards"),
        ("attributes.a-b:x", "unknown field 'attributes.a-b'"),
        ("service:", "empty value"),
        ("db.t*", "letters, digits and _ only"),
    ],
)
def test_refused_queries_name_the_problem(query: str, message: str) -> None:
    """Anything outside the safe subset is refused with a readable reason."""
    with pytest.raises(SearchError, match=re.escape(message)):
        parse_query(query)


def test_clause_and_length_bounds_are_enforced() -> None:
    """Too many clauses, too deep nesting or too long a query are refused, the bound kept."""
    assert isinstance(parse_query(" ".join(["a"] * MAX_CLAUSES)), And)
    with pytest.raises(SearchError, match=f"more than {MAX_CLAUSES} clauses"):
        parse_query(" ".join(["a"] * (MAX_CLAUSES + 1)))
    with pytest.raises(SearchError, match="nest deeper"):
        parse_query("(" * 9 + "a" + ")" * 9)
    with pytest.raises(SearchError, match="longer than"):
        parse_query("a" * (MAX_QUERY_CHARS + 1))


def test_request_build_normalises_filters_and_times() -> None:
    """Durations count back from now, bounds are cut to the millisecond, levels normalised."""
    now = datetime(2026, 11, 23, 12, 0, 0, 123_456, tzinfo=UTC)
    request = SearchRequest.build(
        "timeout",
        levels=("WARN,error", "error"),
        services=("checkout",),
        since="1h",
        until="2026-11-23T11:59:00.000999+00:00",
        interval="5m",
        now=now,
    )
    assert request.levels == ("warning", "error")
    assert request.since == datetime(2026, 11, 23, 11, 0, 0, 123_000, tzinfo=UTC)
    assert request.until == datetime(2026, 11, 23, 11, 59, 0, 0, tzinfo=UTC)
    assert request.interval_ms == 300_000
    assert SearchRequest.build("", interval="7d", now=now).interval_ms == 7 * 86_400_000


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"since": "yesterday"}, "bad time"),
        ({"since": "2026-W47-1T10:00:00Z"}, "since: bad time"),
        ({"until": "9999-12-31T23:59:59-05:00"}, "until: bad time"),
        ({"services": ("good/../../usr",)}, "bad service"),
        ({"since": "1h", "until": "2h"}, "since must be before until"),
        ({"sort": "sideways"}, "bad sort"),
        ({"size": 0}, "size must be between"),
        ({"interval": "500ms"}, "interval: bad duration"),
        ({"since": "30d", "interval": "1s"}, "more than 2000 buckets"),
        ({"search_after": "not-a-cursor"}, "bad search_after cursor"),
    ],
)
def test_request_build_refuses_bad_parameters(kwargs: dict[str, object], message: str) -> None:
    """Bad times, sorts, sizes, intervals and cursors are SearchErrors naming the parameter."""
    with pytest.raises(SearchError, match=message):
        SearchRequest.build("", **kwargs)  # type: ignore[arg-type]


def test_cursor_round_trips_and_carries_the_point_in_time() -> None:
    """A cursor decodes to the sort values and PIT id it was encoded from."""
    cursor = Cursor(1_795_431_425_123, "r019", "pit-id==")
    assert Cursor.decode(cursor.encode()) == cursor
    assert Cursor.decode(Cursor(5, "x").encode()).pit is None


def test_a_millisecond_cursor_still_reads_as_nanoseconds() -> None:
    """A cursor encoded before nanoseconds (`t`, milliseconds) decodes to its millisecond."""
    legacy = base64.urlsafe_b64encode(orjson.dumps({"t": 1_795_431_425_123, "r": "r1"}))
    cursor = Cursor.decode(legacy.decode().rstrip("="))
    assert (cursor.timestamp_ns, cursor.record_id) == (1_795_431_425_123_000_000, "r1")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("features.country:DE", Exact("features.country", "DE")),
        ("features.amount:12.5", Exact("features.amount", "12.5")),
        (
            'model:fraud model_version:"3"',
            And((Exact("model", "fraud"), Exact("model_version", "3"))),
        ),
        (
            "prediction_id:p-1 OR attributes.team:risk",
            Or((Exact("prediction_id", "p-1"), Exact("attributes.team", "risk"))),
        ),
        ("NOT features.returning:true", Not(Exact("features.returning", "true"))),
        ("model:fr*", Exact("model", "fr", prefix=True)),
    ],
)
def test_prediction_queries_parse_by_field(query: str, expected: object) -> None:
    """Predictions are searched by their keyword fields and `features.<name>` values."""
    assert parse_query(query, Kind.PREDICTION) == expected


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("timeout", "predictions have no free text"),
        ("event:timeout", "unknown field 'event'"),
        ("level:error", "unknown field 'level'"),
        ("features.country:D*", "features match exactly, without wildcards"),
        ("features.a-b:x", "unknown field 'features.a-b'"),
    ],
)
def test_prediction_queries_refused_name_the_problem(query: str, message: str) -> None:
    """Free text and log-only fields are refused for predictions with a readable reason."""
    with pytest.raises(SearchError, match=re.escape(message)):
        parse_query(query, Kind.PREDICTION)


def test_request_kind_is_checked() -> None:
    """`kind` takes log(s) or prediction(s); labels, levels and intervals of predictions are
    refused; a log field in a log query stays a log field."""
    assert SearchRequest.build("model:fraud", kind="predictions").kind is Kind.PREDICTION
    assert SearchRequest.build("features.a:1", kind="prediction").query == Exact("features.a", "1")
    for kwargs, message in (
        ({"kind": "label"}, "bad kind 'label'"),
        ({"kind": "trace"}, "bad kind 'trace'"),
        ({"kind": "prediction", "levels": ("error",)}, "predictions have no level"),
        ({"kind": "prediction", "interval": "1h"}, "predictions have no level"),
    ):
        with pytest.raises(SearchError, match=re.escape(message)):
            SearchRequest.build("", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(SearchError, match=re.escape("unknown field 'features.a'")):
        SearchRequest.build("features.a:1")
