"""The record schema, defined once: field specs, validation and normalisation.

The same field specs render the Glue tables and the OpenSearch mappings, so a field
added here appears everywhere. Validation is hand-written over the specs rather than
done with a model library because the Firehose transform must validate well over
150,000 records a second on one core.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final, cast

import orjson

from observability.core.errors import Reason, RecordError

SCHEMA_VERSION: Final = 1

#: Firehose refuses records over 1,000 KiB; we hold every line to the same bound.
MAX_RECORD_BYTES: Final = 1_000 * 1024

_NAME_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
#: OpenSearch takes any `_id` up to 512 bytes; ids stay well under it.
MAX_ID_LENGTH: Final = 256
_NON_FINITE_RE: Final = re.compile(rb"(?<![\"\w])-?(?:NaN|Infinity)(?![\"\w])")
_LEVELS: Final = {
    "debug": "debug",
    "info": "info",
    "warn": "warning",
    "warning": "warning",
    "error": "error",
    "exception": "error",
    "critical": "critical",
    "fatal": "critical",
}


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


def _fail(reason: Reason, field: str, message: str) -> RecordError:
    return RecordError(reason, message, field)


def _is_number(value: object) -> bool:
    kind = type(value)
    if kind is int:
        return True
    if kind is float:
        return math.isfinite(value)  # type: ignore[arg-type]
    return False


def _check_number(value: object, name: str) -> object:
    if type(value) is float and not math.isfinite(value):
        raise _fail(Reason.NON_FINITE_NUMBER, name, "NaN and Infinity are not allowed")
    if not _is_number(value):
        raise _fail(Reason.WRONG_TYPE, name, f"expected a number, got {_type_name(value)}")
    return value


def _check_integer(value: object, name: str) -> object:
    if type(value) is not int:
        raise _fail(Reason.WRONG_TYPE, name, f"expected an integer, got {_type_name(value)}")
    return value


def _check_string(value: object, name: str) -> object:
    if type(value) is not str:
        raise _fail(Reason.WRONG_TYPE, name, f"expected a string, got {_type_name(value)}")
    return value


_known_names: set[str] = set()
_KNOWN_NAMES_MAX: Final = 10_000


def _check_name(value: object, name: str) -> object:
    text = cast(str, _check_string(value, name))
    if text in _known_names:  # services and models repeat: skip the regex
        return value
    if not _NAME_RE.fullmatch(text):
        raise _fail(
            Reason.INVALID_VALUE,
            name,
            "must be 1-128 characters of letters, digits, '.', '_' or '-', "
            f"starting with a letter or digit; got {value!r:.80}",
        )
    if len(_known_names) < _KNOWN_NAMES_MAX:
        _known_names.add(text)
    return value


def _check_id(value: object, name: str) -> object:
    if type(value) is not str:
        raise _fail(Reason.WRONG_TYPE, name, f"expected a string, got {_type_name(value)}")
    if not 0 < len(value) <= MAX_ID_LENGTH:
        raise _fail(
            Reason.INVALID_VALUE, name, f"must be 1-{MAX_ID_LENGTH} characters; got {len(value)}"
        )
    return value


def _check_level(value: object, name: str) -> object:
    text = cast(str, _check_string(value, name))
    level = _LEVELS.get(text) or _LEVELS.get(text.lower())
    if level is None:
        raise _fail(
            Reason.INVALID_VALUE,
            name,
            f"expected one of debug, info, warning, error, critical; got {value!r:.40}",
        )
    return level


def _check_scalar(value: object, name: str) -> object:
    kind = type(value)
    if kind is str or kind is bool:
        return value
    return _check_number(value, name)


def _check_prediction(value: object, name: str) -> object:
    if type(value) is dict:
        for cls, prob in value.items():
            _check_number(prob, f"{name}.{cls}")
        if not value:
            raise _fail(Reason.INVALID_VALUE, name, "a class -> probability map cannot be empty")
        return value
    return _check_scalar(value, name)


def _check_features(value: object, name: str) -> object:
    if type(value) is not dict:
        raise _fail(Reason.WRONG_TYPE, name, f"expected an object, got {_type_name(value)}")
    for key, item in value.items():
        if item is not None:
            _check_scalar(item, f"{name}.{key}")
    return value


def _check_object(value: object, name: str) -> object:
    if type(value) is not dict:
        raise _fail(Reason.WRONG_TYPE, name, f"expected an object, got {_type_name(value)}")
    return value


def _check_exception(value: object, name: str) -> object:
    if type(value) is str:
        return {"type": None, "message": value, "frames": []}
    _check_object(value, name)
    for part in ("type", "message"):
        item = value.get(part)  # type: ignore[attr-defined]
        if item is not None and type(item) is not str:
            raise _fail(Reason.WRONG_TYPE, f"{name}.{part}", "expected a string")
    frames = value.get("frames")  # type: ignore[attr-defined]
    if frames is not None and type(frames) is not list:
        raise _fail(Reason.WRONG_TYPE, f"{name}.frames", "expected a list")
    return value


def normalize_timestamp(value: object, name: str = "timestamp") -> str:
    """RFC 3339 with an explicit zone -> `YYYY-MM-DDTHH:MM:SS.ffffffZ` in UTC."""
    if type(value) is not str:
        raise _fail(
            Reason.WRONG_TYPE, name, f"expected an RFC 3339 string, got {_type_name(value)}"
        )
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _fail(
            Reason.INVALID_VALUE, name, f"not an RFC 3339 timestamp: {value!r:.60}"
        ) from None
    if parsed.tzinfo is None:
        raise _fail(Reason.NAIVE_TIMESTAMP, name, f"timestamp has no time zone: {value!r:.60}")
    if len(value) == 27 and value[-1] == "Z" and value[10] == "T" and value[19] == ".":
        return value  # already canonical: the SDK's own form
    try:
        utc = parsed.astimezone(UTC)
    except OverflowError:  # an offset pushing year 1 or 9999 out of range
        raise _fail(
            Reason.INVALID_VALUE, name, f"timestamp out of range in UTC: {value!r:.60}"
        ) from None
    # isoformat pads the year to four digits; strftime's %Y does not on every platform.
    return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


_CHECKERS: Final[Mapping[FieldType, Callable[[object, str], object]]] = {
    FieldType.STRING: _check_string,
    FieldType.NAME: _check_name,
    FieldType.ID: _check_id,
    FieldType.TIMESTAMP: normalize_timestamp,
    FieldType.LEVEL: _check_level,
    FieldType.NUMBER: _check_number,
    FieldType.INTEGER: _check_integer,
    FieldType.SCALAR: _check_scalar,
    FieldType.PREDICTION: _check_prediction,
    FieldType.FEATURES: _check_features,
    FieldType.OBJECT: _check_object,
    FieldType.EXCEPTION: _check_exception,
}

_KINDS_BY_VALUE: Final = {kind.value: kind for kind in Kind}
_COMMON_NAMES: Final = frozenset(f.name for f in _COMMON)
_KNOWN: Final[Mapping[Kind, frozenset[str]]] = {
    kind: frozenset(f.name for f in fields) | {INGESTED_AT} for kind, fields in FIELDS.items()
}


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    return {dict: "object", list: "array", str: "string", bool: "boolean"}.get(
        type(value), "number" if isinstance(value, int | float) else type(value).__name__
    )


def parse_json_line(line: bytes) -> dict[str, Any]:
    """Parse one NDJSON line into an object, naming the problem when it is not one."""
    if len(line) > MAX_RECORD_BYTES:
        raise RecordError(
            Reason.TOO_LARGE, f"record is {len(line)} bytes; the limit is {MAX_RECORD_BYTES}"
        )
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise _classify_json_error(line, exc) from None
    if type(obj) is not dict:
        raise RecordError(Reason.NOT_AN_OBJECT, f"expected a JSON object, got {_type_name(obj)}")
    return obj


def _classify_json_error(line: bytes, exc: orjson.JSONDecodeError) -> RecordError:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as bad:
        return RecordError(Reason.INVALID_UTF8, f"invalid UTF-8 at byte {bad.start}")
    if _NON_FINITE_RE.search(line):
        try:
            json.loads(line)
        except ValueError:
            pass
        else:
            return RecordError(
                Reason.NON_FINITE_NUMBER, "NaN and Infinity are not valid JSON numbers"
            )
    return RecordError(Reason.MALFORMED_JSON, f"malformed JSON: {exc}")


def content_id(record: Mapping[str, Any]) -> str:
    """A deterministic id from content, so a re-delivered record keeps the same id."""
    body = {k: v for k, v in record.items() if k not in ("record_id", INGESTED_AT)}
    try:
        encoded = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError as error:  # nesting orjson reads but will not write
        raise RecordError(Reason.INVALID_VALUE, f"record cannot be encoded: {error}") from None
    return hashlib.blake2b(encoded, digest_size=16).hexdigest()


def validate(
    obj: dict[str, Any], expected_kind: Kind | None = None, ingested_at: str | None = None
) -> dict[str, Any]:
    """Check and normalise a parsed record in place; return it or raise RecordError.

    Unknown top-level fields are moved under `attributes` rather than refused, so a
    foreign producer's extra fields are kept and cannot widen the tables.
    """
    declared = obj.get("kind")
    entry = _VALIDATORS.get(declared) if type(declared) is str else None
    if entry is None or (expected_kind is not None and entry[0] is not expected_kind):
        entry = _VALIDATORS[_resolve_kind(obj, expected_kind).value]
    return entry[1](obj, ingested_at)


def _move_extra_fields(obj: dict[str, Any], known: frozenset[str]) -> None:
    """Unknown top-level fields go under `attributes`; explicit nulls of known ones go."""
    for name in [name for name, value in obj.items() if value is None]:
        del obj[name]
    extra = [name for name in obj if name not in known]
    if not extra:
        return
    attributes = obj.get("attributes")
    if attributes is None:
        attributes = obj["attributes"] = {}
    for name in extra:
        attributes.setdefault(name, obj.pop(name))


def _resolve_kind(obj: Mapping[str, Any], expected: Kind | None) -> Kind:
    declared = obj.get("kind")
    if declared is None:
        if expected is None:
            raise _fail(Reason.MISSING_FIELD, "kind", "required when the stream has no kind")
        return expected
    kind = _KINDS_BY_VALUE.get(declared) if type(declared) is str else None
    if kind is None:
        raise _fail(
            Reason.INVALID_VALUE, "kind", f"expected log, prediction or label; got {declared!r:.40}"
        )
    if expected is not None and kind is not expected:
        raise _fail(
            Reason.WRONG_KIND, "kind", f"a {kind.value} record sent where {expected.value}s go"
        )
    return kind


def utc_now_iso() -> str:
    """The current time in the canonical record form."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond:06d}Z"


