"""Compaction's reference path: a partition's lines, record by record, into Arrow batches.

The previous implementation, kept as the fallback of the fast path (`columnar.py`) and as
the baseline tests and benchmarks compare it with. Lines are decoded a chunk at a time into
typed structs (msgspec checks types, required and unknown fields) and checked column by
column; a chunk in doubt is validated record by record as ingest does, and a record that
cannot be stored becomes a `Rejection` with its reason. JSON-text fields keep the source's
text, re-encoded only when a record needed normalising; hot attributes are read from the
`attributes` text by `core.fields.HotAttribute.python`.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, Final

import msgspec
import orjson

# pyarrow ships no type information; its objects are Any here.
import pyarrow as pa
import pyarrow.compute as pc

from observability.core.errors import Reason, RecordError, Rejection
from observability.core.fields import HOT_ATTRIBUTES, HOT_SOURCE, JSON_TEXT_TYPES
from observability.core.partitioning import KEY_COLUMN, Partition, partition_of
from observability.core.schema import (
    FIELDS,
    INGESTED_AT,
    MAX_ID_LENGTH,
    SCHEMA_VERSION,
    FieldType,
    Kind,
    parse_json_line,
    validate,
)

#: Near-unique columns: dictionary pages only cost time (and size) before the fallback.
_NO_DICTIONARY: Final = frozenset({"trace_id", "span_id", "request_id"})

#: Timestamps in Parquet: microseconds, UTC.
TIMESTAMP: Final = pa.timestamp("us", tz="UTC")
_CANONICAL_TS: Final = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$"
#: Logical types with an Arrow type of their own; every other is stored as a string.
ARROW_TYPES: Final[Mapping[FieldType, pa.DataType]] = {
    FieldType.TIMESTAMP: TIMESTAMP,
    FieldType.NUMBER: pa.float64(),
    FieldType.INTEGER: pa.int64(),
}
_LEVELS: Final = pa.array(["debug", "info", "warning", "error", "critical"])


class _UnfitError(Exception):
    """A chunk that the vectorised path cannot store as is; the per-record path decides."""


@dataclass(frozen=True, slots=True)
class _Column:
    name: str
    type: FieldType
    required: bool


def dictionary_columns(kind: Kind) -> list[str]:
    """Columns worth dictionary-encoding: all but ids, timestamps and near-unique strings."""
    return [
        column.name
        for column in _COLUMNS[kind]
        if column.name != KEY_COLUMN[kind]
        and column.name not in _NO_DICTIONARY
        and column.type not in (FieldType.ID, FieldType.TIMESTAMP)
    ]


def convert(
    partition: Partition, schema: pa.Schema, key: str, first: int, lines: list[bytes]
) -> tuple[pa.RecordBatch, list[Rejection]]:
    """Lines -> a record batch: typed decoding and vectorised checks, per-record on doubt.

    The fast path decodes each line into a typed struct (types, required fields and
    unknown fields are checked by the decoder) and checks values column by column. Any
    doubt sends the chunk down the slow path: the schema's own `validate` per line, the
    same as ingest, then the fast path again on the normalised record.
    """
    decode = _DECODERS[partition.kind].decode
    try:
        return _to_batch(partition, schema, [decode(line) for line in lines]), []
    except (msgspec.MsgspecError, _UnfitError):
        pass
    rows: list[Any] = []
    kept: list[int] = []
    rejections: list[Rejection] = []
    for offset, line in enumerate(lines):
        if line.isspace():
            continue  # a blank line is not a record
        try:
            rows.append(decode(_normalised(partition, line)))
            kept.append(offset)
        except RecordError as error:
            rejections.append(_reject(error, key, first + offset, line))
    try:
        return _to_batch(partition, schema, rows), rejections
    except _UnfitError:
        pass
    fits: list[Any] = []
    for row, offset in zip(rows, kept, strict=True):
        try:
            _to_batch(partition, schema, [row])
            fits.append(row)
        except _UnfitError as unfit:
            problem = RecordError(Reason.INVALID_VALUE, f"cannot be stored in Parquet: {unfit}")
            rejections.append(_reject(problem, key, first + offset, lines[offset]))
    return _to_batch(partition, schema, fits), rejections


#: What `split` raises for a damaged gzip file (BadGzipFile is an OSError).
UNREADABLE: Final[tuple[type[Exception], ...]] = (EOFError, OSError, zlib.error)


def split(data: bytes) -> list[bytes]:
    """A file's lines, gzip or plain; CRs and blank lines are left to the decoders to judge
    (JSON whitespace), which is what keeps this a C-speed split rather than a loop."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    lines = data.split(b"\n")
    if b"" in lines:
        lines = [line for line in lines if line]
    return lines


def _normalised(partition: Partition, line: bytes) -> bytes:
    """A line validated and normalised like ingest does, re-encoded; RecordError if refused."""
    kind = partition.kind
    record = validate(parse_json_line(line), kind)
    actual = partition_of(kind, record)
    if actual != partition:
        raise RecordError(
            Reason.PARTITION_MISMATCH, f"belongs in {actual.prefix}, found in {partition.prefix}"
        )
    return orjson.dumps(record)


def _reject(error: RecordError, key: str, index: int, line: bytes) -> Rejection:
    message = f"{key} line {index + 1}: {error}"
    return Rejection(error.reason, message, line, index, error.field)


