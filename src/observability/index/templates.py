"""Index templates rendered from `core.fields.FIELDS`, the specs that render the Glue tables.

Daily indices, not rollover aliases: a record's index is a pure function of its own
timestamp (`logs-2026.11.23`), so a re-delivered record lands in the same index as the
first copy and the `create` action's 409 catches it. Behind a rollover alias the write
index changes with time and size, and a late duplicate would be indexed a second time.
Retention is then "delete indices older than N days" (the ISM policy in `lifecycle.py`).

Mappings are explicit and `dynamic: false`: a field the template does not know is kept in
`_source` but never added to the mapping, so no producer can explode it, and no record
is refused for carrying one. Free-form maps (`attributes`, `features`) are `flat_object`
(OpenSearch >= 2.7): one field whose leaves are searchable as `attributes.key: value`,
whatever their types, so `{"a": 1}` and `{"a": "x"}` in two records cannot conflict.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from observability.core.fields import FIELDS, INGESTED_AT, Field, FieldType, Kind
from observability.core.keys import kind_prefix

#: Kinds that are searched; labels are joined in SQL, never searched as documents.
INDEXED_KINDS: Final = (Kind.LOG, Kind.PREDICTION)
#: Store prefixes of searchable records (the indexer's S3 events; the template's rule).
INDEXED_PREFIXES: Final = tuple(kind_prefix(kind) for kind in INDEXED_KINDS)

#: Index name prefix per kind (the template's pattern is `<prefix>-*`).
INDEX_PREFIX: Final[Mapping[Kind, str]] = {Kind.LOG: "logs", Kind.PREDICTION: "predictions"}

#: Free text, analysed; everything else that is a string is an exact-match keyword.
TEXT_FIELDS: Final = frozenset({"event"})

#: Longer keyword values are kept in `_source` but not indexed (Lucene's term limit is
#: 32,766 bytes; 1,024 keeps the terms dictionary small). Ids have no bound on purpose:
#: an id too long to index is a bad record and goes to `errors/index/`.
KEYWORD_IGNORE_ABOVE: Final = 1024

_KEYWORD: Final = {"type": "keyword", "ignore_above": KEYWORD_IGNORE_ABOVE}
_TYPES: Final[Mapping[FieldType, Mapping[str, Any]]] = {
    FieldType.STRING: _KEYWORD,
    FieldType.NAME: {"type": "keyword"},
    FieldType.ID: {"type": "keyword"},
    FieldType.LEVEL: {"type": "keyword"},
    # Nanosecond resolution: records carry microseconds, and order within a millisecond
    # must hold. Indices made before this mapping keep `date` (milliseconds); searches
    # sort both kinds together with `numeric_type: date_nanos` (search/opensearch.py).
    FieldType.TIMESTAMP: {
        "type": "date_nanos",
        "format": "strict_date_optional_time_nanos||epoch_millis",
    },
    FieldType.NUMBER: {"type": "double"},
    FieldType.INTEGER: {"type": "integer"},
    FieldType.SCALAR: _KEYWORD,
    # A number, a class, or class -> probability: no single type fits, so it is kept in
    # `_source` only (flat_object refuses scalars; an object refuses numbers).
    FieldType.PREDICTION: {"type": "object", "enabled": False},
    FieldType.FEATURES: {"type": "flat_object"},
    FieldType.OBJECT: {"type": "flat_object"},
    FieldType.EXCEPTION: {
        "properties": {
            "type": {"type": "keyword", "ignore_above": KEYWORD_IGNORE_ABOVE},
            "message": {"type": "text"},
            "frames": {"type": "object", "enabled": False},
        }
    },
}


def field_mapping(field: Field) -> dict[str, Any]:
    """The OpenSearch mapping of one schema field."""
    if field.name in TEXT_FIELDS:
        return {"type": "text", "fields": {"keyword": dict(_KEYWORD)}}
    return _deep_copy(_TYPES[field.type])


def mappings(kind: Kind) -> dict[str, Any]:
    """The `mappings` body for a kind: every field of FIELDS, plus `ingested_at`."""
    properties = {f.name: field_mapping(f) for f in FIELDS[kind]}
    properties[INGESTED_AT] = field_mapping(Field(INGESTED_AT, FieldType.TIMESTAMP))
    return {"dynamic": False, "properties": properties}


def template_name(kind: Kind) -> str:
    """`observability-logs`, `observability-predictions`."""
    return f"observability-{INDEX_PREFIX[kind]}"


def index_template(kind: Kind, *, shards: int = 1, replicas: int = 1) -> dict[str, Any]:
    """A composable index template (`PUT _index_template/<name>`) for a kind's indices."""
    return {
        "index_patterns": [f"{INDEX_PREFIX[kind]}-*"],
        "priority": 100,
        "template": {
            "settings": {
                "index": {
                    "number_of_shards": shards,
                    "number_of_replicas": replicas,
                    "refresh_interval": "1s",
                    # Belt and braces next to dynamic: false and flat_object.
                    "mapping": {"total_fields": {"limit": 200}},
                }
            },
            "mappings": mappings(kind),
        },
        "_meta": {"managed_by": "observability", "kind": kind.value},
    }


def index_templates(*, shards: int = 1, replicas: int = 1) -> dict[str, dict[str, Any]]:
    """Every template this project owns, by name."""
    return {
        template_name(kind): index_template(kind, shards=shards, replicas=replicas)
        for kind in INDEXED_KINDS
    }


def index_name(kind: Kind, timestamp: str) -> str:
    """The daily index of a record: `logs-YYYY.MM.DD` from its (UTC, RFC 3339) timestamp."""
    return f"{INDEX_PREFIX[kind]}-{timestamp[0:4]}.{timestamp[5:7]}.{timestamp[8:10]}"


def _deep_copy(value: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _deep_copy(v) if isinstance(v, Mapping) else v for k, v in value.items()}
