"""The one time grammar: accepted forms, refused forms, bounds and half-open ranges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from observability.core.errors import ObservabilityError
from observability.core.times import (
    EARLIEST,
    FORMS,
    HELP,
    LATEST,
    MAX_DURATION,
    UNIT_SECONDS,
    TimeGrammarError,
    check_order,
    floor_hour,
    format_instant,
    parse_absolute,
    parse_duration,
    parse_instant,
    parse_range,
    parse_window,
    utc_instant,
)

NOW = datetime(2026, 12, 3, 13, 27, 45, 123_456, tzinfo=UTC)

ACCEPTED = [
    ("90s", NOW - timedelta(seconds=90)),
    ("30m", NOW - timedelta(minutes=30)),
    ("6h", NOW - timedelta(hours=6)),
    ("2d", NOW - timedelta(days=2)),
    ("1w", NOW - timedelta(weeks=1)),
    (" 30 m ", NOW - timedelta(minutes=30)),
    ("0m", NOW),
    ("2026-12-03", datetime(2026, 12, 3, tzinfo=UTC)),
    ("2026-12-03T13", datetime(2026, 12, 3, 13, tzinfo=UTC)),
    ("2026-12-03T13:00", datetime(2026, 12, 3, 13, tzinfo=UTC)),
    ("2026-12-03T13:00:00", datetime(2026, 12, 3, 13, tzinfo=UTC)),
    ("2026-12-03T13:00:00.5", datetime(2026, 12, 3, 13, 0, 0, 500_000, tzinfo=UTC)),
    ("2026-12-03T13:00:00.123456", datetime(2026, 12, 3, 13, 0, 0, 123_456, tzinfo=UTC)),
    ("2026-12-03T13:00:00,25", datetime(2026, 12, 3, 13, 0, 0, 250_000, tzinfo=UTC)),
    ("2026-12-03T13Z", datetime(2026, 12, 3, 13, tzinfo=UTC)),
    ("2026-12-03T13:00Z", datetime(2026, 12, 3, 13, tzinfo=UTC)),
    ("2026-12-03T13:00:00z", datetime(2026, 12, 3, 13, tzinfo=UTC)),
    ("2026-12-03t13:00:00Z", datetime(2026, 12, 3, 13, tzinfo=UTC)),
    ("2026-12-03 13:00:00Z", datetime(2026, 12, 3, 13, tzinfo=UTC)),
    ("2026-12-03T14:00+01:00", datetime(2026, 12, 3, 13, tzinfo=UTC)),
    ("2026-12-03T14:00+0100", datetime(2026, 12, 3, 13, tzinfo=UTC)),
    ("2026-12-03T14+01", datetime(2026, 12, 3, 13, tzinfo=UTC)),
    ("2026-12-03T08:30:00-04:30", datetime(2026, 12, 3, 13, tzinfo=UTC)),
    ("2026-12-03T13:00:00.000001+00:00", datetime(2026, 12, 3, 13, 0, 0, 1, tzinfo=UTC)),
    ("1970-01-01", EARLIEST),
    ("1969-12-31T23:00-01:00", EARLIEST),
    ("2199-12-31T23:59:59.999999Z", LATEST - timedelta(microseconds=1)),
    ("2200-01-01T00:59:59+01:00", LATEST - timedelta(seconds=1)),
]

REFUSED = [
    "",
    "   ",
    "yesterday",
    "now",
    "2026-W47-1",
    "2026-W47-1T13:00:00Z",
    "2026-337",
    "20261203",
    "20261203T1300",
    "2026-12-3",
    "26-12-03",
    "2026-12-03T1",
    "2026-12-03T13:0",
    "2026-12-03T13:00:00.1234567",
    "2026-12-03Z",
    "2026-12-03+01:00",
    "2026-13-01",
    "2026-02-30",
    "2026-12-03T24",
    "2026-12-03T23:60",
    "2026-12-03T23:59:60",
    "2026-12-03T13:00+24:00",
    "2026-12-03T13:00+01:60",
    "2026-12-03T13:00 UTC",
    "1969-12-31T23:59:59.999999Z",
    "1970-01-01T00:30+01:00",
    "2200-01-01",
    "2199-12-31T23:00-01:00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-05:00",
    "9999-12-31T23:59:59.999999Z",
    "99999999999d",
    "99999999999999999999w",
    "1" * 5000 + "d",
    "2027-01-01T00:00:00Z" + " " * 100,
    "30 minutes",
    "30M",
    "1.5h",
    "-30m",
    "+30m",
    "30ms",
    "30y",
    "٢٠٢٦-12-03",
    "2026-12-03T13:00:00\x00",
]


@pytest.mark.parametrize(("text", "expected"), ACCEPTED)
def test_every_accepted_form_gives_its_instant(text: str, expected: datetime) -> None:
    """Each form of the grammar resolves to the expected aware UTC instant."""
    moment = parse_instant(text, NOW)
    assert moment == expected
    assert moment.utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", REFUSED)
def test_every_refused_form_is_one_error_listing_the_forms(text: str) -> None:
    """Anything else raises TimeGrammarError, one line that lists the accepted forms."""
    with pytest.raises(TimeGrammarError) as caught:
        parse_instant(text, NOW)
    message = str(caught.value)
    assert "\n" not in message
    assert FORMS in message
    assert len(message) < 600
    assert isinstance(caught.value, ObservabilityError)
    assert isinstance(caught.value, ValueError)


def test_bounds_are_half_open_at_microsecond_precision() -> None:
    """EARLIEST and the last microsecond before LATEST are in; one step outside is out."""
    assert parse_instant(EARLIEST, NOW) == EARLIEST
    last = LATEST - timedelta(microseconds=1)
    assert parse_instant(format_instant(last), NOW) == last
    for outside in (EARLIEST - timedelta(microseconds=1), LATEST):
        with pytest.raises(TimeGrammarError, match="out of range"):
            utc_instant(outside)
    with pytest.raises(TimeGrammarError, match="before 1970"):
        parse_instant("21000d", NOW)
    with pytest.raises(TimeGrammarError, match="out of range"):
        parse_instant("1m", LATEST + timedelta(minutes=2))


def test_a_naive_value_means_utc_and_help_says_so() -> None:
    """Naive text and naive datetimes are UTC; HELP names the forms and the UTC rule."""
    naive = datetime(2026, 12, 3, 13)
    assert parse_instant(naive, NOW) == datetime(2026, 12, 3, 13, tzinfo=UTC)
    assert parse_instant("2026-12-03T13:00", NOW) == parse_instant("2026-12-03T13:00Z", NOW)
    assert "UTC" in HELP and "30m" in HELP and "2026-12-03T13" in HELP
    assert "\n" not in HELP


def test_an_aware_datetime_is_converted_to_utc() -> None:
    """A datetime with an offset names the same instant, in UTC."""
    plus_two = timezone(timedelta(hours=2))
    moment = parse_instant(datetime(2026, 12, 3, 15, tzinfo=plus_two), NOW)
    assert moment == datetime(2026, 12, 3, 13, tzinfo=UTC)
    assert moment.tzinfo is UTC


def test_a_bare_date_as_an_end_bound_is_that_days_midnight() -> None:
    """`until=2026-12-03` ends the range at 2026-12-03T00:00Z, excluded (half-open)."""
    start, end = parse_range("2026-12-02", "2026-12-03", NOW)
    assert (start, end) == (datetime(2026, 12, 2, tzinfo=UTC), datetime(2026, 12, 3, tzinfo=UTC))
    assert parse_range("6h", "2026-12-03T13", NOW)[1] == datetime(2026, 12, 3, 13, tzinfo=UTC)


@pytest.mark.parametrize(
    ("since", "until"),
    [("2026-12-03", "2026-12-03"), ("2026-12-03T13", "2026-12-03"), ("1h", "2h")],
)
def test_an_empty_or_reversed_range_is_refused(since: str, until: str) -> None:
    """start < end is required: a range with no instant in it is an error, not no rows."""
    with pytest.raises(TimeGrammarError, match="is not before the end"):
        parse_range(since, until, NOW)


def test_check_order_accepts_one_microsecond() -> None:
    """The shortest range, one microsecond, is not empty."""
    check_order(NOW, NOW + timedelta(microseconds=1))


def test_windows_take_any_form_on_each_side() -> None:
    """`START/END` reads each side with the grammar; a file's window refuses durations."""
    assert parse_window("2026-12-02/30m", NOW) == (
        datetime(2026, 12, 2, tzinfo=UTC),
        NOW - timedelta(minutes=30),
    )
    assert parse_window("2026-12-03T14:00+01:00/2026-12-04", None) == (
        datetime(2026, 12, 3, 13, tzinfo=UTC),
        datetime(2026, 12, 4, tzinfo=UTC),
    )
    for bad in ("2026-12-02", "2026-12-02/", "/2026-12-02", "2d/1d/0d"):
        with pytest.raises(TimeGrammarError):
            parse_window(bad, NOW)
    with pytest.raises(TimeGrammarError, match="bad time '2d'"):
        parse_window("2d/2026-12-04", None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("5m", timedelta(minutes=5)),
        ("6h", timedelta(hours=6)),
        ("2d", timedelta(days=2)),
        ("1w", timedelta(weeks=1)),
        ("12 h", timedelta(hours=12)),
    ],
)
def test_durations_parse_with_the_same_units(text: str, expected: timedelta) -> None:
    """Durations use the units of relative times: s, m, h, d and w."""
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    ["0s", "0w", "", "5", "m", "1.5h", "-5m", "5ms", "5y", "99999999999999999999w", "12001w"],
)
def test_bad_durations_are_one_error(text: str) -> None:
    """Zero, unknown units, fractions, signs and anything over the bound are refused."""
    with pytest.raises(TimeGrammarError, match="bad duration") as caught:
        parse_duration(text)
    assert "\n" not in str(caught.value)


