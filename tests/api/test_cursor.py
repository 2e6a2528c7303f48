"""Opaque page cursors: what the API gives decodes to its position; anything else is a 400."""

from __future__ import annotations

import pytest

from observability.dashboard import cursor
from observability.dashboard.errors import BadParameterError


def test_round_trip() -> None:
    """A cursor decodes to the position it was made from."""
    position = ("2026-11-01T03:00:00.000000Z", "fraud~20261101T0300_20261101T0400", "x")
    assert cursor.decode(cursor.encode(position), 3) == position
    assert cursor.decode(None, 3) is None and cursor.decode("", 3) is None


@pytest.mark.parametrize(
    "text",
    [
        "not base64 !",
        "bm90IGpzb24",  # "not json"
        cursor.encode(("only-one",)),
        "W1siYSJdXQ",  # [["a"]]: not this version's shape
        "é",
        "A" * 600,
    ],
)
def test_anything_else_is_refused(text: str) -> None:
    """A cursor the API did not make is a BadParameterError naming the cursor."""
    with pytest.raises(BadParameterError, match="cursor"):
        cursor.decode(text, 3)
