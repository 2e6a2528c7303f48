"""The transform's fast path: typed decoding of lines that are already in stored form.

Most lines come from our SDK: compact orjson, every field canonical, `record_id` set. Their
stored form is the line itself with `ingested_at` appended, so parsing into a dict,
validating field by field and rendering again only proves that. Here msgspec decodes the
line into a Struct generated from `core.fields.FIELDS` (types, required and unknown fields
are checked in C), a few checks cover what a type cannot say (the schema's own checks), and
the input bytes are kept. Anything else (a value to normalise, a null, an extra field, no
`record_id`, any error) is declined and the caller runs the generic validator
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
- Each line is at least as long as its rendering, so lines whose total length equals the
  total of their renderings are each as long as theirs: one comparison covers a batch.

The work is done a column at a time (`accept_many`): at 150,000 lines a second a Python
statement per line costs a percent, so each step is one C-level call over all the lines
(`map`, one encode, one orjson read and write per free-form field), and a line that fails
a step is set aside alone while its neighbours go on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import compress, repeat
from operator import add, attrgetter, contains, eq, is_, is_not, itemgetter, le, not_
from typing import Annotated, Any, Final, Literal, NamedTuple, Union

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
from observability.core.partitioning import KEY_COLUMN, Partition, partition_of

#: A value check: whether the generic validator keeps the value as it is.
_Check = Callable[[Any], bool]
#: A check of one field's values on many lines: for each, whether it is kept as it is.
_Checks = Callable[[list[Any]], list[bool]]

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
_loads: Final = orjson.loads
_dumps: Final = orjson.dumps
_UNSET: Final = msgspec.UNSET
_timestamp: Final = attrgetter("timestamp")
_day_and_hour: Final = itemgetter(slice(0, 13))


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


def _free_many(name: str, check: Callable[[object, str], object]) -> _Checks:
    """`_free` for many values: one orjson read and one write of them all as an array.

    The values are each one JSON value, so the array's elements are they, in order; an
    array rendered back to exactly its text renders each element back to its own. Any
    doubt (a deep value, a refused one, a different rendering) asks `_free` value by value.
    """
    fits = _free(name, check)

    def all_fit(raws: list[msgspec.Raw]) -> list[bool]:
        if max(map(len, raws), default=0) >= _SURELY_SHALLOW and any(
            bytes(raw).count(b"{") + bytes(raw).count(b"[") >= MAX_DEPTH
            for raw in raws
            if len(raw) >= _SURELY_SHALLOW
        ):
            return list(map(fits, raws))
        joined = b"[" + b",".join(raws) + b"]"
        try:
            values = _loads(joined)
            same = _dumps(values) == joined and None not in values
            checked = list(map(check, values, repeat(name))) if same else []
        except (orjson.JSONDecodeError, orjson.JSONEncodeError, RecordError):
            return list(map(fits, raws))
        if not same:
            return list(map(fits, raws))
        return list(map(is_, checked, values))

    def run(values: list[Any]) -> list[bool]:
        absent = values.count(_UNSET)
        if not absent:
            return all_fit(values)
        if absent == len(values):
            return [True] * absent
        verdicts = iter(all_fit([value for value in values if value is not _UNSET]))
        return [value is _UNSET or next(verdicts) for value in values]

    return run


def _each(check: _Check) -> _Checks:
    """A value check applied to each value; a field left out passes."""

    def run(values: list[Any]) -> list[bool]:
        return [value is _UNSET or check(value) for value in values]

    return run


#: Python checks by type, beyond what the Struct's types say.
_CHECKS: Final[Mapping[FieldType, _Check]] = {
    FieldType.NAME: _is_name,
    FieldType.TIMESTAMP: is_stored_timestamp,
}


def _field(f: Field) -> tuple[tuple[str, Any] | tuple[str, Any, Any], _Checks | None]:
    """A Struct field for a spec and the Python check its values still need."""
    check: _Checks | None = None
    if f.name == "schema_version":
        ftype: Any = Annotated[int, msgspec.Meta(ge=1, le=SCHEMA_VERSION)]
    elif f.type in _TYPED:
        ftype = _TYPED[f.type]
        if f.type in _CHECKS:
            check = _each(_CHECKS[f.type])
    else:
        ftype, check = msgspec.Raw, _free_many(f.name, _CHECKERS[f.type])
    if f.required or f.name in _NEEDED:
        return (f.name, ftype), check
    return (f.name, ftype | msgspec.UnsetType, _UNSET), check


class _Shape:
    """One kind's Struct and the checks its decoded fields still need.

    Every kind has a `timestamp` and a partition key (`service`, `model`): `_judge` checks
    those two itself, and `checks` holds the others, each with the getter of its values.
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
        checks: list[tuple[attrgetter[Any], _Checks]] = []
        for spec in FIELDS[kind]:
            if spec.name == "kind":  # the Struct's tag
                continue
            field, check = _field(spec)
            fields.append(field)
            if check is not None and spec.name not in ("timestamp", self.key):
                checks.append((attrgetter(spec.name), check))
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
_STRUCTS: Final = {shape.kind: struct for struct, shape in _SHAPES.items()}
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


