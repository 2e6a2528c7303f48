"""CloudWatch Logs subscription records, decoded into log record lines for the transform.

A subscription filter with a Firehose destination delivers gzip-compressed JSON: one
log group's `DATA_MESSAGE` with `logEvents`, or a `CONTROL_MESSAGE` (a reachability
check Firehose expects to be dropped). Each log event becomes one log record line, which
the transform then validates and partitions like any other line:

- a JSON message in our schema (the SDK's stdout sink in a Lambda) is taken as it is;
- a JSON message of the common Lambda / Powertools shape (`message`, an upper-case
  `level`, an ISO or epoch-millisecond `timestamp`, `logger`, request and X-Ray ids,
  Powertools' `exception` and `exception_name`) is mapped field by field, the rest kept
  as attributes;
- anything else is plain text, kept as `event`, with level `info` unless it starts with
  a level word (`ERROR`, `[WARN]`, `CRITICAL:` ...).

Every record gets the log group and stream as attributes, `service` from the log-group
mapping (`OBSERVABILITY_CLOUDWATCH_SERVICES`: `group=service` pairs, a trailing `*`
matching a prefix; default the group's last path segment), `env` from
`OBSERVABILITY_CLOUDWATCH_ENV` (default `OBSERVABILITY_ENV`), and the event's id as
`record_id`, so a re-delivered event keeps its id. Decompression is bounded: the output
stops at `MAX_DECOMPRESSED_BYTES` (over it, the record is refused `too_large`).
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import orjson

from observability.core.checks import canonical_timestamp, normalize_timestamp
from observability.core.errors import Reason, RecordError, SettingsError
from observability.core.schema import Kind
from observability.core.settings import Settings

#: The first bytes of every gzip stream.
GZIP_MAGIC: Final = b"\x1f\x8b"
#: A subscription record's JSON, decompressed, at most (CloudWatch sends about 1 MB of
#: events per message; logs compress several times, so this leaves a wide margin).
MAX_DECOMPRESSED_BYTES: Final = 16 * 1024 * 1024
DATA_MESSAGE: Final = "DATA_MESSAGE"
CONTROL_MESSAGE: Final = "CONTROL_MESSAGE"

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_GZIP_WBITS: Final = 16 + zlib.MAX_WBITS
#: Upper-case level words (and Lambda's own) -> the schema's levels.
LEVEL_WORDS: Final = {
    "TRACE": "debug",
    "DEBUG": "debug",
    "INFO": "info",
    "NOTICE": "info",
    "WARN": "warning",
    "WARNING": "warning",
    "ERROR": "error",
    "CRITICAL": "critical",
    "FATAL": "critical",
}
_LEADING_LEVEL: Final = re.compile(r"\[?([A-Z]+)\]?(?::|\s|$)")
#: JSON keys lifted to the record's own fields, first present wins.
_LIFTED: Final = {
    "logger": ("logger", "logger_name", "name"),
    "request_id": ("request_id", "requestId", "function_request_id", "aws_request_id"),
    "trace_id": ("trace_id", "xray_trace_id", "traceId"),
    "span_id": ("span_id", "spanId"),
}
_CONSUMED: Final = frozenset(
    {"message", "level", "timestamp", "exception", "exception_name"}.union(*_LIFTED.values())
)


@dataclass(frozen=True, slots=True)
class LogGroupMapping:
    """Which service a log group's events belong to, and the env they carry."""

    #: `(pattern, service)`, tried in order; a pattern ending in `*` matches a prefix.
    services: tuple[tuple[str, str], ...] = ()
    env: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> LogGroupMapping:
        """From `OBSERVABILITY_CLOUDWATCH_SERVICES` and `_ENV`; SettingsError names a bad pair."""
        pairs = []
        for item in settings.cloudwatch_services:
            pattern, equals, service = item.partition("=")
            if not equals or not pattern.strip() or not service.strip():
                raise SettingsError(
                    f"OBSERVABILITY_CLOUDWATCH_SERVICES: {item!r} is not log-group=service"
                )
            pairs.append((pattern.strip(), service.strip()))
        return cls(tuple(pairs), settings.cloudwatch_env or settings.env)

    def service(self, log_group: str) -> str:
        """The service of a log group: the first matching pattern's, else its last segment."""
        for pattern, service in self.services:
            if pattern.endswith("*"):
                if log_group.startswith(pattern[:-1]):
                    return service
            elif log_group == pattern:
                return service
        return log_group.rstrip("/").rpartition("/")[2]


def is_subscription_record(payload: bytes) -> bool:
    """Whether a Firehose record's data is gzip (our own producers never compress)."""
    return payload[:2] == GZIP_MAGIC


def decode(payload: bytes, mapping: LogGroupMapping) -> list[bytes] | None:
    """The log record lines of a subscription record; None for a control message.

    Raises RecordError for data that is not a subscription message (bad gzip, too large,
    not JSON, not the message shape): the whole record is refused with that reason.
    """
    lines: list[bytes] = []
    control = False
    for message in _messages(_gunzip(payload)):
        kind = message.get("messageType")
        if kind == CONTROL_MESSAGE:
            control = True
            continue
        if kind != DATA_MESSAGE:
            raise RecordError(
                Reason.INVALID_VALUE, f"unknown messageType {kind!r:.40}", "messageType"
            )
        lines += _data_lines(message, mapping)
    return None if control and not lines else lines


