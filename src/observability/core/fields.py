"""The record schema's field specs, defined once.

The same specs drive validation (`core/schema.py`), the Glue tables and the OpenSearch
mappings, so a field added here appears everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

SCHEMA_VERSION: Final = 1

#: Firehose refuses records over 1,000 KiB; we hold every line to the same bound.
MAX_RECORD_BYTES: Final = 1_000 * 1024

#: The deepest nesting of objects and arrays in a record, the record itself counting 1:
#: orjson, which renders every stored line, writes no deeper. Deeper is `too_deep`.
MAX_DEPTH: Final = 254

#: OpenSearch takes any `_id` up to 512 bytes; ids stay well under it.
MAX_ID_LENGTH: Final = 256


class Kind(StrEnum):
    """The three record kinds; the value is what records carry in `kind`."""

    LOG = "log"
    PREDICTION = "prediction"
    LABEL = "label"

    # Enum hashes by name in Python code; str's own hash is C, and agrees with `==` on
    # the value, so `{"log": ...}[Kind.LOG]` works. Partitions are dict keys per record.
    __hash__ = str.__hash__

    @property
    def plural(self) -> str:
        """The storage prefix and the ingest route segment (`logs`, `predictions`, ...)."""
        return f"{self.value}s"

    @classmethod
    def from_plural(cls, name: str) -> Kind:
        """Resolve `logs`/`log` style names; raises ValueError for anything else."""
        for kind in cls:
            if name in (kind.value, kind.plural):
                return kind
        raise ValueError(f"unknown kind {name!r}: expected one of logs, predictions, labels")


class FieldType(StrEnum):
    """Logical types; renderers map them to Glue, Parquet and OpenSearch types."""

    STRING = "string"
    NAME = "name"  # a string safe to use as a partition value
    ID = "id"
    TIMESTAMP = "timestamp"
    LEVEL = "level"
    NUMBER = "number"
    INTEGER = "integer"
    SCALAR = "scalar"  # number | string | bool
    PREDICTION = "prediction"  # number | string | bool | {class: probability}
    FEATURES = "features"  # {name: number | string | bool | null}
    OBJECT = "object"  # free-form JSON object
    EXCEPTION = "exception"


#: Types whose JSON shape varies by record: stored, queried and indexed as JSON text
#: everywhere (Parquet, Glue, DuckDB), so two files never disagree on a column's type.
JSON_TEXT_TYPES: Final = frozenset(
    {
        FieldType.SCALAR,
        FieldType.PREDICTION,
        FieldType.FEATURES,
        FieldType.OBJECT,
        FieldType.EXCEPTION,
    }
)


@dataclass(frozen=True, slots=True)
class Field:
    """One top-level field of a record kind."""

    name: str
    type: FieldType
    required: bool = False
    doc: str = ""


_COMMON: Final = (
    Field("schema_version", FieldType.INTEGER, doc="Version of this schema the record follows."),
    Field("kind", FieldType.STRING, doc="log, prediction or label."),
    Field("record_id", FieldType.ID, doc="Stable id; derived from content when absent."),
)

FIELDS: Final[Mapping[Kind, tuple[Field, ...]]] = {
    Kind.LOG: (
        *_COMMON,
        Field("timestamp", FieldType.TIMESTAMP, True, "When the event happened (UTC)."),
        Field("level", FieldType.LEVEL, True, "debug, info, warning, error or critical."),
        Field("service", FieldType.NAME, True, "Emitting service; a partition key."),
        Field("event", FieldType.STRING, True, "The log message."),
        Field("env", FieldType.STRING),
        Field("logger", FieldType.STRING),
        Field("trace_id", FieldType.STRING),
        Field("span_id", FieldType.STRING),
        Field("request_id", FieldType.STRING),
        Field("host", FieldType.STRING),
        Field("version", FieldType.STRING),
        Field("exception", FieldType.EXCEPTION, doc="type, message and frames."),
        Field("attributes", FieldType.OBJECT, doc="Free-form extra fields."),
    ),
    Kind.PREDICTION: (
        *_COMMON,
        Field("timestamp", FieldType.TIMESTAMP, True, "When the prediction was made (UTC)."),
        Field("model", FieldType.NAME, True, "Model name; a partition key."),
        Field("prediction_id", FieldType.ID, True, "Joins the prediction to its label."),
        Field("features", FieldType.FEATURES, True, "Feature name -> scalar or null."),
        Field("prediction", FieldType.PREDICTION, True, "Value, class, or class -> probability."),
        Field("model_version", FieldType.STRING),
        Field("latency_ms", FieldType.NUMBER),
        Field("service", FieldType.STRING),
        Field("trace_id", FieldType.STRING),
        Field("env", FieldType.STRING),
        Field("attributes", FieldType.OBJECT, doc="Free-form extra fields."),
    ),
    Kind.LABEL: (
        *_COMMON,
        Field("timestamp", FieldType.TIMESTAMP, True, "When the ground truth became known."),
        Field("model", FieldType.NAME, True, "Model name; a partition key."),
        Field("prediction_id", FieldType.ID, True, "The prediction this label belongs to."),
        Field("label", FieldType.SCALAR, True, "The ground truth value or class."),
        Field("attributes", FieldType.OBJECT, doc="Free-form extra fields."),
    ),
}

#: Added by the transform; excluded from the content hash so a re-delivery keeps its id.
INGESTED_AT: Final = "ingested_at"


@dataclass(frozen=True, slots=True)
class HotAttribute:
    """An attribute that queries read often, also stored as a typed column of its own.

    `attributes` keeps it as well, so nothing is lost. The column holds the attribute's value
    when it is a JSON number, and null otherwise (absent, null, a string, a bool, an object):
    one rule, written out below for each engine that computes it (DuckDB for compaction and
    for NDJSON partitions, Trino for the Athena view, Python for the reference compaction).
    """

    name: str
    doc: str
    type: FieldType = FieldType.NUMBER

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", self.name):
            raise ValueError(f"hot attribute {self.name!r}: name it like [a-z_][a-z0-9_]*")
        if self.type is not FieldType.NUMBER:
            raise ValueError(f"hot attribute {self.name!r}: only number attributes are supported")

    @property
    def path(self) -> str:
        """The JSON path of the attribute inside its source column."""
        return f"$.{self.name}"

    def duckdb(self, source: str) -> str:
        """DuckDB: the value from `source` (a JSON or JSON-text column expression)."""
        return f"TRY_CAST(CAST(json_extract({source}, '{self.path}') AS VARCHAR) AS DOUBLE)"

    def trino(self, source: str) -> str:
        """Trino (Athena): the value from `source`, a JSON-text column expression."""
        return f"TRY_CAST(json_format(json_extract({source}, '{self.path}')) AS DOUBLE)"

    @staticmethod
    def python(raw: bytes) -> float | None:
        """Python: the value from the attribute's own JSON text (`b""` when absent)."""
        return float(raw) if raw[:1] in _NUMBER_STARTS else None