def kept(line: bytes, suffix: bytes) -> bytes:
    """A line the typed path accepted, in stored form: without its `}`, then `suffix`.

    `suffix` is `stamp(ingested_at)`, or that and a newline for a caller that wants the
    line ended.
    """
    return line[:-1] + suffix


class Verdicts(NamedTuple):
    """For each input line, its partition, or None where it is declined."""

    partitions: list[Partition | None]
    #: Positions of the declined lines, in order: the generic path judges them.
    declined: list[int]


def accept_many(lines: Sequence[bytes], expected_kind: Kind | None) -> Verdicts:
    """Which lines `transform_line` would accept as they are (`kept`), and their partitions;
    the others are declined, for the generic path to judge."""
    count = len(lines)
    if not count:
        return Verdicts([], [])
    live = _Live(range(count), list(lines))
    if max(map(len, lines)) > MAX_RECORD_BYTES:
        live.keep(map(le, map(len, live.lines), repeat(MAX_RECORD_BYTES)))
    # A backslash is rare; `\\u` is rarer, and only then is the two-byte search paid.
    if b"\\" in b"\n".join(lines):
        live.keep(map(not_, map(contains, live.lines, repeat(b"\\u"))))
    live.decode()
    types = list(map(type, live.records))
    if expected_kind is not None:
        wanted = _STRUCTS[expected_kind]
        if types.count(wanted) != len(types):
            live.keep(map(is_, types, repeat(wanted)))
            types = [wanted] * len(live.records)
    # The encoding of a list is its items' joined by commas, within brackets.
    if len(_encode(live.records)) != sum(map(len, live.lines)) + len(live.lines) + 1:
        live.keep(map(eq, map(len, map(_encode, live.records)), map(len, live.lines)))
        types = list(map(type, live.records))
    partitions: list[Partition | None] = [None] * count
    structs = set(types)
    for struct in structs:
        group = live if len(structs) == 1 else live.where(map(is_, types, repeat(struct)))
        found = _judge(_SHAPES[struct], group)
        if len(group.positions) == count:  # every line kept: the list is the answer
            return Verdicts(found, [])  # type: ignore[arg-type]  # no None in it
        for position, partition in zip(group.positions, found, strict=True):
            partitions[position] = partition
    return Verdicts(partitions, [i for i, found in enumerate(partitions) if found is None])


def _judge(shape: _Shape, group: _Live) -> list[Partition]:
    """Check one kind's decoded lines, keep those that pass, and give their partitions,
    made once per distinct key, day and hour."""
    timestamps = list(map(_timestamp, group.records))
    passed = list(map(is_stored_timestamp, timestamps))
    if not all(passed):
        group.keep(passed)
    get_key = attrgetter(shape.key)
    odd = {key for key in set(map(get_key, group.records)) - _known_names if not _is_name(key)}
    if odd:
        group.keep(map(not_, map(odd.__contains__, map(get_key, group.records))))
    for get, check in shape.checks:
        passed = check(list(map(get, group.records)))
        if not all(passed):
            group.keep(passed)
    if len(timestamps) != len(group.records):
        timestamps = list(map(_timestamp, group.records))
    # A timestamp's first 13 characters are its day and hour: appended to the key, they
    # name the partition (one string hashes faster than a pair).
    hours = list(map(add, map(get_key, group.records), map(_day_and_hour, timestamps)))
    made = {
        hour: partition_of(shape.kind, {"timestamp": timestamp, shape.key: hour[:-13]})
        for hour, timestamp in dict(zip(hours, timestamps, strict=False)).items()
    }
    return list(map(made.__getitem__, hours))


class _Live:
    """The lines still in the running: their positions, bytes and (once decoded) records."""

    __slots__ = ("lines", "positions", "records")

    def __init__(
        self, positions: Sequence[int], lines: list[bytes], records: list[Any] | None = None
    ) -> None:
        self.positions = positions
        self.lines = lines
        self.records: list[Any] = [] if records is None else records

    def keep(self, passed: Iterable[bool]) -> None:
        """Drop the lines whose verdict is false; the others go on, in order."""
        verdicts = list(passed)
        self.positions = list(compress(self.positions, verdicts))
        self.lines = list(compress(self.lines, verdicts))
        if self.records:
            self.records = list(compress(self.records, verdicts))

    def where(self, passed: Iterable[bool]) -> _Live:
        """The lines whose verdict is true, apart."""
        verdicts = list(passed)
        return _Live(
            list(compress(self.positions, verdicts)),
            list(compress(self.lines, verdicts)),
            list(compress(self.records, verdicts)),
        )

    def decode(self) -> None:
        """Typed records for the lines; a line msgspec refuses is dropped."""
        try:
            self.records = list(map(_decode, self.lines))
        except msgspec.MsgspecError:
            self.records = list(map(_decoded, self.lines))
            self.keep(map(is_not, self.records, repeat(None)))


def _decoded(line: bytes) -> Any:
    """The typed record of a line, or None where msgspec refuses it."""
    try:
        return _decode(line)
    except msgspec.MsgspecError:
        return None
