"""The secret shapes masked inside strings, and the fast scan that finds them.

E-mail addresses, bearer tokens, AWS access key ids and card numbers (Luhn-valid, not
an epoch time: `_card_digits`) become `[REDACTED:<what>]`. `PATTERN`, the alternation of
every shape, defines the result (tests hold it to the plain regex as first written).
Most strings hold none of the shapes, and running it over a string costs several µs, so
`scrub_patterns` first folds the string (one `bytes.translate`) and tests it for what
each shape needs: `@`, `bearer` in any letter case, `AKIA` or `ASIA`, and for a card
number 13 digits with nothing but spaces and dashes between them. It then runs the
alternation of only the shapes that passed. A shape that cannot match anywhere in the
string can be dropped without moving any match of the others; a card-shape match with
too few digits is kept as it is, but still consumes text, so it is dropped only when no
other shape is scanned for. The outcome is `PATTERN`'s, tested against it with hypothesis.
"""

from __future__ import annotations

import re
import string
from typing import Final

#: Each shape's name (the tag in `[REDACTED:<name>]`) and its regex, in matching order.
SHAPES: Final = (
    ("email", r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
    ("bearer", r"\b(?i:bearer)[ \t]+[A-Za-z0-9._~+/=-]+"),
    ("aws_access_key", r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),
    # "Not after a digit" is checked after the first digit, not before it: a pattern that
    # starts with a character class lets `re` skip non-digits in C (about twice as fast).
    ("card", r"[0-9](?<![0-9][0-9])[0-9 -]{11,36}[0-9](?![0-9])"),
)
_EMAIL: Final = 1
_BEARER: Final = 2
_AWS_KEY: Final = 4
_CARD: Final = 8
#: A card number has at least this many digits (`is_card_number`).
_CARD_MIN_DIGITS: Final = 13
_CARD_MAX_DIGITS: Final = 19
#: The length of a card number that starts with 1 (UATP), and that digit as a byte.
_AIRLINE_CARD_DIGITS: Final = 15
_ONE: Final = ord("1")
#: Bytes folded so one pass serves every pre-check: ASCII letters lower-cased, `s` read as
#: `k` (`AKIA` and `ASIA` both become `akia`), ASCII digits `0`; space and dash are deleted
#: (`_SEPARATORS`), which joins a card number's digits. Folding only merges and deletes
#: bytes that no literal tested for contains: a literal present before is present after.
_FOLD: Final = bytes(
    0x30 if 0x30 <= b <= 0x39 else ord(chr(b).lower().replace("s", "k")) if b < 128 else b
    for b in range(256)
)
_SEPARATORS: Final = b" -"
#: A card number's least digits, folded.
_CARD_RUN: Final = "0" * _CARD_MIN_DIGITS
_CARD_RUN_BYTES: Final = _CARD_RUN.encode("ascii")
#: Bytes to `0` for a card's characters (ASCII digits, space, dash), `.` for the rest: the
#: card shape can match only where 13 of them are in a row.
_CARD_CHARS: Final = bytes(0x30 if b in b"0123456789 -" else 0x2E for b in range(256))
#: The characters of an e-mail address's local part (the e-mail shape's first class).
_LOCAL_CHARS: Final = string.ascii_letters + string.digits + "._%+-"
#: For each digit character, what the Luhn step (doubling, digits summed) adds to the
#: digit's value, modulo 10: 0 1 2 3 4 -> +0 +1 +2 +3 +4, 5 6 7 8 9 -> -4 -3 -2 -1 0.
_DOUBLING_ADDS: Final = bytes.maketrans(b"0123456789", bytes([0, 1, 2, 3, 4, 6, 7, 8, 9, 0]))


def _alternation(shapes: int) -> re.Pattern[str]:
    """The named alternation of the shapes whose bits are set in `shapes`, in order."""
    return re.compile(
        "|".join(
            f"(?P<{name}>{body})" for bit, (name, body) in enumerate(SHAPES) if shapes & (1 << bit)
        )
    )


#: Every shape: the definition the fast scan must agree with.
PATTERN: Final = _alternation(_EMAIL | _BEARER | _AWS_KEY | _CARD)
#: Alternations by set of shapes, compiled on first use (most processes need two or three).
_PATTERNS: list[re.Pattern[str] | None] = [None] * 16
_PATTERNS[_EMAIL | _BEARER | _AWS_KEY | _CARD] = PATTERN
#: The card shape alone: a long number (an epoch in ms, an id) is the usual candidate.
_CARDS: Final = _alternation(_CARD)
_PATTERNS[_CARD] = _CARDS


def luhn_valid(digits: bytes) -> bool:
    """True when ASCII digits pass the Luhn checksum (as card numbers do).

    Digit values are byte sums less 48 a digit; doubling every second digit from the
    right adds what one `translate` of those digits sums to: no Python loop over digits.
    """
    return (
        sum(digits) + sum(digits[-2::-2].translate(_DOUBLING_ADDS)) - 48 * len(digits)
    ) % 10 == 0


def is_card_number(text: str) -> bool:
    """13-19 digits, single spaces or dashes between them allowed, passing Luhn; one that
    starts with 1 has 15 (`_card_digits`)."""
    if text.isdigit():  # the usual long number (an id, an epoch): no separators to check
        return text.isascii() and _card_digits(text.encode("ascii"))
    digits = text.replace(" ", "").replace("-", "")
    if not (digits.isascii() and digits.isdigit()):
        return False
    if "  " in text or "--" in text or " -" in text or "- " in text:
        return False
    return _card_digits(digits.encode("ascii"))


def _card_digits(digits: bytes) -> bool:
    """Whether ASCII digits (no separators) are a card number's.

    13-19 digits passing Luhn. Card numbers starting with 1 are the airline scheme's
    (UATP, the only issuers ISO/IEC 7812 gives that digit), which have 15 digits; so an
    epoch time in ms, µs or ns (13, 16, 19 digits starting with 1 from 2001 to 2286) is
    never taken for one, where Luhn alone would pass one in ten.
    """
    count = len(digits)
    return (
        _CARD_MIN_DIGITS <= count <= _CARD_MAX_DIGITS
        and (digits[0] != _ONE or count == _AIRLINE_CARD_DIGITS)
        and luhn_valid(digits)
    )


def replace(match: re.Match[str]) -> str:
    """The tag for one match of a shape; a long number that is not a card is kept."""
    what = match.lastgroup or "value"
    if what == "card":
        text = match.group()
        if not is_card_number(text):
            return text
    return f"[REDACTED:{what}]"


def candidate_shapes(text: str, folded: str) -> int:
    """The bits of the shapes to scan `text` for (0: nothing in it can be masked), from
    `folded`: its UTF-8 bytes through `_FOLD`, read back one character a byte."""
    shapes = _EMAIL if "@" in folded else 0
    if "bearer" in folded:  # `(?i:bearer)` folds no character but ASCII letters to it
        shapes |= _BEARER
    if "akia" in folded:
        shapes |= _AWS_KEY
    if _CARD_RUN in folded:
        shapes |= _CARD
    elif shapes and _CARD_RUN in text.encode("utf-8", "surrogatepass").translate(
        _CARD_CHARS
    ).decode("latin-1"):
        shapes |= _CARD  # no card number, but a card-shape match would consume text
    return shapes


def may_mask(line: bytes) -> bool:
    """False when no string rendered in `line` (JSON text, UTF-8) has anything to mask.

    The pre-check of `scrub_patterns`, run once for every string of a record: JSON
    renders the characters a shape's pre-check looks for (or deletes) as themselves,
    escaping only quotes, backslashes and control characters. When a long number is the
    only candidate, the card matches are tested here: a string's matches are the same
    rendered, since the quotes around it stop a match as its ends do, and escapes put no
    digit next to one, but for `\\u` (then the answer is True).
    """
    folded = line.translate(_FOLD, _SEPARATORS).decode("latin-1")
    if "@" in folded or "bearer" in folded or "akia" in folded:
        return True
    if _CARD_RUN not in folded:
        return False
    return line.find(b"\\u") >= 0 or _has_card_number(line)


def _has_card_number(data: bytes) -> bool:
    """Whether a match of the card shape in ASCII-compatible `data` is a card number.

    Matches lie inside runs of card characters (digits, spaces, dashes), so the runs of
    13 or more are found first. In a run that is one plain number, the only match is the
    whole number (a match starts and ends next to a non-digit; past 38 digits there is
    none), so its digits alone say whether it is a card number.
    """
    marks = data.translate(_CARD_CHARS)
    start = marks.find(_CARD_RUN_BYTES)
    while start >= 0:
        end = marks.find(b".", start)
        if end < 0:
            end = len(marks)
        run = data[start:end]
        number = run.strip(b" -")
        if number.isdigit():  # ASCII digits only, in bytes: one number, its own match
            if _card_digits(number):
                return True
        elif any(is_card_number(digits) for digits in _CARDS.findall(run.decode("ascii"))):
            return True
        start = marks.find(_CARD_RUN_BYTES, end)
    return False


def scrub_patterns(text: str) -> str:
    """`PATTERN.sub(replace, text)`, scanning only for the shapes that can match; `text`
    itself when nothing is masked."""
    # Substring tests on `str`: `bytes.__contains__` first tries its argument as an
    # integer and pays for the TypeError, several times the cost of the search itself.
    data = text.encode("utf-8", "surrogatepass")
    folded = data.translate(_FOLD, _SEPARATORS).decode("latin-1")
    if not ("@" in folded or "bearer" in folded or "akia" in folded):
        # `may_mask`'s first tests, inlined: the common path
        if _CARD_RUN in folded and _has_card_number(data):
            return _CARDS.sub(replace, text)
        return text
    shapes = candidate_shapes(text, folded)
    pattern = _PATTERNS[shapes]
    if pattern is None:
        pattern = _PATTERNS[shapes] = _alternation(shapes)
    start = 0
    if shapes == _EMAIL:  # no match starts before the local-part run up to the first `@`
        start = len(text[: text.index("@")].rstrip(_LOCAL_CHARS))
    clean = (
        text[:start] + pattern.sub(replace, text[start:]) if start else pattern.sub(replace, text)
    )
    return text if clean == text else clean
