"""Opaque page cursors: where the last page ended, for the next request to go on from.

A cursor is the sort position of a page's last item, versioned and base64url-encoded;
clients pass `next_cursor` back unchanged. Anything else is a BadParameterError (400): a
cursor never becomes a path or a query, it is only compared with positions.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Final

import orjson

from observability.dashboard.errors import BadParameterError

_VERSION: Final = 1
#: Longest cursor accepted (the routes declare it too).
MAX_CURSOR: Final = 512
#: Default and largest page sizes.
DEFAULT_LIMIT: Final = 50
MAX_LIMIT: Final = 500


def encode(position: Sequence[str]) -> str:
    """The cursor after an item at `position` (its sort key, as strings)."""
    raw = orjson.dumps([_VERSION, *position])
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode(cursor: str | None, size: int) -> tuple[str, ...] | None:
    """The position in a cursor of `size` parts; None for no cursor."""
    if cursor is None or cursor == "":
        return None
    bad = BadParameterError("bad cursor: pass the next_cursor of the previous page unchanged")
    if len(cursor) > MAX_CURSOR:
        raise bad
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = orjson.loads(raw)
    except (binascii.Error, ValueError):
        raise bad from None
    if (
        not isinstance(value, list)
        or len(value) != size + 1
        or value[0] != _VERSION
        or not all(isinstance(part, str) for part in value[1:])
    ):
        raise bad
    return tuple(value[1:])
