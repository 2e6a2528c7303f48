"""Tests of observability.emit.patterns: the fast scan against a plain reference."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from observability.emit.patterns import (
    PATTERN,
    is_card_number,
    luhn_valid,
    replace,
    scrub_patterns,
)
from observability.emit.redaction import Redactor

VISA = "4111111111111111"  # the classic test card number; passes Luhn

#: The reference: the shapes as first written, one alternation over every string.
_REFERENCE = re.compile(
    r"(?P<email>[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})"
    r"|(?P<bearer>\b(?i:bearer)[ \t]+[A-Za-z0-9._~+/=-]+)"
    r"|(?P<aws_access_key>\b(?:AKIA|ASIA)[A-Z0-9]{16}\b)"
    r"|(?P<card>(?<![0-9])[0-9][0-9 -]{11,36}[0-9](?![0-9]))"
)


def _reference_luhn(digits: str) -> bool:
    """The checksum as usually written: a loop from the right, doubling every second."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _reference_card(text: str) -> bool:
    digits = re.sub(r"[ -]", "", text)
    return (
        re.fullmatch(r"[0-9](?:[ -]?[0-9])*", text) is not None
        and 13 <= len(digits) <= 19
        and _reference_luhn(digits)
    )


def _reference_replace(match: re.Match[str]) -> str:
    what = match.lastgroup
    if what == "card" and not _reference_card(match.group()):
        return match.group()
    return f"[REDACTED:{what}]"


def reference_scrub(text: str) -> str:
    """The plain implementation: the full alternation over the whole string."""
    return _REFERENCE.sub(_reference_replace, text)


def _luhn_completed(body: str) -> str:
    """`body` plus the check digit that makes it pass Luhn."""
    return next(body + d for d in "0123456789" if _reference_luhn(body + d))


_DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=22)
_SEPARATOR = st.sampled_from(["", " ", "-", "  ", "--", " -"])
_CARDS = st.builds(
    lambda body, valid, seps: _grouped(_luhn_completed(body) if valid else body + "7", seps),
    st.text(alphabet="0123456789", min_size=11, max_size=19),
    st.booleans(),
    st.lists(_SEPARATOR, min_size=1, max_size=4),
)
_WORD = st.text(alphabet="abcAKIASbearBEARER019._%+-~/=", min_size=1, max_size=12)
_EMAILS = st.builds(
    lambda local, domain, tld: f"{local}@{domain}.{tld}",
    st.text(alphabet="abXY09._%+-", min_size=0, max_size=8),
    st.text(alphabet="ab09-.", min_size=0, max_size=8),
    st.text(alphabet="abcZ1", min_size=0, max_size=4),
)
_BEARERS = st.builds(
    lambda word, gap, token: f"{word}{gap}{token}",
    st.sampled_from(["bearer", "Bearer", "BEARER", "BeArEr", "bEARER", "xbearer", "bear"]),
    st.sampled_from([" ", "\t", " \t ", "", ":"]),
    _WORD,
)
_AWS_KEYS = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(["AKIA", "ASIA", "akia", "AKI", "xAKIA"]),
    st.text(alphabet="ABCXYZ0123456789a", min_size=14, max_size=18),
)
_NEAR_MISSES = st.sampled_from(
    [
        "2026-12-03 10:41:46",
        "1764010000002",
        "+1 415 555 0100",
        "816a9b48-7646-08df-d3ec-94310698f0b5",
        "user@localhost",
        "a@b.c",
        "ASIA",
        "\ud800",  # a lone surrogate: encodable only with surrogatepass
        "é@ü.de",
        "١٢٣٤٥٦٧٨٩٠١٢٣٤",  # Arabic-Indic digits: not `[0-9]`
        "\u017f",  # long s and the Kelvin sign fold to ASCII letters under (?i)
        "\u212a",
    ]
)
_FRAGMENTS = st.one_of(
    _CARDS,
    _EMAILS,
    _BEARERS,
    _AWS_KEYS,
    _NEAR_MISSES,
    _DIGITS,
    _WORD,
    st.text(max_size=8),
)
_TEXTS = st.builds(
    lambda parts, glue: glue.join(parts),
    st.lists(_FRAGMENTS, max_size=6),
    st.sampled_from(["", " ", "-", "\t", ":", "x", "0", "@", " 4111 "]),
)


