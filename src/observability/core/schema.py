"""The record schema, defined once: validation and normalisation of records.

The same field specs render the Glue tables and the OpenSearch mappings, so a field
added here appears everywhere. Validation is hand-written over the specs rather than
done with a model library because the Firehose transform must validate well over
150,000 records a second on one core.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Final

from observability.core.checks import (
    _CHECKERS,
    _LEVELS,
    _fail,
    _known_names,
    content_id,
    is_stored_timestamp,
    normalize_timestamp,
    parse_json_line,
    utc_now_iso,
)
from observability.core.errors import Reason, RecordError
from observability.core.fields import (
    _COMMON,
    FIELDS,
    INGESTED_AT,
    MAX_DEPTH,
    MAX_ID_LENGTH,
    MAX_RECORD_BYTES,
    SCHEMA_VERSION,
    Field,
    FieldType,
    Kind,
)

__all__ = [
    "FIELDS",
    "INGESTED_AT",
    "MAX_DEPTH",
    "MAX_ID_LENGTH",
    "MAX_RECORD_BYTES",
    "SCHEMA_VERSION",
    "Field",
    "FieldType",
    "Kind",
    "RecordError",
    "content_id",
    "normalize_timestamp",
    "parse_json_line",
    "utc_now_iso",
    "validate",
]

_KINDS_BY_VALUE: Final = {kind.value: kind for kind in Kind}
_COMMON_NAMES: Final = frozenset(f.name for f in _COMMON)
_KNOWN: Final[Mapping[Kind, frozenset[str]]] = {
    kind: frozenset(f.name for f in fields) | {INGESTED_AT} for kind, fields in FIELDS.items()
}


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
    # What the SDK writes is kept as is (`is_stored_timestamp`: the transform's typed fast
    # path accepts exactly the same text); anything else is normalised or refused.
    FieldType.TIMESTAMP: (
        "if type(v) is not str or not _is_stored_timestamp(v):\n"
        "    obj[{n}] = normalize_timestamp(v, {n})"
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
        "_is_stored_timestamp": is_stored_timestamp,
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
