"""Masking of secrets and personal data before a record leaves the process.

Two rules. A value whose key is a sensitive name (`password`, `token`, ...; matched
case-insensitively, `-` and `_` alike) is replaced whole. Inside any string value,
e-mail addresses, bearer tokens, AWS access key ids and card numbers that pass the Luhn
check (but not epoch times) are replaced by `[REDACTED:<what>]` (the shapes and their
scan: `patterns`).

Every container is walked, not only exact dicts and lists: any Mapping (OrderedDict,
UserDict, ...), any Sequence or Set but text and bytes (tuple and list subclasses, named
tuples by field), dataclass instances by field, and pydantic models (when pydantic is
imported) by `model_dump()`. orjson would otherwise render a subclass, a dataclass or a
str() of a model as it is, secrets included. The copy renders to the same JSON shape (a
mapping or an object becomes a JSON object, a sequence an array). Walking stops at
MAX_DEPTH: deeper containers are masked whole.

Speed: the outcome for short strings is cached, because log events and most field values
repeat; a string seen for the first time costs the pattern scan's byte-level pre-checks.
"""

from __future__ import annotations

import dataclasses
import sys
from collections import UserString
from collections.abc import Callable, Iterable, Mapping, Sequence, Set, ValuesView
from typing import Any, Final

from structlog.typing import EventDict, WrappedLogger

from observability.emit.patterns import scrub_patterns

#: Key names whose values are always masked (compared lower-cased, `-` read as `_`).
DEFAULT_SENSITIVE_KEYS: Final = frozenset(
    {
        "password",
        "passwd",
        "secret",
        "token",
        "api_key",
        "apikey",
        "authorization",
        "cookie",
        "set-cookie",
        "access_token",
        "refresh_token",
        "private_key",
        "client_secret",
        "credit_card",
        "card_number",
        "ssn",
    }
)
MASK: Final = "[REDACTED]"
#: Nested values deeper than this are masked whole rather than walked.
MAX_DEPTH: Final = 32
#: Strings up to this length have their outcome cached; longer ones are rarely repeated.
_CACHEABLE_LENGTH: Final = 256
_CACHE_SIZE: Final = 4096
#: Shorter than the shortest match ("a@b.c"): nothing to find.
_MIN_LENGTH: Final = 5


def normalize_key(name: str) -> str:
    """The form key names are compared in: lower-case, `-` read as `_`."""
    return name.lower().replace("-", "_")