def _to_batch(partition: Partition, schema: pa.Schema, rows: list[Any]) -> pa.RecordBatch:
    """Column-at-a-time conversion; raises _UnfitError instead of guessing about odd rows."""
    kind = partition.kind
    arrays: list[pa.Array] = []
    for column in _COLUMNS[kind]:
        values = list(map(attrgetter(column.name), rows))
        if column.name == KEY_COLUMN[kind]:
            if values.count(partition.key) != len(values):
                raise _UnfitError(f"{column.name} differs from the partition")
            continue
        arrays.append(_array(column, values, partition))
    arrays += _hot_arrays(kind, rows)
    try:
        return pa.RecordBatch.from_arrays(arrays, schema=schema)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise _UnfitError(str(exc)) from None


def _hot_arrays(kind: Kind, rows: list[Any]) -> list[pa.Array]:
    """The kind's hot attribute columns, each row's value read from its `attributes` text."""
    hot = HOT_ATTRIBUTES[kind]
    if not hot:
        return []
    decode = _HOT_DECODERS[kind].decode
    texts = [bytes(getattr(row, HOT_SOURCE)) for row in rows]
    try:
        found = [decode(text) if text and text != b"null" else None for text in texts]
    except msgspec.MsgspecError as exc:
        raise _UnfitError(f"{HOT_SOURCE}: {exc}") from None
    return [
        pa.array(
            [None if f is None else h.python(bytes(getattr(f, h.name))) for f in found],
            ARROW_TYPES[h.type],
        )
        for h in hot
    ]


def _array(column: _Column, values: list[Any], partition: Partition) -> pa.Array:
    ftype = column.type
    try:
        if ftype in JSON_TEXT_TYPES:
            texts = [bytes(raw) for raw in values]
            return pa.array([t if t and t != b"null" else None for t in texts], pa.string())
        if ftype is FieldType.TIMESTAMP:
            return _timestamps(column.name, values, partition)
        if ftype is FieldType.NUMBER:
            return pa.array(values, pa.float64())
        array = pa.array(values, ARROW_TYPES.get(ftype, pa.string()))
        check = _CHECKS.get(column.name) or _CHECKS.get(ftype.value)
        if check is not None and not _all(check(array), array):
            raise _UnfitError(f"{column.name} needs normalising")
        return array
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
        raise _UnfitError(f"{column.name}: {exc}") from None


def _timestamps(name: str, values: list[Any], partition: Partition) -> pa.Array:
    strings = pa.array(values, pa.string())
    if not _all(pc.match_substring_regex(strings, _CANONICAL_TS), strings):
        raise _UnfitError(f"{name} is not in canonical UTC form")
    if name == "timestamp":
        expected = partition.dt if partition.hour is None else f"{partition.dt}T{partition.hour}"
        heads = pc.utf8_slice_codeunits(strings, 0, len(expected))
        if not _all(pc.equal(heads, expected), strings):
            raise _UnfitError("timestamp outside the partition")
    return strings.cast(TIMESTAMP)


def _all(mask: pa.Array, values: pa.Array) -> bool:
    """True when the mask holds wherever a value is present (nulls are checked elsewhere)."""
    return bool(pc.all(pc.or_kleene(mask, pc.is_null(values))).as_py() is not False)


#: Value checks the decoder cannot express; a failure sends the chunk to `validate`.
_CHECKS: Final[Mapping[str, Callable[[pa.Array], pa.Array]]] = {
    "level": lambda a: pc.is_in(a, value_set=_LEVELS),
    "schema_version": lambda a: pc.and_(pc.greater_equal(a, 1), pc.less_equal(a, SCHEMA_VERSION)),
    "kind": lambda a: pc.is_in(a, value_set=pa.array([k.value for k in Kind])),
    FieldType.ID.value: lambda a: pc.and_(
        pc.greater(pc.utf8_length(a), 0), pc.less_equal(pc.utf8_length(a), MAX_ID_LENGTH)
    ),
}
_PYTHON_TYPES: Final[Mapping[FieldType, Any]] = {
    FieldType.NUMBER: float,
    FieldType.INTEGER: int,
    **dict.fromkeys(JSON_TEXT_TYPES, msgspec.Raw),
}


def _row_type(kind: Kind) -> type[msgspec.Struct]:
    """A struct per kind: required fields first, optional ones nullable with a default."""
    fields: list[Any] = []
    for column in sorted(_COLUMNS[kind], key=lambda c: not c.required):
        python = _PYTHON_TYPES.get(column.type, str)
        if column.required:
            fields.append((column.name, python))
        elif python is msgspec.Raw:
            fields.append((column.name, python, msgspec.Raw()))
        else:
            fields.append((column.name, python | None, None))
    return msgspec.defstruct(
        f"{kind.value.title()}Row", fields, forbid_unknown_fields=True, gc=False
    )


_COLUMNS: Final[Mapping[Kind, tuple[_Column, ...]]] = {
    kind: (
        *(_Column(f.name, f.type, f.required) for f in fields),
        _Column(INGESTED_AT, FieldType.TIMESTAMP, False),
    )
    for kind, fields in FIELDS.items()
}
_DECODERS: Final[Mapping[Kind, msgspec.json.Decoder[Any]]] = {
    kind: msgspec.json.Decoder(_row_type(kind)) for kind in Kind
}
#: Per kind, a decoder of `attributes` that keeps the hot ones' JSON text and skips the rest.
_HOT_DECODERS: Final[Mapping[Kind, msgspec.json.Decoder[Any]]] = {
    kind: msgspec.json.Decoder(
        msgspec.defstruct(
            f"{kind.value.title()}Hot",
            [(h.name, msgspec.Raw, msgspec.Raw()) for h in HOT_ATTRIBUTES[kind]],
            gc=False,
        )
    )
    for kind in Kind
}
