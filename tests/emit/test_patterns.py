"""Tests of observability.emit.patterns: the fast scan against a plain reference."""

from __future__ import annotations

import re

import orjson
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from observability.emit.patterns import (
    PATTERN,
    is_card_number,
    luhn_valid,
    may_mask,
    replace,
    scrub_patterns,
)
from observability.emit.redaction import Redactor
from observability.emit.render import make_renderer
from tests.emit.secret_texts import (
    CARD_TEXTS,
    DIGITS,
    TEXTS,
    VISA,
    reference_card,
    reference_luhn,
    reference_scrub,
)


@given(TEXTS)
@settings(max_examples=3000, deadline=None)
@example("token: BeArer abc123")
@example("12 4567890123-x@y.com")  # a kept card-shape match moves where an e-mail starts
@example(f"card {VISA} from bob@example.com")
@example(f"ids {VISA}0000 {'7' * 24}{VISA}")  # plain numbers past 19 and 38 digits
def test_fast_scan_equals_the_reference(text: str) -> None:
    """On any mix of secret shapes and look-alikes, the fast scan masks exactly what the
    full alternation does, and returns the very same string when it masks nothing."""
    expected = reference_scrub(text)
    got = scrub_patterns(text)
    assert got == expected
    if expected == text:
        assert got is text


@given(TEXTS)
@settings(max_examples=500, deadline=None)
def test_redactor_text_path_equals_the_reference(text: str) -> None:
    """The redactor (cache included, asked twice) gives the reference's output."""
    redactor = Redactor()
    assert redactor.scrub_text(text) == reference_scrub(text)
    assert redactor.scrub_text(text) == reference_scrub(text)


@given(TEXTS, TEXTS)
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


@given(TEXTS)
@settings(max_examples=1000, deadline=None)
def test_full_pattern_equals_the_reference(text: str) -> None:
    """`PATTERN` (the card shape's digit check moved for speed) masks what the plain
    alternation masks."""
    assert PATTERN.sub(replace, text) == reference_scrub(text)


@given(st.text(alphabet="0123456789", max_size=30))
def test_luhn_equals_the_plain_loop(digits: str) -> None:
    """The translate-and-sum Luhn check agrees with the digit-by-digit loop."""
    assert luhn_valid(digits.encode()) == reference_luhn(digits)


@given(
    st.one_of(
        CARD_TEXTS,
        DIGITS,
        st.text(alphabet="0123456789 -x", max_size=30).map(lambda t: f"4{t}2"),
        st.text(alphabet="0123456789\u0664", min_size=12, max_size=20),
    )
)
def test_card_number_check_equals_the_reference(text: str) -> None:
    """On what the card shape matches (digits at both ends) and on bare digit runs, some
    not ASCII, `is_card_number` accepts exactly 13-19 digits with single separators
    that pass Luhn."""
    assert is_card_number(text) == reference_card(text)


def test_luhn_and_card_shape() -> None:
    """Luhn accepts valid numbers only; doubled separators or 12 digits are not cards."""
    assert luhn_valid(VISA.encode()) and not luhn_valid(b"4111111111111112")
    assert is_card_number("4111 1111 1111 1111")
    assert not is_card_number("4111  1111 1111 1111")
    assert not is_card_number("411111111116")
    assert not is_card_number("٤١١١١١١١١١١١١١١١")  # digits, but not ASCII ones


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("at 1764010000008 ms", "at 1764010000008 ms"),
        ("at 1764010000000003 µs", "at 1764010000000003 µs"),
        ("at 1764010000000000008 ns", "at 1764010000000000008 ns"),
        ("uatp 135410014004955", "uatp [REDACTED:card]"),
        ("visa 4111 1111 1111 1111", "visa [REDACTED:card]"),
        ("16 digits from 1: 1111111111111117", "16 digits from 1: 1111111111111117"),
    ],
)
def test_epoch_times_pass_luhn_but_are_not_card_numbers(text: str, expected: str) -> None:
    """Luhn passes one number in ten, so epoch times in ms, µs and ns (13, 16, 19 digits
    starting with 1) were masked now and then; only UATP numbers start with 1, and they
    have 15 digits. The line pre-check agrees."""
    assert all(reference_luhn(number) for number in re.findall(r"[0-9]{13,}", text))
    assert scrub_patterns(text) == expected
    assert may_mask(orjson.dumps({"event": text})) is (text != expected)


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


#: What a string may sit next to in a rendered line: escapes that put digits beside it
#: (`\u0001`), quotes, backslashes, separators, numbers.
_NEIGHBOURS = st.sampled_from(["", "\x01", "\n", '"', "\\", " ", "-", "7", "\x7f", "é"])


@given(st.lists(st.tuples(_NEIGHBOURS, TEXTS, _NEIGHBOURS), min_size=1, max_size=3))
@settings(max_examples=2000, deadline=None)
@example([("", f"{VISA}", "")])
@example([("\x01", "1764010000002", ""), ("", "4111 1111 1111 1111", "")])
@example([("", "epoch 1764010000002 and 2026-12-03 10:41:46", "\x01")])
@example([("", f"{VISA}0000", ""), ("7" * 24, VISA, "-")])
def test_may_mask_answers_for_every_string_of_a_rendered_line(
    parts: list[tuple[str, str, str]],
) -> None:
    """`may_mask` is False only when no string rendered in the line would be masked,
    whatever sits beside the strings."""
    strings = [before + text + after for before, text, after in parts]
    record = {"event": strings[0], "n": 1764010000002, "attributes": strings[1:]}
    line = make_renderer()(record)  # as the SDK renders: a lone surrogate escaped
    if any(scrub_patterns(text) != text for text in strings):
        assert may_mask(line)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b'{"event":"epoch ms 1764010000002"}', False),  # 13 digits, not a card number
        (b'{"event":"paid with 4111 1111 1111 1111"}', True),
        (b'{"event":"paid with 4111-1111-1111-1111 and 1764010000002"}', True),
        (b'{"event":"at 2026-12-03 10:41:46, 20 - 30 - 40 - 50 - 60 - 70 - 80"}', False),
        (b'{"event":"ids 1764010000002 1764010000012 4111111111111111"}', True),
        (b'{"event":"\\u00014111111111111111"}', True),  # an escape beside digits: not judged
        (b'{"event":"mail bob@example.com"}', True),
        (b'{"event":"plain text"}', False),
    ],
)
def test_may_mask_examples(line: bytes, expected: bool) -> None:
    """Long numbers that fail Luhn are settled in the line; anything else that could be a
    secret sends the strings to the scan."""
    assert may_mask(line) is expected
