"""Field checks and parsing: each names the field and the problem when a value is refused.

The generated per-kind validators in `core/schema.py` inline the cheap success paths and
call these only when a value needs normalising or is about to be refused.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final, cast

import orjson

from observability.core.errors import Reason, RecordError
from observability.core.fields import (
    INGESTED_AT,
    MAX_ID_LENGTH,
    MAX_RECORD_BYTES,
    FieldType,
)

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


def utc_now_iso() -> str:
    """The current time in the canonical record form."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond:06d}Z"
