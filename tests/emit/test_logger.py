"""Tests of observability.emit.logger."""

from __future__ import annotations

from typing import Any

import structlog
from structlog.testing import capture_logs

from observability.core.schema import Kind
from observability.emit.logger import SinkLogger, SinkLoggerFactory, make_wrapper_class
from observability.emit.memory import MemoryLineSink


def _render(logger: object, method_name: str, event_dict: dict[str, object]) -> object:
    return (f"{method_name}|g", repr(sorted(event_dict.items())).encode()), {}


def test_sink_logger_submits_every_level_as_log_lines() -> None:
    """Each level method of SinkLogger submits (kind=log, group, line) to the sink."""
    sink = MemoryLineSink()
    logger = SinkLoggerFactory(sink)("name")
    assert isinstance(logger, SinkLogger) and logger.name == "name"
    for method in ("debug", "info", "msg", "warning", "error", "critical"):
        getattr(logger, method)(method, b"line")
    assert [(kind, group) for kind, group, _ in sink.lines] == [
        (Kind.LOG, m) for m in ("debug", "info", "msg", "warning", "error", "critical")
    ]


def test_wrapper_merges_bound_context_and_filters_by_level() -> None:
    """Bound values and call keywords reach the processors; calls below the level do not."""
    sink = MemoryLineSink()
    cls: Any = make_wrapper_class("warning")
    log = cls(SinkLogger(sink), processors=[_render], context={"bound": 1})
    log.info("dropped", a=1)
    log.warning("kept %s", "x", a=2)
    log.bind(b=3).error("also", a=4)
    assert [(group, line) for _, group, line in sink.lines] == [
        ("warning|g", b"[('a', 2), ('bound', 1), ('event', 'kept x')]"),
        ("error|g", b"[('a', 4), ('b', 3), ('bound', 1), ('event', 'also')]"),
    ]


def test_wrapper_honours_drop_event_and_other_return_types() -> None:
    """DropEvent stops a call quietly; str and dict results reach the logger as structlog does."""
    received: list[tuple[tuple[object, ...], dict[str, object]]] = []

    class Recorder:
        def info(self, *args: object, **kwargs: object) -> None:
            received.append((args, kwargs))

    def drop(logger: object, method_name: str, event_dict: dict[str, object]) -> object:
        raise structlog.DropEvent

    cls: Any = make_wrapper_class("info")
    cls(Recorder(), processors=[drop], context={}).info("x")
    cls(Recorder(), processors=[lambda *_: "text"], context={}).info("x")
    cls(Recorder(), processors=[lambda *_: {"k": 1}], context={}).info("x")
    assert received == [(("text",), {}), ((), {"k": 1})]


def test_capture_logs_sees_the_call() -> None:
    """structlog.testing.capture_logs works with the SDK's wrapper class."""
    structlog.configure(wrapper_class=make_wrapper_class("info"))
    with capture_logs() as captured:
        structlog.get_logger().info("hello", n=1)
    assert captured == [{"event": "hello", "n": 1, "log_level": "info"}]


def test_level_methods_aliases_and_interpolation_reach_the_processors() -> None:
    """Every enabled level method and alias passes its level name, `%` arguments are
    applied as structlog applies them, `exception` adds exc_info, and the caller's
    keyword dict is never changed."""
    seen: list[tuple[str, dict[str, object]]] = []

    def record(logger: object, method_name: str, event_dict: dict[str, object]) -> object:
        seen.append((method_name, dict(event_dict)))
        raise structlog.DropEvent

    cls: Any = make_wrapper_class("debug")
    log = cls(SinkLogger(MemoryLineSink()), processors=[record], context={})
    fields = {"k": 1}
    log.debug("d", **fields)
    log.msg("m")
    log.warn("w %d", 3)
    log.fatal("f %(x)s", {"x": "y"})
    log.exception("e")
    log.log(20, "l %s", "z")
    assert seen == [
        ("debug", {"event": "d", "k": 1}),
        ("info", {"event": "m"}),
        ("warning", {"event": "w 3"}),
        ("critical", {"event": "f y"}),
        ("error", {"event": "e", "exc_info": True}),
        ("info", {"event": "l z"}),
    ]
    assert fields == {"k": 1}
