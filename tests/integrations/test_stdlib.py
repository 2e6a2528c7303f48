"""Tests of observability.emit.stdlib: other loggers' records as pipeline log records."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import pytest

import observability
from observability.core.schema import Kind
from observability.emit.memory import MemoryLineSink
from observability.emit.stdlib import BRIDGED, StdlibBridge, mute
from observability.transport.threads import mark_delivery_thread


@pytest.fixture
def library_logger() -> Iterator[logging.Logger]:
    """A third-party style logger at INFO that propagates to the root, reset afterwards."""
    logger = logging.getLogger("thirdparty.client")
    logger.setLevel(logging.INFO)
    yield logger
    logger.setLevel(logging.NOTSET)


def test_warning_arrives_with_logger_level_message_and_extras(
    sink: MemoryLineSink, library_logger: logging.Logger
) -> None:
    """A library's warning becomes one log record: logger, level, formatted message, extras."""
    library_logger.warning(
        "retrying %s after %d ms", "GET /orders", 250, extra={"attempt": 2, "event": "x"}
    )
    (record,) = sink.records()
    assert record["logger"] == "thirdparty.client"
    assert record["level"] == "warning"
    assert record["event"] == "retrying GET /orders after 250 ms"
    assert record["attributes"] == {"attempt": 2, "extra_event": "x"}
    assert (record["service"], record["env"], record["host"]) == ("svc", "test", "h")


def test_exception_arrives_with_structured_frames(
    sink: MemoryLineSink, library_logger: logging.Logger
) -> None:
    """`logger.exception` becomes an error record with the exception's type, message, frames."""

    def fail() -> None:
        raise ConnectionError("pool exhausted")

    try:
        fail()
    except ConnectionError:
        library_logger.exception("request failed")
    (record,) = sink.records()
    assert (record["level"], record["event"]) == ("error", "request failed")
    exception = record["exception"]
    assert (exception["type"], exception["message"]) == ("ConnectionError", "pool exhausted")
    assert [frame["name"] for frame in exception["frames"]][-1] == "fail"
    assert "attributes" not in record


def test_ids_from_extra_and_context_become_top_level(
    sink: MemoryLineSink, library_logger: logging.Logger
) -> None:
    """Bound ids reach bridged records; a `request_id` passed in `extra` is a top-level id."""
    with observability.bound_context(trace_id="t-1"):
        library_logger.warning("inside", extra={"request_id": "req-9"})
    (record,) = sink.records()
    assert (record["trace_id"], record["request_id"]) == ("t-1", "req-9")


def test_host_handlers_stay_and_each_record_is_bridged_once(
    sink: MemoryLineSink, library_logger: logging.Logger
) -> None:
    """The host's own handler still gets the record; two of our handlers on its path give one
    line, not two."""
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    quiet = logging.getLogger("thirdparty.quiet")
    quiet.propagate = False  # like uvicorn's loggers: configure() attaches to it directly
    host_handler = Keep()
    quiet.addHandler(host_handler)
    try:
        observability.configure(service="svc", env="test", sink=sink, environ={})
        quiet.propagate = True  # now the record also reaches the root's bridge
        quiet.warning("once")
    finally:
        quiet.removeHandler(host_handler)
        quiet.propagate = True
    assert [r["event"] for r in sink.records()] == ["once"]
    assert [r.getMessage() for r in seen] == ["once"]
    assert getattr(seen[0], BRIDGED) is True


def test_uvicorn_access_line_becomes_fields(sink: MemoryLineSink) -> None:
    """uvicorn's access call (its exact format and arguments) gives method, path, status,
    client and HTTP version as attributes."""
    access = logging.getLogger("uvicorn.access")
    access.setLevel(logging.INFO)
    try:
        access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:51000", "GET", "/items?x=1", "1.1", 200)
    finally:
        access.setLevel(logging.NOTSET)
    (record,) = sink.records()
    assert (record["logger"], record["level"], record["event"]) == (
        "uvicorn.access",
        "info",
        "GET /items?x=1 200",
    )
    assert record["attributes"] == {
        "client": "127.0.0.1:51000",
        "method": "GET",
        "path": "/items?x=1",
        "http_version": "1.1",
        "status": 200,
    }


def test_muted_logger_is_not_bridged(sink: MemoryLineSink, library_logger: logging.Logger) -> None:
    """A muted logger's records stay out; other loggers still come in."""
    mute("thirdparty.client")
    try:
        library_logger.warning("muted")
        logging.getLogger("thirdparty.other").warning("kept")
    finally:
        from observability.emit.stdlib import unmute

        unmute("thirdparty.client")
    assert [r["event"] for r in sink.records()] == ["kept"]


def test_records_of_a_delivery_thread_are_not_bridged(sink: MemoryLineSink) -> None:
    """What a sink's worker thread logs (httpx, botocore) never becomes a line."""

    def worker() -> None:
        mark_delivery_thread()
        logging.getLogger("httpx").warning("HTTP Request: POST /api/v1/ingest/logs 503")

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    logging.getLogger("httpx").warning("from the application")
    assert [r["event"] for r in sink.records()] == ["from the application"]


def test_a_sink_that_logs_does_not_recurse() -> None:
    """A record logged while the bridge is handling one (here, by the sink) is not bridged
    again: one line, no recursion."""

    class LoggingSink(MemoryLineSink):
        def submit(self, kind: Kind, group: str, line: bytes) -> None:
            logging.getLogger("sink.internal").warning("submitting")
            super().submit(kind, group, line)

    sink = LoggingSink()
    observability.configure(service="svc", env="test", sink=sink, environ={})
    logging.getLogger("thirdparty").warning("outer")
    assert [r["event"] for r in sink.records()] == ["outer"]


def test_levels_follow_the_sdk_level_and_round_custom_levels_down(
    library_logger: logging.Logger,
) -> None:
    """Records below the SDK's level are not bridged; a custom level maps to the level below."""
    sink = MemoryLineSink()
    observability.configure(service="svc", env="test", sink=sink, level="warning", environ={})
    library_logger.info("below")
    library_logger.log(35, "custom")
    library_logger.critical("top")
    assert [(r["level"], r["event"]) for r in sink.records()] == [
        ("warning", "custom"),
        ("critical", "top"),
    ]


def test_a_bad_format_keeps_the_record() -> None:
    """Arguments that do not fit the format still give a record with the message and args."""
    alone = logging.getLogger("thirdparty.badformat")
    alone.propagate = False  # away from pytest's capture handler, which raises on it
    try:
        sink = MemoryLineSink()
        observability.configure(service="svc", env="test", sink=sink, environ={})
        alone.warning("%d items", "many")
    finally:
        alone.propagate = True
    (record,) = sink.records()
    assert record["event"] == "%d items ('many',)"


def test_capture_off_reconfigure_and_shutdown_leave_no_handler() -> None:
    """capture_stdlib=False bridges nothing; reconfiguring keeps one bridge; shutdown removes it."""
    root = logging.getLogger()

    def bridges() -> int:
        return sum(isinstance(h, StdlibBridge) for h in root.handlers)

    sink = MemoryLineSink()
    observability.configure(service="svc", env="t", sink=sink, capture_stdlib=False, environ={})
    logging.getLogger("thirdparty").warning("not captured")
    assert sink.records() == [] and bridges() == 0
    observability.configure(service="svc", env="t", sink=sink, environ={})
    observability.configure(service="svc", env="t", sink=sink, environ={})
    assert bridges() == 1
    observability.shutdown()
    assert bridges() == 0