# --- Per-kind validators, generated from FIELDS -------------------------------------------
# A loop over field specs pays a call and a tuple unpack per field; at 150,000 records a
# second that is most of the budget. So each kind gets one straight-line function, written
# from its FIELDS entry at import (the way dataclasses writes `__init__`): plain checks are
# inlined, the rare and failing paths call the `_check_*` functions above, which name the
# field in their errors. FIELDS stays the only description of the schema.

_Validator = Callable[[dict[str, Any], "str | None"], dict[str, Any]]

#: Inline fast paths; `_check_*` only runs when the cheap test fails (and then raises).
_INLINE: Final[Mapping[FieldType, str]] = {
    FieldType.STRING: "if type(v) is not str: _check_string(v, {n})",
    FieldType.NAME: "if type(v) is not str or v not in _known_names: _check_name(v, {n})",
    FieldType.ID: "if type(v) is not str or not 0 < len(v) <= MAX_ID_LENGTH: _check_id(v, {n})",
    FieldType.INTEGER: "if type(v) is not int: _check_integer(v, {n})",
    FieldType.OBJECT: "if type(v) is not dict: _check_object(v, {n})",
    FieldType.NUMBER: (
        "if type(v) is not int and (type(v) is not float or not _isfinite(v)):"
        " _check_number(v, {n})"
    ),
    FieldType.LEVEL: (
        "obj[{n}] = (_LEVELS.get(v) if type(v) is str else None) or _check_level(v, {n})"
    ),
    # Canonical `YYYY-MM-DDTHH:MM:SS.ffffffZ` (what the SDK writes) only needs parsing.
    FieldType.TIMESTAMP: (
        "if type(v) is str and len(v) == 27 and v[26] == 'Z' and v[19] == '.' and v[10] == 'T':\n"
        "    try: _fromiso(v)\n"
        "    except ValueError: obj[{n}] = normalize_timestamp(v, {n})\n"
        "else: obj[{n}] = normalize_timestamp(v, {n})"
    ),
}
_CALLED: Final = "c = {check}(v, {n})\nif c is not v: obj[{n}] = c"