def _gunzip(payload: bytes) -> bytes:
    """All gzip members of `payload`, decompressed, never more than the bound."""
    out: list[bytes] = []
    size = 0
    rest = payload
    while rest:
        inflater = zlib.decompressobj(_GZIP_WBITS)
        try:
            chunk = inflater.decompress(rest, MAX_DECOMPRESSED_BYTES - size + 1)
        except zlib.error as exc:
            raise RecordError(Reason.BAD_ENCODING, f"not gzip data: {exc}", "data") from None
        size += len(chunk)
        if size > MAX_DECOMPRESSED_BYTES or inflater.unconsumed_tail:
            raise RecordError(
                Reason.TOO_LARGE, f"over {MAX_DECOMPRESSED_BYTES} bytes decompressed", "data"
            )
        if not inflater.eof:
            raise RecordError(Reason.BAD_ENCODING, "truncated gzip data", "data")
        out.append(chunk)
        rest = inflater.unused_data
    return b"".join(out)


def _messages(text: bytes) -> list[dict[str, Any]]:
    """The JSON objects of the decompressed data (one, or several back to back)."""
    try:
        single = orjson.loads(text)
    except orjson.JSONDecodeError:
        single = None
    else:
        if isinstance(single, dict):
            return [single]
    try:
        decoded = text.decode("utf-8")
        decoder, at, found = json.JSONDecoder(), 0, []
        while at < len(decoded):
            value, at = decoder.raw_decode(decoded, at)
            found.append(value)
            while at < len(decoded) and decoded[at].isspace():
                at += 1
    except (UnicodeDecodeError, ValueError):
        raise RecordError(Reason.MALFORMED_JSON, "not a subscription message (JSON)") from None
    if not found or not all(isinstance(value, dict) for value in found):
        raise RecordError(Reason.WRONG_TYPE, "a subscription message is a JSON object")
    return found


def _data_lines(message: Mapping[str, Any], mapping: LogGroupMapping) -> list[bytes]:
    group, stream, events = (
        message.get("logGroup"),
        message.get("logStream"),
        message.get("logEvents"),
    )
    if type(group) is not str or type(stream) is not str or type(events) is not list:
        raise RecordError(
            Reason.MISSING_FIELD, "a DATA_MESSAGE needs logGroup, logStream and logEvents"
        )
    context = {"log_group": group, "log_stream": stream}
    service = mapping.service(group)
    return [
        orjson.dumps(event_record(event, context, service, mapping.env), default=str)
        for event in events
    ]


def event_record(
    event: object, context: Mapping[str, str], service: str, env: str | None
) -> dict[str, Any]:
    """One log event as a record (for the transform to validate and normalise)."""
    if not isinstance(event, dict):
        return {"kind": Kind.LOG.value, "event": event}  # refused by validation, with a reason
    text = event.get("message")
    text = text.rstrip("\r\n") if type(text) is str else text
    parsed = _json_object(text) if type(text) is str else None
    if parsed is not None and "schema_version" in parsed and "kind" in parsed:
        return parsed  # already one of our records
    record: dict[str, Any] = {
        "kind": Kind.LOG.value,
        "timestamp": _epoch_ms(event.get("timestamp")),
        "service": service,
    }
    if type(event.get("id")) is str:
        record["record_id"] = event["id"]
    if env is not None:
        record["env"] = env
    attributes = dict(context)
    if parsed is not None and ("message" in parsed or "level" in parsed):
        _structured(parsed, record, attributes)
    else:
        record["level"] = _leading_level(text) if type(text) is str else "info"
        record["event"] = text
    record["attributes"] = attributes
    return record


def _structured(parsed: dict[str, Any], record: dict[str, Any], attributes: dict[str, Any]) -> None:
    """The Lambda / Powertools JSON shape onto the record's fields."""
    message = parsed.get("message")
    record["event"] = message if type(message) is str else orjson.dumps(message).decode()
    level = parsed.get("level")
    record["level"] = LEVEL_WORDS.get(level.upper(), "info") if type(level) is str else "info"
    stamp = _timestamp(parsed.get("timestamp"))
    if stamp is not None:
        record["timestamp"] = stamp
    elif "timestamp" in parsed:
        attributes["original_timestamp"] = parsed["timestamp"]
    for field, names in _LIFTED.items():
        value = next((parsed[n] for n in names if parsed.get(n) is not None), None)
        if value is not None:
            record[field] = value if type(value) is str else str(value)
    exception = parsed.get("exception")
    if exception is not None:
        name = parsed.get("exception_name")
        record["exception"] = {
            "type": name if type(name) is str else None,
            "message": exception if type(exception) is str else str(exception),
            "frames": [],
        }
    for key, value in parsed.items():
        if key not in _CONSUMED:
            attributes[key] = value


def _json_object(text: str) -> dict[str, Any] | None:
    if not text.startswith("{"):
        return None
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _leading_level(text: str) -> str:
    """`ERROR ...`, `[WARN] ...`, `CRITICAL: ...` -> that level; anything else `info`."""
    match = _LEADING_LEVEL.match(text)
    return LEVEL_WORDS.get(match.group(1), "info") if match else "info"


def _epoch_ms(value: object) -> object:
    """A CloudWatch event time (epoch milliseconds) as canonical text; else as it was (the
    transform then refuses it with a reason)."""
    if type(value) is not int:
        return value
    try:
        return canonical_timestamp(_EPOCH + timedelta(milliseconds=value))
    except OverflowError:
        return value


def _timestamp(value: object) -> str | None:
    """An ISO or epoch-millisecond timestamp as canonical text; None when it is neither."""
    if type(value) is int:
        converted = _epoch_ms(value)
        return converted if type(converted) is str else None
    if type(value) is str:
        try:
            return normalize_timestamp(value)
        except RecordError:
            return None
    return None
