"""Texts for the redaction tests: the secret shapes, look-alikes, and the plain reference.

`reference_scrub` is the masking as first written (one alternation over the whole
string); `TEXTS` mixes every shape with near misses, so the fast paths meet the cases
their pre-checks must not miss.
"""

from __future__ import annotations

import re

from hypothesis import strategies as st

VISA = "4111111111111111"  # the classic test card number; passes Luhn

#: The reference: the shapes as first written, one alternation over every string.
_REFERENCE = re.compile(
    r"(?P<email>[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})"
    r"|(?P<bearer>\b(?i:bearer)[ \t]+[A-Za-z0-9._~+/=-]+)"
    r"|(?P<aws_access_key>\b(?:AKIA|ASIA)[A-Z0-9]{16}\b)"
    r"|(?P<card>(?<![0-9])[0-9][0-9 -]{11,36}[0-9](?![0-9]))"
)


def reference_luhn(digits: str) -> bool:
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


def reference_card(text: str) -> bool:
    """13-19 digits passing Luhn, single separators between them; 15 if it starts with 1
    (UATP: an epoch time in ms, µs or ns is not a card number)."""
    digits = re.sub(r"[ -]", "", text)
    return (
        re.fullmatch(r"[0-9](?:[ -]?[0-9])*", text) is not None
        and 13 <= len(digits) <= 19
        and (not digits.startswith("1") or len(digits) == 15)
        and reference_luhn(digits)
    )


def _reference_replace(match: re.Match[str]) -> str:
    what = match.lastgroup
    if what == "card" and not reference_card(match.group()):
        return match.group()
    return f"[REDACTED:{what}]"


def reference_scrub(text: str) -> str:
    """The plain implementation: the full alternation over the whole string."""
    return _REFERENCE.sub(_reference_replace, text)


def _luhn_completed(body: str) -> str:
    """`body` plus the check digit that makes it pass Luhn."""
    return next(body + d for d in "0123456789" if reference_luhn(body + d))


DIGITS = st.text(alphabet="0123456789", min_size=1, max_size=22)
_SEPARATOR = st.sampled_from(["", " ", "-", "  ", "--", " -"])
CARD_TEXTS = st.builds(
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
        "1764010000008",  # epoch times in ms, µs, ns that pass Luhn: not card numbers
        "1764010000000003",
        "1764010000000000008",
        "135410014004955",  # 15 digits from 1 (UATP): a card number
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
    CARD_TEXTS,
    _EMAILS,
    _BEARERS,
    _AWS_KEYS,
    _NEAR_MISSES,
    DIGITS,
    _WORD,
    st.text(max_size=8),
)
TEXTS = st.builds(
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