def _grouped(digits: str, separators: list[str]) -> str:
    """`digits` cut into groups of four, joined by the separators in turn."""
    groups = [digits[i : i + 4] for i in range(0, len(digits), 4)]
    out = groups[0]
    for i, group in enumerate(groups[1:]):
        out += separators[i % len(separators)] + group
    return out


@given(_TEXTS)
@settings(max_examples=3000, deadline=None)
@example("token: BeArer abc123")
@example("12 4567890123-x@y.com")  # a kept card-shape match moves where an e-mail starts
@example(f"card {VISA} from bob@example.com")
def test_fast_scan_equals_the_reference(text: str) -> None:
    """On any mix of secret shapes and look-alikes, the fast scan masks exactly what the
    full alternation does, and returns the very same string when it masks nothing."""
    expected = reference_scrub(text)
    got = scrub_patterns(text)
    assert got == expected
    if expected == text:
        assert got is text


@given(_TEXTS)
@settings(max_examples=500, deadline=None)
def test_redactor_text_path_equals_the_reference(text: str) -> None:
    """The redactor (cache included, asked twice) gives the reference's output."""
    redactor = Redactor()
    assert redactor.scrub_text(text) == reference_scrub(text)
    assert redactor.scrub_text(text) == reference_scrub(text)


@given(_TEXTS, _TEXTS)
@settings(max_examples=500, deadline=None)
def test_redaction_processor_equals_the_reference(event: str, path: str) -> None:
    """The processor's inline cache path masks each string field as the reference does,
    on first sight and from the cache."""
    redact = Redactor().processor()
    for _ in range(2):
        out = redact(None, "info", {"event": event, "path": path, "status": 200})
        assert out == {
            "event": reference_scrub(event),
            "path": reference_scrub(path),
            "status": 200,
        }


@given(_TEXTS)
@settings(max_examples=1000, deadline=None)
def test_full_pattern_equals_the_reference(text: str) -> None:
    """`PATTERN` (the card shape's digit check moved for speed) masks what the plain
    alternation masks."""
    assert PATTERN.sub(replace, text) == reference_scrub(text)


@given(st.text(alphabet="0123456789", max_size=30))
def test_luhn_equals_the_plain_loop(digits: str) -> None:
    """The translate-and-sum Luhn check agrees with the digit-by-digit loop."""
    assert luhn_valid(digits) == _reference_luhn(digits)


@given(
    st.one_of(
        _CARDS,
        _DIGITS,
        st.text(alphabet="0123456789 -x", max_size=30).map(lambda t: f"4{t}2"),
        st.text(alphabet="0123456789\u0664", min_size=12, max_size=20),
    )
)
def test_card_number_check_equals_the_reference(text: str) -> None:
    """On what the card shape matches (digits at both ends) and on bare digit runs, some
    not ASCII, `is_card_number` accepts exactly 13-19 digits with single separators
    that pass Luhn."""
    assert is_card_number(text) == _reference_card(text)


def test_luhn_and_card_shape() -> None:
    """Luhn accepts valid numbers only; doubled separators or 12 digits are not cards."""
    assert luhn_valid(VISA) and not luhn_valid("4111111111111112")
    assert is_card_number("4111 1111 1111 1111")
    assert not is_card_number("4111  1111 1111 1111")
    assert not is_card_number("411111111116")
    assert not is_card_number("٤١١١١١١١١١١١١١١١")  # digits, but not ASCII ones


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("token: BeArer abc123", "token: [REDACTED:bearer]"),
        ("the time 2026-12-03 10:41:46", "the time 2026-12-03 10:41:46"),
        ("ids 4111-1111-1111-1111 and AKIAIOSFODNN7EXAMPLE", None),
    ],
)
def test_mixed_case_and_mixed_shapes(text: str, expected: str | None) -> None:
    """Bearer in any letter case is masked (an earlier pre-check missed `BeArer`), a
    timestamp is kept, and several shapes in one string are all masked."""
    got = scrub_patterns(text)
    if expected is None:
        assert got == "ids [REDACTED:card] and [REDACTED:aws_access_key]"
    else:
        assert got == expected
