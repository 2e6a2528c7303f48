"""The shape of one hit, whichever backend found it: the record as it was stored.

OpenSearch returns `_source` (the record as indexed); the embedded backend returns a SQL
row (timestamps as datetimes, free-form fields as JSON text). Both are projected onto the
fields of the record's kind (a log or a prediction), with timestamps in the schema's
canonical RFC 3339 form and JSON-text fields decoded.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

import orjson

from observability.core.fields import FIELDS, INGESTED_AT, JSON_TEXT_TYPES, FieldType, Kind
from observability.core.times import format_instant

#: The fields of a hit per searchable kind, in schema order.
KIND_HIT_FIELDS: Final = {
    kind: (*(f.name for f in FIELDS[kind]), INGESTED_AT) for kind in (Kind.LOG, Kind.PREDICTION)
}
#: The fields of a log hit.
HIT_FIELDS: Final = KIND_HIT_FIELDS[Kind.LOG]
_TIMES: Final = frozenset(
    {
        INGESTED_AT,
        *(f.name for k in KIND_HIT_FIELDS for f in FIELDS[k] if f.type is FieldType.TIMESTAMP),
    }
)
#: Fields stored as JSON text in SQL rows: decoded when a row gives them as a string.
_JSON_TEXT: Final = {
    kind: frozenset(f.name for f in FIELDS[kind] if f.type in JSON_TEXT_TYPES)
    for kind in KIND_HIT_FIELDS
}


def canonical_time(value: object) -> str:
    """`YYYY-MM-DDTHH:MM:SS.ffffffZ` for a datetime (naive means UTC) or an RFC 3339 string.

    A stored value is shown as it is, even outside the range the grammar accepts for new
    input, so one old record cannot make a whole page fail.
    """
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"not a time: {value!r}")
    return format_instant(value)


def to_hit(
    source: Mapping[str, Any], kind: Kind = Kind.LOG, *, sql_row: bool = False
) -> dict[str, Any]:
    """A hit from a stored document or, with `sql_row`, a SQL row (whose JSON-text fields
    are decoded: a prediction's class is `"ok"` there, `ok` in a document); absent and
    null fields are left out."""
    hit: dict[str, Any] = {}
    json_text = _JSON_TEXT[kind] if sql_row else frozenset()
    for name in KIND_HIT_FIELDS[kind]:
        value = source.get(name)
        if value is None:
            continue
        if name in _TIMES:
            value = canonical_time(value)
        elif name in json_text and isinstance(value, str):
            value = orjson.loads(value)
        hit[name] = value
    return hit
