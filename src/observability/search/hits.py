"""The shape of one hit, whichever backend found it: the log record as it was stored.

OpenSearch returns `_source` (the record as indexed); the embedded backend returns a SQL
row (timestamps as datetimes, free-form fields as JSON text). Both are projected onto the
log record's fields, with timestamps in the schema's canonical RFC 3339 form.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

import orjson

from observability.core.fields import FIELDS, INGESTED_AT, FieldType, Kind

#: The fields of a hit, in schema order.
HIT_FIELDS: Final = (*(f.name for f in FIELDS[Kind.LOG]), INGESTED_AT)
_TIMES: Final = frozenset(
    {INGESTED_AT, *(f.name for f in FIELDS[Kind.LOG] if f.type is FieldType.TIMESTAMP)}
)
_OBJECTS: Final = frozenset(
    f.name for f in FIELDS[Kind.LOG] if f.type in (FieldType.OBJECT, FieldType.EXCEPTION)
)


def canonical_time(value: object) -> str:
    """`YYYY-MM-DDTHH:MM:SS.ffffffZ` for a datetime (naive means UTC) or an RFC 3339 string."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if not isinstance(value, datetime):
        raise TypeError(f"not a time: {value!r}")
    moment = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def to_hit(source: Mapping[str, Any]) -> dict[str, Any]:
    """A hit from a stored document or a SQL row; absent and null fields are left out."""
    hit: dict[str, Any] = {}
    for name in HIT_FIELDS:
        value = source.get(name)
        if value is None:
            continue
        if name in _TIMES:
            value = canonical_time(value)
        elif name in _OBJECTS and isinstance(value, str):
            value = orjson.loads(value)
        hit[name] = value
    return hit