def test_a_duration_bound_is_the_callers_to_tighten() -> None:
    """`at_most` refuses longer durations and says the limit."""
    assert parse_duration("31d", at_most=timedelta(days=31)) == timedelta(days=31)
    with pytest.raises(TimeGrammarError, match="the longest is 31 days"):
        parse_duration("32d", at_most=timedelta(days=31))


def test_format_instant_is_the_canonical_record_form() -> None:
    """Microseconds, a four-digit year, a `Z`; naive means UTC; offsets are applied."""
    assert format_instant(datetime(2026, 12, 3, 13, tzinfo=UTC)) == "2026-12-03T13:00:00.000000Z"
    assert format_instant(datetime(1970, 1, 1)) == "1970-01-01T00:00:00.000000Z"
    minus_five = timezone(timedelta(hours=-5))
    assert format_instant(datetime(2026, 12, 3, 8, tzinfo=minus_five)).startswith("2026-12-03T13")
    with pytest.raises(TimeGrammarError, match="out of range"):
        format_instant(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))))


def test_floor_hour_is_the_utc_hour_holding_an_instant() -> None:
    """Compaction's unit: the start of the hour, in UTC."""
    assert floor_hour(NOW) == datetime(2026, 12, 3, 13, tzinfo=UTC)
    assert floor_hour(parse_absolute("2026-12-03T13:59:59.999999+05:30")) == datetime(
        2026, 12, 3, 8, tzinfo=UTC
    )


