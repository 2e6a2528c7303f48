"""Text-matching semantics of `event`, shared by both search backends.

OpenSearch indexes `event` with the standard analyzer: Unicode word segmentation
(UAX #29), then lower-casing. The embedded backend cannot run that analyzer, so the
rules below are the subset of UAX #29 it reproduces exactly, as one regular expression
per search term over `lower(event)`:

- word characters are letters (`\\pL`), digits (`\\pN`) and `_`; adjacent ones always
  form one token (`abc123`, `db_timeout`);
- a single `.` or `'` joins two letters or two digits (`db.timeout`, `1.5`, `don't`);
  a single `:` joins two letters (`a:b`); a single `,` or `;` joins two digits (`1,000`);
- anything else, or two joiners in a row, separates tokens.

A term matches a record when it equals one of the record's tokens, case-insensitively
(`timeout` matches "Upstream TIMEOUT." but not "db.timeout"); a phrase matches when its
tokens appear consecutively; a prefix (`time*`) matches a token that starts with it.
Known differences from OpenSearch (not exercised by our tests, avoid relying on them):
CJK ideographs and emoji, which Lucene makes one token each, and tokens over 255
characters, which Lucene splits.
"""

from __future__ import annotations

import unicodedata
from typing import Final, Literal

CharClass = Literal["letter", "digit", "under", "joiner", "other"]

#: Joiners per class of the characters on both sides.
_LETTER_JOINERS: Final = frozenset(".':")
_DIGIT_JOINERS: Final = frozenset(".',;")
_JOINERS: Final = _LETTER_JOINERS | _DIGIT_JOINERS

_WORD: Final = r"\pL\pN_"
_HARD: Final = rf"[^{_WORD}]"


def char_class(ch: str) -> CharClass:
    """The class of one character under the rules above."""
    if ch == "_":
        return "under"
    category = unicodedata.category(ch)[0]
    if category == "L":
        return "letter"
    if category == "N":
        return "digit"
    return "joiner" if ch in _JOINERS else "other"


def _joins(before: str, joiner: str, after: str) -> bool:
    left, right = char_class(before), char_class(after)
    if left == right == "letter":
        return joiner in _LETTER_JOINERS
    if left == right == "digit":
        return joiner in _DIGIT_JOINERS
    return False


def tokens(text: str) -> list[str]:
    """The lower-cased tokens of `text` (what the standard analyzer yields for it)."""
    lowered = text.lower()
    out: list[str] = []
    current: list[str] = []
    n = len(lowered)
    for i, ch in enumerate(lowered):
        kind = char_class(ch)
        if kind in ("letter", "digit", "under"):
            current.append(ch)
            continue
        if (
            kind == "joiner"
            and current
            and i + 1 < n
            and _joins(lowered[i - 1], ch, lowered[i + 1])
        ):
            current.append(ch)
            continue
        if current:
            out.append("".join(current))
            current = []
    if current:
        out.append("".join(current))
    return out


def is_word(text: str) -> bool:
    """Whether every character is a word character (what a prefix may contain)."""
    return bool(text) and all(char_class(ch) in ("letter", "digit", "under") for ch in text)


def _escape(text: str) -> str:
    return "".join(
        f"\\{ch}" if ch.isascii() and not ch.isalnum() and ch != "_" else ch for ch in text
    )


def _left(first: str) -> str:
    """What may precede a token starting with `first` (start, or a break)."""
    kind = char_class(first)
    if kind == "letter":
        return rf"(?:^|[^{_WORD}.':]|(?:^|[^\pL])[.':])"
    if kind == "digit":
        return rf"(?:^|[^{_WORD}.',;]|(?:^|[^\pN])[.',;])"
    return rf"(?:^|{_HARD})"


def _right(last: str) -> str:
    """What may follow a token ending with `last` (end, or a break)."""
    kind = char_class(last)
    if kind == "letter":
        return rf"(?:$|[^{_WORD}.':]|[.':](?:$|[^\pL]))"
    if kind == "digit":
        return rf"(?:$|[^{_WORD}.',;]|[.',;](?:$|[^\pN]))"
    return rf"(?:$|{_HARD})"


def _between(last: str, first: str) -> str:
    """A separator run between two consecutive tokens."""
    left, right = char_class(last), char_class(first)
    if left == right == "letter":
        single = rf"[^{_WORD}.':]"
    elif left == right == "digit":
        single = rf"[^{_WORD}.',;]"
    else:
        single = _HARD
    return rf"(?:{_HARD}{{2,}}|{single})"


def phrase_regex(words: list[str]) -> str:
    """A regex over lower-cased text matching `words` (tokens) as consecutive tokens."""
    parts = [_left(words[0][0])]
    for i, word in enumerate(words):
        if i:
            parts.append(_between(words[i - 1][-1], word[0]))
        parts.append(_escape(word))
    parts.append(_right(words[-1][-1]))
    return "".join(parts)


def prefix_regex(prefix: str) -> str:
    """A regex over lower-cased text matching a token that starts with `prefix`."""
    return _left(prefix[0]) + _escape(prefix)