def _missing(name: str) -> RecordError:
    return _fail(Reason.MISSING_FIELD, name, "required field is missing")


def _check_version(version: object) -> None:
    if type(version) is not int:
        raise _fail(Reason.WRONG_TYPE, "schema_version", "expected an integer")
    raise _fail(
        Reason.UNSUPPORTED_SCHEMA_VERSION,
        "schema_version",
        f"version {version} is not supported (this build reads 1..{SCHEMA_VERSION})",
    )


def _field_source(f: Field) -> list[str]:
    """Lines checking one field `v`; `n` counts the fields present, to spot extras cheaply."""
    name = repr(f.name)
    template = _INLINE.get(f.type) or _CALLED.format(check=_CHECKERS[f.type].__name__, n="{n}")
    check = template.format(n=name).splitlines()
    if f.required:
        return [f"v = get({name})", f"if v is None: raise _missing({name})", "n += 1", *check]
    return [f"v = get({name})", "if v is not None:", "    n += 1", *("    " + c for c in check)]


def _validator_source(kind: Kind) -> str:
    lines = [
        "get = obj.get",
        "version = get('schema_version', SCHEMA_VERSION)",
        "if type(version) is not int or not 1 <= version <= SCHEMA_VERSION:",
        "    _check_version(version)",
        "obj['schema_version'] = version",
        f"obj['kind'] = {kind.value!r}",
        "n = 2",
    ]
    for f in FIELDS[kind]:
        if f.name not in _COMMON_NAMES:
            lines += _field_source(f)
    lines += [
        "n += ('record_id' in obj) + (INGESTED_AT in obj)",
        "if len(obj) > n: _move_extra_fields(obj, known)",
        "rid = get('record_id')",
        "if rid is None: obj['record_id'] = content_id(obj)",
        "elif type(rid) is not str or not 0 < len(rid) <= MAX_ID_LENGTH:",
        "    _check_id(rid, 'record_id')",
        "if ingested_at is not None: obj[INGESTED_AT] = ingested_at",
        "return obj",
    ]
    body = "".join(f"    {line}\n" for line in lines)
    return f"def validate_{kind.value}(obj, ingested_at):\n{body}"


def _build_validator(kind: Kind) -> _Validator:
    namespace: dict[str, Any] = {
        **{checker.__name__: checker for checker in _CHECKERS.values()},
        "_known_names": _known_names,
        "_isfinite": math.isfinite,
        "_LEVELS": _LEVELS,
        "_fromiso": datetime.fromisoformat,
        "_missing": _missing,
        "_check_version": _check_version,
        "_move_extra_fields": _move_extra_fields,
        "content_id": content_id,
        "known": _KNOWN[kind],
        "SCHEMA_VERSION": SCHEMA_VERSION,
        "MAX_ID_LENGTH": MAX_ID_LENGTH,
        "INGESTED_AT": INGESTED_AT,
    }
    # The source is built above from our own FIELDS constants, never from input.
    exec(_validator_source(kind), namespace)  # noqa: S102
    validator: _Validator = namespace[f"validate_{kind.value}"]
    return validator


#: `kind` value -> (Kind, its generated validator).
_VALIDATORS: Final[dict[str, tuple[Kind, _Validator]]] = {
    kind.value: (kind, _build_validator(kind)) for kind in Kind
}
