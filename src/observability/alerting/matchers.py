"""Label matchers in Alertmanager's syntax: `severity="critical"`, `team=~"ml|data"`.

Routes, inhibition rules and silences all select alerts with these. As in Alertmanager a
regular expression is anchored (it must match the whole value) and a label the alert does
not have has the empty value, so `team!~".+"` selects alerts without a `team` label.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from observability.core.errors import ObservabilityError

#: Longest matcher text; a pattern is compiled once, when read.
MAX_MATCHER_CHARS: Final = 1024
LABEL_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MATCHER: Final = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*", re.DOTALL)


class MatcherError(ObservabilityError):
    """A matcher that cannot be read; the message quotes it and says why."""


class Op(StrEnum):
    """The four matcher operators."""

    EQUAL = "="
    NOT_EQUAL = "!="
    REGEX = "=~"
    NOT_REGEX = "!~"


@dataclass(frozen=True, slots=True)
class Matcher:
    """One label condition."""

    name: str
    op: Op
    value: str
    _pattern: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def build(cls, name: str, op: Op | str, value: str) -> Matcher:
        """A matcher with its pattern compiled; MatcherError for a bad name or pattern."""
        if not LABEL_NAME.fullmatch(name):
            raise MatcherError(f"{name!r} is not a label name ([A-Za-z_][A-Za-z0-9_]*)")
        try:
            operator = Op(op)
        except ValueError:
            raise MatcherError(f"unknown operator {op!r} (=, !=, =~, !~)") from None
        pattern = None
        if operator in (Op.REGEX, Op.NOT_REGEX):
            try:
                pattern = re.compile(value)
            except re.error as exc:
                raise MatcherError(f"{name}{operator.value}{value!r}: bad regex: {exc}") from None
        return cls(name, operator, value, pattern)

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether the label set satisfies this condition (a missing label is empty)."""
        actual = labels.get(self.name, "")
        if self.op is Op.EQUAL:
            return actual == self.value
        if self.op is Op.NOT_EQUAL:
            return actual != self.value
        assert self._pattern is not None  # built with one
        found = self._pattern.fullmatch(actual) is not None
        return found if self.op is Op.REGEX else not found

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{self.name}{self.op.value}"{escaped}"'


def parse_matcher(text: str) -> Matcher:
    """`name="value"` (quotes optional) with =, !=, =~ or !~."""
    if not isinstance(text, str):
        raise MatcherError(f'expected a matcher like severity="critical", got {text!r:.80}')
    if len(text) > MAX_MATCHER_CHARS:
        raise MatcherError(f"a matcher is at most {MAX_MATCHER_CHARS} characters")
    match = _MATCHER.fullmatch(text)
    if match is None:
        raise MatcherError(f'{text!r:.80}: expected name="value" with =, !=, =~ or !~')
    name, op, raw = match.groups()
    return Matcher.build(name, op, _unquote(raw, text))


def parse_matchers(texts: Iterable[str]) -> tuple[Matcher, ...]:
    """Several matchers; all must hold for a label set to be selected."""
    return tuple(parse_matcher(text) for text in texts)


def matches_all(matchers: Iterable[Matcher], labels: Mapping[str, str]) -> bool:
    """Whether every matcher holds (true for no matchers)."""
    return all(matcher.matches(labels) for matcher in matchers)


def _unquote(raw: str, text: str) -> str:
    if not raw.startswith('"'):
        if '"' in raw:
            raise MatcherError(f"{text!r:.80}: a value with quotes must be quoted whole")
        return raw
    if len(raw) < 2 or not raw.endswith('"'):
        raise MatcherError(f"{text!r:.80}: unterminated quoted value")
    out: list[str] = []
    body = raw[1:-1]
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            following = body[index + 1]
            out.append({"n": "\n", "t": "\t"}.get(following, following))
            index += 2
            continue
        if char in {'"', "\\"}:
            raise MatcherError(f'{text!r:.80}: escape quotes inside a value as \\"')
        out.append(char)
        index += 1
    return "".join(out)