#: The first byte of a JSON number.
_NUMBER_STARTS: Final = frozenset(bytes([byte]) for byte in b"-0123456789")
#: The field hot attributes are read from.
HOT_SOURCE: Final = "attributes"


def _hot(kind: Kind, *attributes: HotAttribute) -> tuple[HotAttribute, ...]:
    """A kind's hot attributes, refused when one would repeat a column name."""
    names = [a.name for a in attributes]
    taken = {f.name for f in FIELDS[kind]} | {INGESTED_AT}
    if len(set(names)) != len(names) or taken & set(names):
        raise ValueError(f"hot attributes of {kind.plural} repeat a column: {names}")
    return attributes


#: Attributes promoted to typed columns, per kind: compacted Parquet, the Glue tables and
#: views, and DuckDB's tables all gain these columns, after `ingested_at`. Keep the list
#: short (each costs a column in every compacted file); a change here is picked up by
#: `observability catalog render` and by the next compaction of each partition.
HOT_ATTRIBUTES: Final[Mapping[Kind, tuple[HotAttribute, ...]]] = {
    Kind.LOG: _hot(
        Kind.LOG, HotAttribute("latency_ms", "Request latency in milliseconds (attributes).")
    ),
    Kind.PREDICTION: (),
    Kind.LABEL: (),
}
