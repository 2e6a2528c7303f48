"""The record schema's field specs, defined once.

The same specs drive validation (`core/schema.py`), the Glue tables and the OpenSearch
mappings, so a field added here appears everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

SCHEMA_VERSION: Final = 1

#: Firehose refuses records over 1,000 KiB; we hold every line to the same bound.
MAX_RECORD_BYTES: Final = 1_000 * 1024

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