class Redactor:
    """The masking rules with their caches; one per `configure()`."""

    def __init__(self, extra_keys: Iterable[str] = ()) -> None:
        self.keys = frozenset(normalize_key(k) for k in (*DEFAULT_SENSITIVE_KEYS, *extra_keys))
        self._key_flags: dict[str, bool] = {}
        self._texts: dict[str, str] = {}

    def is_sensitive(self, key: object) -> bool:
        """True when values under this key name are masked whole."""
        if type(key) is not str:
            return False
        flag = self._key_flags.get(key)
        if flag is None:
            flag = normalize_key(key) in self.keys
            if len(self._key_flags) >= _CACHE_SIZE:
                self._key_flags.clear()
            self._key_flags[key] = flag
        return flag

    def scrub_text(self, text: str) -> str:
        """The text with every sensitive pattern masked (the same object if none)."""
        if len(text) < _MIN_LENGTH:
            return text
        known = self._texts.get(text)
        if known is not None:
            return known
        return self._scrub_new_text(text)

    def _scrub_new_text(self, text: str) -> str:
        """`scrub_text` for a text not in the cache (any length: none below the shortest
        match is ever masked), remembering the outcome."""
        clean = scrub_patterns(text)
        if len(text) <= _CACHEABLE_LENGTH:
            texts = self._texts
            if len(texts) >= _CACHE_SIZE:
                texts.clear()
            texts[text] = clean
        return clean

    def scrub(self, value: Any, depth: int = 0) -> Any:
        """A copy of a nested value with sensitive keys and patterns masked."""
        kind = type(value)
        if kind is str:
            return self.scrub_text(value)
        if kind in _SCALARS:
            return value
        if depth >= MAX_DEPTH:
            return MASK if _is_container(value) else value
        if kind is dict:
            return self._scrub_items(value.items(), depth)
        if kind in _PLAIN_SEQUENCES:
            return [self.scrub(item, depth + 1) for item in value]
        return self._scrub_other(value, depth)

    def _scrub_items(self, items: Iterable[tuple[Any, Any]], depth: int) -> dict[Any, Any]:
        return {
            key: MASK if self.is_sensitive(key) else self.scrub(item, depth + 1)
            for key, item in items
        }

    def _scrub_other(self, value: Any, depth: int) -> Any:
        """Subclasses and look-alikes of the containers, dataclasses, pydantic models.

        A value that fails while being walked (a broken `items()`, an unset dataclass
        field) is masked whole: a log call never raises for what it was given.
        """
        try:
            if isinstance(value, str | UserString):
                return self.scrub_text(str.__str__(value) if isinstance(value, str) else str(value))
            pairs = _pairs(value)
            if pairs is not None:
                return self._scrub_items(pairs, depth)
            if _is_sequence(value):
                return [self.scrub(item, depth + 1) for item in value]
        except Exception:  # noqa: BLE001 - see the docstring
            return MASK
        dumped = _pydantic_dump(value)
        if dumped is _UNDUMPABLE:
            return MASK
        return value if dumped is None else self.scrub(dumped, depth)

    def processor(self) -> Callable[[WrappedLogger, str, EventDict], EventDict]:
        """The structlog processor applying these rules to an event dict."""
        key_flags = self._key_flags
        texts = self._texts
        is_sensitive = self.is_sensitive
        scrub = self.scrub
        scalars = _SCALARS

        def redact(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
            """Mask values of sensitive keys and sensitive patterns inside values."""
            for key, value in event_dict.items():
                flag = key_flags.get(key)
                if flag or (flag is None and is_sensitive(key)):
                    event_dict[key] = MASK
                elif type(value) is str:
                    clean = texts.get(value)  # the caches are used inline: this is per field
                    if clean is None:  # `_scrub_new_text`, without its frame
                        clean = scrub_patterns(value)
                        if len(value) <= _CACHEABLE_LENGTH:
                            if len(texts) >= _CACHE_SIZE:
                                texts.clear()
                            texts[value] = clean
                    if clean is not value:
                        event_dict[key] = clean
                elif type(value) not in scalars:
                    event_dict[key] = scrub(value, 1)
            return event_dict

        return redact


#: Types that hold no text: passed through as they are.
_SCALARS: Final = frozenset({int, float, bool, type(None)})
_PLAIN_SEQUENCES: Final = frozenset({list, tuple, set, frozenset})
#: Sequences rendered as one value, never walked item by item (a `range` could be huge).
_OPAQUE_SEQUENCES: Final = (str, UserString, bytes, bytearray, memoryview, range)
_UNDUMPABLE: Final = object()


def _is_container(value: object) -> bool:
    return _pairs(value) is not None or _is_sequence(value) or _pydantic_dump(value) is not None


def _pairs(value: Any) -> Iterable[tuple[Any, Any]] | None:
    """Key-value pairs of a Mapping, a named tuple or a dataclass instance; else None."""
    if isinstance(value, Mapping):
        return value.items()
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return zip(value._fields, value, strict=False)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return ((f.name, getattr(value, f.name)) for f in dataclasses.fields(value))
    return None


def _is_sequence(value: object) -> bool:
    return isinstance(value, Sequence | Set | ValuesView) and not isinstance(
        value, _OPAQUE_SEQUENCES
    )


def _pydantic_dump(value: object) -> object | None:
    """A pydantic model's fields as plain data; None for anything else.

    pydantic is never imported here: if the application has not imported it, no value
    can be one of its models. A model whose dump fails is `_UNDUMPABLE` (masked whole:
    its str() shows field values).
    """
    pydantic = sys.modules.get("pydantic")
    if pydantic is None:
        return None
    try:
        if isinstance(value, pydantic.BaseModel):
            dumped: object = value.model_dump()
            return dumped
        legacy = getattr(sys.modules.get("pydantic.v1"), "BaseModel", None)
        if legacy is not None and isinstance(value, legacy):
            dumped = value.dict()
            return dumped
    except Exception:  # noqa: BLE001 - a model that cannot dump itself is masked, not raised
        return _UNDUMPABLE
    return None
