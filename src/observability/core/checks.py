"""Field checks and parsing: each names the field and the problem when a value is refused.

The generated per-kind validators in `core/schema.py` inline the cheap success paths and
call these only when a value needs normalising or is about to be refused.

Every way a line can fail ends here as a `RecordError` with its reason, so one bad record
is refused on its own and never takes its batch with it.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Final, cast

import orjson

from observability.core.errors import Reason, RecordError
from observability.core.fields import (
    INGESTED_AT,
    MAX_DEPTH,
    MAX_ID_LENGTH,
    MAX_RECORD_BYTES,
    FieldType,
)
from observability.core.times import EARLIEST, LATEST

_NAME_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
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


def is_name(text: str) -> bool:
    """Whether `text` may be a partition value (a service, model or job name)."""
    return _NAME_RE.fullmatch(text) is not None


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


def canonical_timestamp(moment: datetime) -> str:
    """An aware datetime as record text: `YYYY-MM-DDTHH:MM:SS.ffffffZ` in UTC."""
    # isoformat pads the year to four digits; strftime's %Y does not on every platform.
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    return naive.isoformat(timespec="microseconds") + "Z"


#: The accepted range as canonical text. The form is fixed-width ASCII, so for canonical
#: text, text order is time order: the generated validators compare strings.
EARLIEST_TEXT: Final = canonical_timestamp(EARLIEST)
LATEST_TEXT: Final = canonical_timestamp(LATEST)
_fromiso: Final = datetime.fromisoformat


def is_stored_timestamp(value: str) -> bool:
    """Whether `value` is already in stored form, which `normalize_timestamp` would keep.

    Canonical `YYYY-MM-DDTHH:MM:SS.ffffffZ` in range (what the SDK writes), once
    fromisoformat finds it on the calendar. The shape test pins every separator: with them
    and the length fixed, fromisoformat reads only that form (a week date such as
    `2026-W47-1T...` has a digit at 7), and text order is time order for the range.
    """
    if not (
        len(value) == 27
        and value[26] == "Z"
        and value[4:20:3] == "--T::."
        and EARLIEST_TEXT <= value < LATEST_TEXT
    ):
        return False
    try:
        _fromiso(value)
    except ValueError:
        return False
    return True


_EARLIEST_NAIVE: Final = EARLIEST.replace(tzinfo=None)
_LATEST_NAIVE: Final = LATEST.replace(tzinfo=None)
_DAY: Final = timedelta(days=1)

#: RFC 3339 `date-time` (seconds required, any fraction digits, `Z` or a numeric offset),
#: with its note's tolerances (`t`, `z`, a space for `T`) and two common variants: a
#: comma before the fraction and an offset without its colon. The zone is optional here
#: only so that a missing one can be named.
_RFC3339: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?",
    re.ASCII,
)


def normalize_timestamp(value: object, name: str = "timestamp") -> str:
    """RFC 3339 with a zone -> `YYYY-MM-DDTHH:MM:SS.ffffffZ` in UTC, within [EARLIEST, LATEST).

    One canonical text per instant, so the partition (sliced from the text) and every
    query agree; extra fraction digits are truncated to microseconds.
    """
    if type(value) is not str:
        raise _fail(
            Reason.WRONG_TYPE, name, f"expected an RFC 3339 string, got {_type_name(value)}"
        )
    match = _RFC3339.fullmatch(value)
    if match is None:
        raise _fail(
            Reason.INVALID_VALUE,
            name,
            f"not an RFC 3339 timestamp (YYYY-MM-DDTHH:MM:SS[.f]Z or ±HH:MM): {value!r:.60}",
        )
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    if zulu is None and sign is None:
        raise _fail(Reason.NAIVE_TIMESTAMP, name, f"timestamp has no time zone: {value!r:.60}")
    offset = 0
    if sign is not None:
        if int(off_h) > 23 or int(off_m) > 59:
            raise _fail(Reason.INVALID_VALUE, name, f"not a valid UTC offset: {value!r:.60}")
        offset = (int(off_h) * 60 + int(off_m)) * (-1 if sign == "-" else 1)
    micros = int(fraction[:6].ljust(6, "0")) if fraction else 0
    try:
        local = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micros
        )
    except ValueError:
        raise _fail(
            Reason.INVALID_VALUE, name, f"not a calendar date or time: {value!r:.60}"
        ) from None
    # An offset is under a day: checking the local time first keeps the subtraction on
    # the calendar (year 1 and 9999 with an offset would overflow).
    utc = local
    if _EARLIEST_NAIVE - _DAY <= local < _LATEST_NAIVE + _DAY:
        utc = local - timedelta(minutes=offset)
    if not _EARLIEST_NAIVE <= utc < _LATEST_NAIVE:
        raise _fail(
            Reason.INVALID_VALUE,
            name,
            f"{value!r:.60} is outside [{EARLIEST_TEXT[:10]}, {LATEST_TEXT[:10]}) in UTC",
        )
    return utc.isoformat(timespec="microseconds") + "Z"


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
        raise classify_json_error(line, exc) from None
    if type(obj) is not dict:
        raise RecordError(Reason.NOT_AN_OBJECT, f"expected a JSON object, got {_type_name(obj)}")
    return obj


class _NonFiniteError(ValueError):
    """The stdlib parser met NaN, Infinity or -Infinity outside a string."""


def _refuse_constant(name: str) -> object:
    raise _NonFiniteError(name)


def classify_json_error(line: bytes, exc: orjson.JSONDecodeError) -> RecordError:
    """Why orjson refused `line`, as precisely as can be told (else `malformed_json`)."""
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as bad:
        return RecordError(Reason.INVALID_UTF8, f"invalid UTF-8 at byte {bad.start}")
    text = str(exc)
    if "depth limit" in text:
        return RecordError(Reason.TOO_DEEP, f"nested deeper than {MAX_DEPTH} levels")
    if _NON_FINITE_RE.search(line):  # a cheap hint; the stdlib parser, which reads them, tells
        try:
            json.loads(line, parse_constant=_refuse_constant)
        except _NonFiniteError:
            return RecordError(
                Reason.NON_FINITE_NUMBER, "NaN and Infinity are not valid JSON numbers"
            )
        except (ValueError, RecursionError):
            pass
    if "is infinity" in text:
        return RecordError(Reason.NON_FINITE_NUMBER, f"a number too large for a double: {exc}")
    if "surrogate" in text:
        return RecordError(
            Reason.INVALID_UTF8, f"a \\u escape names a lone surrogate, not Unicode: {exc}"
        )
    return RecordError(Reason.MALFORMED_JSON, f"malformed JSON: {exc}")


def depth_of(value: object) -> int:
    """Nesting of objects and arrays in `value` (a scalar is 0); iterative, for any depth."""
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if type(item) is dict:
            children: Iterable[object] = item.values()
        elif type(item) is list:
            children = item
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest


def unencodable(record: Mapping[str, Any], error: Exception) -> RecordError:
    """The refusal for a record orjson read but will not write: nesting past MAX_DEPTH."""
    if "ecursion" not in str(error):  # orjson: "Recursion limit reached"
        return RecordError(Reason.INVALID_VALUE, f"record cannot be encoded: {error}")
    deep = next((k for k, v in record.items() if 1 + depth_of(v) > MAX_DEPTH), None)
    return RecordError(Reason.TOO_DEEP, f"nested deeper than {MAX_DEPTH} levels", deep)


def content_id(record: Mapping[str, Any]) -> str:
    """A deterministic id from content, so a re-delivered record keeps the same id."""
    body = {k: v for k, v in record.items() if k not in ("record_id", INGESTED_AT)}
    try:
        encoded = orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError as error:  # nesting orjson reads but will not write
        raise unencodable(body, error) from None
    return hashlib.blake2b(encoded, digest_size=16).hexdigest()


def utc_now_iso() -> str:
    """The current time in the canonical record form."""
    return canonical_timestamp(datetime.now(UTC))
