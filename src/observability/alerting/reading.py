"""Typed reads of one alerts.yaml section, each refusal naming where it is and which key.

`Section("rule 'fraud-drift'", mapping)` reads keys with their types (durations in the one
time grammar), remembers which it read, and `finish()` refuses any key left over, so a typo
(`keep_firing: 5m`) is an error, not a setting silently ignored.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, ClassVar

from observability.core.checks import is_name
from observability.core.errors import ObservabilityError
from observability.core.times import TimeGrammarError, parse_duration


class ConfigError(ObservabilityError):
    """alerts.yaml cannot be used; the message names the rule (or section) and the key."""


class Section:
    """One mapping of the file, read key by key; every error names the section and the key.

    Rules, routes and receivers (`alerting/channels/spec.py`) all read through this class;
    a subclass sets `error_class` to raise its own error type."""

    error_class: ClassVar[type[ObservabilityError]] = ConfigError

    def __init__(self, where: str, raw: object) -> None:
        self.where = where
        if raw is None:
            raw = {}
        if not isinstance(raw, Mapping):
            raise self.error_class(f"{where}: expected a mapping, got {_kind(raw)}")
        self.raw: Mapping[Any, Any] = raw
        self._seen: set[str] = set()

    def error(self, key: str, problem: str) -> ObservabilityError:
        """An error naming this section and `key`."""
        return self.error_class(f"{self.where}: {key}: {problem}")

    def has(self, key: str) -> bool:
        """Whether the key is present (and not null)."""
        return self.raw.get(key) is not None

    def get(self, key: str) -> Any:
        """The raw value (None when absent); the key counts as read."""
        self._seen.add(key)
        return self.raw.get(key)

    def text(self, key: str, default: str | None = None) -> str | None:
        """A non-empty string, or the default when absent."""
        value = self.get(key)
        if value is None:
            return default
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, f"expected a non-empty string, got {_kind(value)}")
        return value.strip()

    def required_text(self, key: str) -> str:
        """A non-empty string that must be there."""
        value = self.text(key)
        if value is None:
            raise self.error(key, "is required")
        return value

    def name(self, key: str, *, required: bool = True) -> str | None:
        """A name that becomes a path segment: ingest's partition rule."""
        value = self.required_text(key) if required else self.text(key)
        if value is not None and not is_name(value):
            raise self.error(
                key,
                f"{value!r:.80} is not a name: 1-128 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit",
            )
        return value

    def duration(
        self, key: str, default: timedelta | None = None, *, at_least: timedelta | None = None
    ) -> timedelta | None:
        """`30s`, `5m`, `1h`, ... (the one grammar); `0` or `0s` means none."""
        value = self.get(key)
        if value is None:
            return default
        text = str(value).strip() if isinstance(value, str | int) else None
        if text is None or isinstance(value, bool):
            raise self.error(key, f"expected a duration like 5m, got {_kind(value)}")
        if text in ("0", "0s", "0m", "0h"):
            length = timedelta(0)
        else:
            try:
                length = parse_duration(text)
            except TimeGrammarError as exc:
                raise self.error(key, str(exc)) from None
        if at_least is not None and length < at_least:
            raise self.error(key, f"{text} is shorter than the least allowed, {at_least}")
        return length

    def required_duration(self, key: str, *, at_least: timedelta | None = None) -> timedelta:
        """A duration that must be there."""
        value = self.duration(key, at_least=at_least)
        if value is None:
            raise self.error(key, "is required")
        return value

    def number(self, key: str) -> float | None:
        """A finite number, or None when absent."""
        value = self.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(key, f"expected a number, got {_kind(value)}")
        if not math.isfinite(value):
            raise self.error(key, "expected a finite number")
        return float(value)

    def choice(self, key: str, allowed: tuple[str, ...], default: str | None = None) -> str:
        """One of `allowed` (the default when absent, if there is one)."""
        value = self.text(key, default)
        if value is None:
            raise self.error(key, f"is required (one of {', '.join(allowed)})")
        if value not in allowed:
            raise self.error(key, f"{value!r:.80} is not one of {', '.join(allowed)}")
        return value

    def count(self, key: str, default: int) -> int:
        """A whole number, 0 or more (the default when absent)."""
        value = self.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.error(key, f"expected a whole number, 0 or more, got {_kind(value)}")
        return value

    def flag(self, key: str, default: bool) -> bool:
        """true or false."""
        value = self.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise self.error(key, f"expected true or false, got {_kind(value)}")
        return value

    def strings(self, key: str) -> tuple[str, ...] | None:
        """A list of non-empty strings, or None when absent."""
        value = self.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.error(key, f"expected a list of strings, got {_kind(value)}")
        return tuple(value)

    def string_map(self, key: str) -> dict[str, str]:
        """A mapping of string keys to scalar values, as strings."""
        value = self.get(key)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.error(key, f"expected a mapping, got {_kind(value)}")
        out: dict[str, str] = {}
        for name, item in value.items():
            if not isinstance(name, str) or isinstance(item, list | dict) or item is None:
                raise self.error(f"{key}.{name}", "expected a string key and a scalar value")
            out[name] = str(item).lower() if isinstance(item, bool) else str(item)
        return out

    def items(self, key: str) -> list[Any]:
        """A list (empty when absent)."""
        value = self.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(key, f"expected a list, got {_kind(value)}")
        return value

    def finish(self) -> None:
        """ConfigError for the first key nothing read (a typo, an unsupported option)."""
        unknown = sorted(str(key) for key in self.raw if str(key) not in self._seen)
        if unknown:
            allowed = ", ".join(sorted(self._seen))
            raise self.error(unknown[0], f"unknown key (known here: {allowed})")


def _kind(value: object) -> str:
    if isinstance(value, str):
        return repr(value[:60])
    return type(value).__name__
