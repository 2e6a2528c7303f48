"""Tests of observability.emit.redaction."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

import observability
from observability.emit.memory import MemoryLineSink
from observability.emit.redaction import MASK, MAX_DEPTH, Redactor, is_card_number, luhn_valid

VISA = "4111111111111111"  # the classic test card number; passes Luhn


@pytest.fixture
def redactor() -> Redactor:
    """The default rules."""
    return Redactor()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail bob.smith+x@example.co.uk now", "mail [REDACTED:email] now"),
        ("Authorization: Bearer abc.DEF-123_x/y=", "Authorization: [REDACTED:bearer]"),
        ("header bearer eyJhbGciOi.J9", "header [REDACTED:bearer]"),
        ("key AKIAIOSFODNN7EXAMPLE used", "key [REDACTED:aws_access_key] used"),
        ("temp ASIAY34FZKBOKMUTVV7A", "temp [REDACTED:aws_access_key]"),
        (f"card {VISA} ok", "card [REDACTED:card] ok"),
        ("card 4111 1111 1111 1111.", "card [REDACTED:card]."),
        ("card 4111-1111-1111-1111", "card [REDACTED:card]"),
        ("amex 3782 822463 10005", "amex [REDACTED:card]"),
    ],
)
def test_patterns_are_masked(redactor: Redactor, text: str, expected: str) -> None:
    """Each sensitive pattern inside a string is replaced by its `[REDACTED:<what>]` tag."""
    assert redactor.scrub_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "order 4111111111111112 shipped",  # 16 digits failing Luhn
        "id 1234567890123456789012345",  # too many digits to be a card
        "phone +1 415 555 0100",  # too few digits
        "2026-11-23 13:45:10",  # a timestamp
        "user@localhost",  # no domain dot
        "AKIA too short",
        "plain request handled",
    ],
)
def test_lookalikes_are_kept(redactor: Redactor, text: str) -> None:
    """Strings that only resemble a pattern pass through unchanged (the same object)."""
    assert redactor.scrub_text(text) is text


def test_bearer_before_any_word_is_masked(redactor: Redactor) -> None:
    """ "bearer <word>" cannot be told from a token, so it errs on the masked side."""
    assert redactor.scrub_text("the bearer of bad news") == "the [REDACTED:bearer] bad news"


def test_luhn_and_card_shape() -> None:
    """Luhn accepts valid numbers only; doubled separators or 12 digits are not cards."""
    assert luhn_valid(VISA) and not luhn_valid("4111111111111112")
    assert is_card_number("4111 1111 1111 1111")
    assert not is_card_number("4111  1111 1111 1111")
    assert not is_card_number("411111111116")


def test_sensitive_key_names_mask_whole_values(redactor: Redactor) -> None:
    """Values under sensitive names are masked whatever their type or letter case."""
    data = {
        "Password": "hunter2",
        "API-KEY": 12345,
        "set_cookie": ["a=b"],
        "Authorization": {"x": 1},
        "username": "alice",
    }
    assert redactor.scrub(data) == {
        "Password": MASK,
        "API-KEY": MASK,
        "set_cookie": MASK,
        "Authorization": MASK,
        "username": "alice",
    }


def test_extra_key_names_are_configurable() -> None:
    """Configured extra names are masked as well as the defaults."""
    custom = Redactor(extra_keys=("Session-Id",))
    assert custom.scrub({"session_id": "s", "token": "t", "other": "o"}) == {
        "session_id": MASK,
        "token": MASK,
        "other": "o",
    }


def test_nested_values_are_walked_without_touching_the_input(redactor: Redactor) -> None:
    """Nested dicts, lists and tuples are scrubbed into a copy; the caller's data is unchanged."""
    data = {"user": {"email": "a@b.io", "auth": {"secret": "s"}}, "tags": ("x", f"c {VISA}")}
    clean = redactor.scrub(data)
    assert clean == {
        "user": {"email": "[REDACTED:email]", "auth": {"secret": MASK}},
        "tags": ["x", "c [REDACTED:card]"],
    }
    assert data["user"]["auth"] == {"secret": "s"}  # type: ignore[index]


def test_too_deep_nesting_is_masked(redactor: Redactor) -> None:
    """A value nested deeper than MAX_DEPTH is masked whole rather than walked."""
    deep: object = "a@b.io"
    for _ in range(MAX_DEPTH + 2):
        deep = [deep]
    clean = redactor.scrub(deep)
    for _ in range(MAX_DEPTH):
        clean = clean[0]
    assert clean == MASK


def test_repeated_strings_give_the_same_result(redactor: Redactor) -> None:
    """The cached outcome of a string equals the first one, masked or not."""
    assert redactor.scrub_text("ping a@b.io") == redactor.scrub_text("ping a@b.io")
    assert redactor.scrub_text("ping a@b.io") == "ping [REDACTED:email]"
    assert redactor.scrub_text("plain text here") == "plain text here"


def test_processor_masks_event_and_fields(redactor: Redactor) -> None:
    """The processor masks the event message, field values and sensitive keys of an event."""
    observability.configure(service="svc", env="test", sink=MemoryLineSink())
    with capture_logs(processors=[redactor.processor()]) as captured:
        observability.get_logger().info(
            "login by a@b.io",
            token="t0k",  # noqa: S106 - a fake secret, expected masked
            card=VISA,
            nested={"password": "p"},
            n=5,
        )
    assert captured == [
        {
            "event": "login by [REDACTED:email]",
            "token": MASK,
            "card": "[REDACTED:card]",
            "nested": {"password": MASK},
            "n": 5,
            "log_level": "info",
        }
    ]


def test_sdk_redacts_by_default_and_can_be_turned_off() -> None:
    """Records are redacted unless configure(redaction=False) is given."""
    sink = MemoryLineSink()
    observability.configure(service="svc", env="test", sink=sink)
    fields = {"password": "p", "who": "a@b.io"}
    observability.get_logger().info("hi", **fields)
    observability.configure(service="svc", env="test", sink=sink, redaction=False)
    observability.get_logger().info("hi", **fields)
    first, second = (record["attributes"] for record in sink.records())
    assert first == {"password": MASK, "who": "[REDACTED:email]"}
    assert second == {"password": "p", "who": "a@b.io"}


def test_str_of_unknown_objects_is_redacted() -> None:
    """An object rendered through `str()` at serialisation time is still scrubbed."""

    class Account:
        def __str__(self) -> str:
            return "Account(owner=a@b.io)"

    sink = MemoryLineSink()
    observability.configure(service="svc", env="test", sink=sink)
    observability.get_logger().info("loaded", account=Account())
    assert sink.records()[0]["attributes"] == {"account": "Account(owner=[REDACTED:email])"}
