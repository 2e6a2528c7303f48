"""Shape a structlog event dict into a schema `log` record.

The schema's fields go at the top level, everything else the caller passed goes under
`attributes`: a keyword argument can never shadow `service` or `timestamp`, and extra
fields never widen the tables.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any, Final

import orjson
from structlog.typing import EventDict, WrappedLogger

from observability.core.schema import SCHEMA_VERSION, Kind
from observability.emit.clock import utc_timestamp
from observability.emit.context import get_ids
from observability.emit.ids import next_record_id
from observability.emit.otel import MODULE as OTEL_MODULE
from observability.emit.otel import span_ids

#: Keys of the event dict that become top-level fields when present. Precedence: an id
#: passed to the call (or bound to the logger), then the active OpenTelemetry span's, then
#: the ids bound in the context (`bound_context`, the web middlewares).
ID_FIELDS: Final = ("trace_id", "span_id", "request_id")
_LEVELS: Final = {
    "debug": "debug",
    "info": "info",
    "warning": "warning",
    "warn": "warning",
    "error": "error",
    "exception": "error",
    "critical": "critical",
    "fatal": "critical",
}
_modules: Final = sys.modules


def static_fields(service: str, env: str, host: str | None, version: str | None) -> dict[str, str]:
    """The fields every log record of this process carries (None ones left out)."""
    fields = {"service": service, "env": env, "host": host, "version": version}
    return {name: value for name, value in fields.items() if value is not None}


def _template(static: Mapping[str, str]) -> dict[str, Any]:
    """Every fixed field of a `log` record in its place, the event last (values blank)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": Kind.LOG.value,
        "record_id": "",
        "timestamp": "",
        "level": "",
        **static,
        "event": "",
    }


def make_record_start(
    static: Mapping[str, str],
) -> Callable[[str | None, str, str], dict[str, Any]]:
    """`start(logger_name, method_name, event)`: a `log` record with every field but the
    caller's own: the fixed ones, its id, time, level and event, the logger's name, the
    ids bound in the context and the active span's.

    Each record starts as a copy of a template holding every fixed field in its place
    (one C-level copy), then gets its per-call values. The chain's builder starts here;
    the log call's fast path starts at `make_line_start`, which places fields alike.
    """
    template = _template(static)
    levels = _LEVELS

    def start(name: str | None, method_name: str, event: str) -> dict[str, Any]:
        """The record so far; the caller adds lifted ids, an exception, attributes."""
        record = template.copy()
        record["record_id"] = next_record_id()
        record["timestamp"] = utc_timestamp()
        record["level"] = levels.get(method_name, "info")
        record["event"] = event
        return _add_context(record, name)

    return start


def make_line_start(
    static: Mapping[str, str],
) -> Callable[[str | None, str, str], tuple[str, str, dict[str, Any]]] | None:
    """`start(logger_name, method_name, event) -> (timestamp, head, rest)`: the record of
    `make_record_start`, in two parts, for the log call's fast path (`pipeline`).

    `head` is the text of its fixed fields up to the event, `{...,`, as orjson renders
    them; `rest` holds the event and what follows it, in the same order. Rendering
    `rest` and putting `head` in place of its `{` gives the line of the whole record:
    the fixed fields are rendered once, here, not on every call, and the caller's part
    comes out alone, for redaction's pre-check. The id, time and level put into `head`
    are ASCII needing no JSON escape. None when the fixed fields cannot be rendered so
    (orjson refuses one of `static`'s strings): then every call runs the chain.
    """
    fixed = _template(static)
    del fixed["event"]
    fixed.update(dict.fromkeys(("record_id", "timestamp", "level"), "\x00"))
    try:
        text = orjson.dumps(fixed).decode("utf-8")
    except orjson.JSONEncodeError:
        return None
    # The three marks come first: every static field follows them.
    before_id, before_time, before_level, after_level = text[:-1].split('"\\u0000"', 3)
    before_id, before_time = f'{before_id}"', f'"{before_time}"'
    # The text from the end of the time to the event, by level method.
    after_time = {
        method: f'"{before_level}"{level}"{after_level},' for method, level in _LEVELS.items()
    }
    after_time_info = after_time["info"]

    def start(name: str | None, method_name: str, event: str) -> tuple[str, str, dict[str, Any]]:
        """The record's time, its head and the rest so far; the caller adds attributes."""
        timestamp = utc_timestamp()
        head = (
            f"{before_id}{next_record_id()}{before_time}{timestamp}"
            f"{after_time.get(method_name, after_time_info)}"
        )
        return timestamp, head, _add_context({"event": event}, name)

    return start


def _add_context(record: dict[str, Any], name: str | None) -> dict[str, Any]:
    """Add the logger's name, the ids bound in the context and the active span's."""
    if name is not None:
        record["logger"] = name
    ids = get_ids()
    if ids:
        record.update(ids)
    if _modules.get(OTEL_MODULE) is not None:  # `span_ids`' own test, without its frame
        span = span_ids()
        if span is not None:
            record["trace_id"], record["span_id"] = span
    return record


def make_record_builder(
    static: Mapping[str, str],
) -> Callable[[WrappedLogger, str, EventDict], EventDict]:
    """A processor that builds the `log` record around the remaining event dict."""
    start = make_record_start(static)

    def build_record(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
        """Lift schema fields to the top level and put every other key under attributes."""
        event = event_dict.pop("event", "")
        record = start(
            getattr(logger, "name", None), method_name, event if type(event) is str else str(event)
        )
        if "trace_id" in event_dict or "span_id" in event_dict or "request_id" in event_dict:
            _lift_ids(event_dict, record)
        if "exc_info" in event_dict:
            record["exception"] = event_dict.pop("exc_info")
        if event_dict:
            record["attributes"] = event_dict
        return record

    return build_record


def _lift_ids(event_dict: EventDict, record: dict[str, Any]) -> None:
    for name in ID_FIELDS:
        value = event_dict.pop(name, None)
        if value is not None:
            record[name] = value if type(value) is str else str(value)
