"""Tests of observability.emit.redaction."""

from __future__ import annotations

import dataclasses
from collections import OrderedDict, UserDict, UserList, UserString, defaultdict, deque
from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Any, NamedTuple

import orjson
import pydantic
import pydantic.v1
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

import observability
from observability.emit.memory import MemoryLineSink
from observability.emit.patterns import is_card_number, luhn_valid
from observability.emit.redaction import (
    DEFAULT_SENSITIVE_KEYS,
    MASK,
    MAX_DEPTH,
    Redactor,
    normalize_key,
)

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
    assert luhn_valid(VISA.encode()) and not luhn_valid(b"4111111111111112")
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


SECRET = "hunter2"  # noqa: S105 - a fake secret the tests expect masked


@dataclasses.dataclass
class Credentials:
    user: str
    password: str


@dataclasses.dataclass(frozen=True, slots=True)
class Wrapper:
    name: str
    inner: Credentials


class Login(pydantic.BaseModel):
    user: str
    token: str
    credentials: Credentials


class LegacyLogin(pydantic.v1.BaseModel):
    api_key: str


class Pair(NamedTuple):
    secret: str
    note: str


class Tags(tuple[object, ...]):
    __slots__ = ()


class Items(list[object]):
    pass


class ReadOnly(Mapping[str, object]):
    """A Mapping that is no dict at all."""

    def __init__(self, **values: object) -> None:
        self._values = values

    def __getitem__(self, key: str) -> object:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


CONTAINERS: dict[str, object] = {
    "OrderedDict": OrderedDict(password=SECRET),
    "UserDict": UserDict(password=SECRET),
    "Mapping": ReadOnly(password=SECRET),
    "defaultdict": defaultdict(list, {"token": SECRET}),
    "dataclass": Credentials("bob", SECRET),
    "nested dataclass": Wrapper("w", Credentials("bob", SECRET)),
    "pydantic": Login(user="bob", token=SECRET, credentials=Credentials("b", SECRET)),
    "pydantic.v1": LegacyLogin(api_key=SECRET),
    "namedtuple": Pair(SECRET, "n"),
    "tuple subclass": Tags(({"password": SECRET},)),
    "list subclass": Items([{"password": SECRET}]),
    "UserList": UserList([{"secret": SECRET}]),
    "deque": deque([OrderedDict(cookie=SECRET)]),
    "dict values": {"a": {"password": SECRET}}.values(),
}


@pytest.mark.parametrize("value", list(CONTAINERS.values()), ids=list(CONTAINERS))
def test_secrets_in_any_container_type_are_masked(value: object) -> None:
    """Mapping and Sequence subclasses, dataclasses and pydantic models are walked: the
    secret under a sensitive key never reaches the rendered line."""
    sink = MemoryLineSink()
    observability.configure(service="svc", env="test", sink=sink)
    observability.get_logger().info("x", cfg=value, nested={"deeper": [value]})
    ((_, _, line),) = sink.lines
    assert SECRET.encode() not in line
    assert MASK.encode() in line


def test_walked_containers_render_as_their_json_shape(redactor: Redactor) -> None:
    """A mapping or object becomes a JSON object, a sequence an array; text stays text."""
    assert redactor.scrub(Credentials("a@b.io", SECRET)) == {
        "user": "[REDACTED:email]",
        "password": MASK,
    }
    assert redactor.scrub(Pair(SECRET, "n")) == {"secret": MASK, "note": "n"}
    assert redactor.scrub(Tags(("a@b.io", 1))) == ["[REDACTED:email]", 1]
    assert redactor.scrub(UserString("mail a@b.io")) == "mail [REDACTED:email]"
    assert redactor.scrub(range(3)) == range(3)  # rendered as one value, never expanded


class Level(StrEnum):
    WHO = "owner a@b.io"


def test_text_subclasses_are_scrubbed(redactor: Redactor) -> None:
    """A str subclass (a StrEnum value) is scrubbed like the text orjson would write."""
    assert redactor.scrub(Level.WHO) == "owner [REDACTED:email]"


def test_deep_subclass_nesting_is_masked(redactor: Redactor) -> None:
    """The depth bound holds for walked subclasses too."""
    deep: object = OrderedDict(note="a@b.io")
    for _ in range(MAX_DEPTH + 2):
        deep = Items([deep])
    clean = redactor.scrub(deep)
    for _ in range(MAX_DEPTH):
        clean = clean[0]
    assert clean == MASK


class Broken(Mapping[str, object]):
    """A Mapping whose items cannot be read."""

    def __getitem__(self, key: str) -> object:
        raise RuntimeError("broken")

    def __iter__(self) -> Iterator[str]:
        return iter(["password"])

    def __len__(self) -> int:
        return 1


class Undumpable(pydantic.BaseModel):
    token: str

    def model_dump(self, **kwargs: Any) -> dict[str, Any]:
        raise RuntimeError("cannot dump")


def test_values_that_fail_while_walked_are_masked_never_raised(redactor: Redactor) -> None:
    """A broken Mapping or a model that cannot dump itself is masked whole, without raising."""
    assert redactor.scrub({"cfg": Broken()}) == {"cfg": MASK}
    assert redactor.scrub([Undumpable(token=SECRET)]) == [MASK]


_KEYS = st.sampled_from(["user", "note", "password", "Api-Key", "TOKEN", "client_secret"])
_LEAVES = st.one_of(
    st.just(SECRET), st.integers(-(2**31), 2**31), st.none(), st.sampled_from(["x", "a@b.io"])
)


def _containers(children: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    pairs = st.lists(st.tuples(_KEYS, children), max_size=4)
    return st.one_of(
        pairs.map(dict),
        pairs.map(OrderedDict),
        pairs.map(lambda kv: UserDict(dict(kv))),
        pairs.map(lambda kv: ReadOnly(**dict(kv))),
        st.lists(children, max_size=4).map(Items),
        st.lists(children, max_size=4).map(tuple),
        st.lists(children, max_size=4).map(Tags),
        st.lists(children, max_size=4).map(deque),
        st.tuples(_KEYS, children).map(lambda kv: Wrapper(kv[0], Credentials("u", kv[1]))),  # type: ignore[arg-type]
    )


@given(st.recursive(_LEAVES, _containers, max_leaves=20))
@settings(max_examples=200, deadline=None)
def test_no_secret_under_a_sensitive_key_survives_any_nesting(value: object) -> None:
    """Whatever the mix of container types, a value under a sensitive key never survives:
    masked values render no secret, and the rest of the structure keeps its leaves."""
    redactor = Redactor()
    rendered = orjson.dumps({"v": redactor.scrub(value)}, default=str)
    exposed = orjson.dumps({"v": _unmasked_leaves(value)}, default=str)
    assert rendered.count(SECRET.encode()) == exposed.count(SECRET.encode())


def _unmasked_leaves(value: object, sensitive: bool = False) -> list[object]:
    """A plain reference: the leaves that are not under any sensitive key."""
    if sensitive:
        return []
    if isinstance(value, Credentials):
        return _unmasked_leaves(value.user) + _unmasked_leaves(value.password, True)
    if isinstance(value, Wrapper):
        return _unmasked_leaves(value.name) + _unmasked_leaves(value.inner)
    if isinstance(value, Mapping):
        found: list[object] = []
        for key, item in value.items():
            found += _unmasked_leaves(item, normalize_key(key) in DEFAULT_SENSITIVE_KEYS)
        return found
    if isinstance(value, list | tuple | deque):
        return [leaf for item in value for leaf in _unmasked_leaves(item)]
    return [value]