_INSTANTS = st.datetimes(
    min_value=EARLIEST.replace(tzinfo=None),
    max_value=(LATEST - timedelta(microseconds=1)).replace(tzinfo=None),
).map(lambda moment: moment.replace(tzinfo=UTC))
_OFFSETS = st.integers(min_value=-(23 * 60 + 59), max_value=23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


@given(_INSTANTS)
def test_the_canonical_form_round_trips(moment: datetime) -> None:
    """format_instant then parse_instant gives back the same instant, to the microsecond."""
    assert parse_instant(format_instant(moment), NOW) == moment


@given(_INSTANTS, _OFFSETS)
def test_any_offset_names_the_same_instant(moment: datetime, zone: timezone) -> None:
    """An instant written in any offset parses back to itself."""
    assert parse_instant(moment.astimezone(zone).isoformat(), NOW) == moment


@given(
    st.integers(min_value=0, max_value=10**18),
    st.sampled_from(sorted(UNIT_SECONDS)),
)
def test_durations_of_any_size_parse_or_are_refused(amount: int, unit: str) -> None:
    """A duration of any size is exact when within the bound and one error beyond it."""
    seconds = amount * UNIT_SECONDS[unit]
    if 0 < seconds <= MAX_DURATION.total_seconds():
        assert parse_duration(f"{amount}{unit}") == timedelta(seconds=seconds)
    else:
        with pytest.raises(TimeGrammarError):
            parse_duration(f"{amount}{unit}")


@given(st.text(max_size=80))
def test_any_text_is_an_instant_in_range_or_the_one_error(text: str) -> None:
    """Whatever the text, the result is an instant in [EARLIEST, LATEST) or TimeGrammarError."""
    try:
        moment = parse_instant(text, NOW)
    except TimeGrammarError:
        return
    assert EARLIEST <= moment < LATEST


@given(
    st.from_regex(
        r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}(:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?)?"
        r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?",
        fullmatch=True,
    )
)
def test_grammar_shaped_text_never_escapes_as_another_exception(text: str) -> None:
    """Well-shaped but impossible dates, hours and offsets end as TimeGrammarError only."""
    try:
        moment = parse_absolute(text)
    except TimeGrammarError:
        return
    assert EARLIEST <= moment < LATEST
