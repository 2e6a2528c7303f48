"""The transform's fast path: typed decoding of lines that are already in stored form.

Most lines come from our SDK: compact orjson, every field canonical, `record_id` set. Their
stored form is the line itself with `ingested_at` appended, so parsing into a dict,
validating field by field and rendering again only proves that. Here msgspec decodes the
line into a Struct generated from `core.fields.FIELDS` (types, required and unknown fields
are checked in C), a few checks cover what a type cannot say (the schema's own checks), and
the input bytes are kept. Anything else (a value to normalise, a null, an extra field, no
`record_id`, any error) gives None and the caller runs the generic validator
(`lines.transform_line`), so verdicts, reasons and counts are exactly the generic path's.

Why the kept bytes are what the generic path writes (orjson's rendering, key order kept):

- Free-form fields (objects, numbers, features, ...) stay `msgspec.Raw`: each is read
  with orjson, must pass the schema's checker unchanged, and must render back to its bytes.
- The other values are strings, and `schema_version`, a small integer whose one shortest
  form is its digits. A line with no `\\u` escape can write a string in one shortest way
  only: raw UTF-8 but for `\\"`, `\\\\` and `\\b \\t \\n \\f \\r` (other control characters
  need `\\u`, `\\/` is longer, and msgspec refuses raw control characters and invalid
  UTF-8). That way is orjson's and msgspec's alike, for every code point
  (`tests/transform/test_typed.py` checks all of them).
- So each token of the line is at least as long as msgspec's rendering of its value,
  whitespace only adds bytes, and so does a repeated key. A line exactly as long as
  msgspec's rendering of the decoded Struct (whatever its key order) therefore has no
  whitespace, no repeated key and every token in that one form: it is orjson's rendering.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any, Final, Literal, Union

import msgspec
import orjson

from observability.core.checks import (
    _CHECKERS,
    _LEVELS,
    _check_name,
    _known_names,
    is_stored_timestamp,
)
from observability.core.errors import RecordError
from observability.core.fields import (
    FIELDS,
    MAX_DEPTH,
    MAX_ID_LENGTH,
    MAX_RECORD_BYTES,
    SCHEMA_VERSION,
    Field,
    FieldType,
    Kind,
)
from observability.core.partitioning import KEY_COLUMN, partition_of
from observability.transform.lines import Accepted

#: A value check: whether the generic validator keeps the value as it is.
_Check = Callable[[Any], bool]

#: Level names as stored; an alias (`warn`, `INFO`) is normalised by the generic path.
_STORED_LEVELS: Final = tuple(sorted(set(_LEVELS.values())))
#: Types msgspec decodes as strings; every other stays raw JSON for orjson to check.
_TYPED: Final[Mapping[FieldType, Any]] = {
    FieldType.STRING: str,
    FieldType.NAME: str,
    FieldType.TIMESTAMP: str,
    FieldType.ID: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_ID_LENGTH)],
    FieldType.LEVEL: Literal.__getitem__(_STORED_LEVELS),
}
#: Absent from the line means the generic path adds it: the fast path needs them.
_NEEDED: Final = frozenset({"schema_version", "record_id"})
#: A value nested d levels deep takes 2d bytes: shorter than this, it is shallow enough.
_SURELY_SHALLOW: Final = 2 * MAX_DEPTH
_new: Final = tuple.__new__
_loads: Final = orjson.loads
_dumps: Final = orjson.dumps
_UNSET: Final = msgspec.UNSET


def _is_name(value: str) -> bool:
    try:
        _check_name(value, "")
    except RecordError:
        return False
    return True


def _free(name: str, check: Callable[[object, str], object]) -> _Check:
    """The check of a raw JSON field: what the schema keeps unchanged, rendered as orjson does."""

    def fits(raw: msgspec.Raw) -> bool:
        # In a record, the value's depth plus one must stay within MAX_DEPTH; each level
        # opens a bracket, so counting them bounds the depth from above.
        text = bytes(raw)
        if len(text) >= _SURELY_SHALLOW and text.count(b"{") + text.count(b"[") >= MAX_DEPTH:
            return False
        try:
            value = _loads(text)
            return value is not None and check(value, name) is value and _dumps(value) == text
        except (orjson.JSONDecodeError, orjson.JSONEncodeError, RecordError):
            return False

    return fits


#: Python checks by type, beyond what the Struct's types say.
_CHECKS: Final[Mapping[FieldType, _Check]] = {
    FieldType.NAME: _is_name,
    FieldType.TIMESTAMP: is_stored_timestamp,
}


def _field(f: Field) -> tuple[tuple[str, Any] | tuple[str, Any, Any], _Check | None]:
    """A Struct field for a spec and the Python check its values still need."""
    if f.name == "schema_version":
        ftype: Any = Annotated[int, msgspec.Meta(ge=1, le=SCHEMA_VERSION)]
        check = None
    elif f.type in _TYPED:
        ftype, check = _TYPED[f.type], _CHECKS.get(f.type)
    else:
        ftype, check = msgspec.Raw, _free(f.name, _CHECKERS[f.type])
    if f.required or f.name in _NEEDED:
        return (f.name, ftype), check
    return (f.name, ftype | msgspec.UnsetType, _UNSET), check


class _Shape:
    """One kind's Struct and the checks its decoded fields still need.

    Every kind has a `timestamp` and a partition key (`service`, `model`): `accept` checks
    those two itself, and `checks` holds the others.
    """

    __slots__ = ("checks", "key", "kind", "struct")

    def __init__(self, kind: Kind) -> None:
        self.kind = kind
        self.key = KEY_COLUMN[kind]
        types = {spec.name: spec.type for spec in FIELDS[kind]}
        if types.get("timestamp") is not FieldType.TIMESTAMP or types.get(self.key) is not (
            FieldType.NAME
        ):
            raise ValueError(f"{kind.plural}: the typed path needs a timestamp and a name key")
        fields: list[Any] = []
        checks: list[tuple[str, _Check]] = []
        for spec in FIELDS[kind]:
            if spec.name == "kind":  # the Struct's tag
                continue
            field, check = _field(spec)
            fields.append(field)
            if check is not None and spec.name not in ("timestamp", self.key):
                checks.append((spec.name, check))
        self.checks = tuple(checks)
        self.struct: type[msgspec.Struct] = msgspec.defstruct(
            f"Typed{kind.value.title()}",
            fields,
            kw_only=True,
            tag_field="kind",
            tag=kind.value,
            forbid_unknown_fields=True,
            gc=False,  # strings, integers and raw bytes: no cycles to collect
        )


_SHAPES: Final = {shape.struct: shape for shape in map(_Shape, Kind)}
#: One decoder for every kind: the `kind` tag picks the Struct.
_decode: Final = msgspec.json.Decoder(Union.__getitem__(tuple(_SHAPES))).decode
_encode: Final = msgspec.json.Encoder().encode


def stamp(ingested_at: str) -> bytes | None:
    """What ends each kept line: `ingested_at` as the generic path writes it, and the `}`.

    None when orjson cannot write it (a lone surrogate): the generic path then refuses.
    """
    try:
        return b',"ingested_at":' + _dumps(ingested_at) + b"}"
    except orjson.JSONEncodeError:
        return None


def accept(line: bytes, expected_kind: Kind | None, suffix: bytes) -> Accepted | None:
    """The line as `transform_line` would accept it, or None to let the generic path judge.

    The accepted line is `line` without its `}`, then `suffix`: `stamp(ingested_at)`, or
    that and a newline for a caller that wants the line ended.
    """
    # A backslash is rare; `\\u` is rarer, and only then is the two-byte search paid.
    if len(line) > MAX_RECORD_BYTES or (b"\\" in line and b"\\u" in line):
        return None
    try:
        record = _decode(line)
    except msgspec.MsgspecError:
        return None
    shape = _SHAPES[type(record)]
    timestamp: str = record.timestamp
    key: str = getattr(record, shape.key)
    if (
        (expected_kind is not None and shape.kind is not expected_kind)
        or len(_encode(record)) != len(line)  # see the module's docstring
        or not is_stored_timestamp(timestamp)
        or (key not in _known_names and not _is_name(key))
    ):
        return None
    for name, check in shape.checks:
        value = getattr(record, name)
        if value is not _UNSET and not check(value):
            return None
    partition = partition_of(shape.kind, {"timestamp": timestamp, shape.key: key})
    # tuple.__new__ skips NamedTuple's Python-level constructor: this runs once per line.
    return _new(Accepted, (partition, line[:-1] + suffix, record.record_id))
