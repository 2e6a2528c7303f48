"""The end of the chain: a bound-logger class and the "logger" that hands lines to a sink.

The last processor returns `((group, line), {})`; each level method of `SinkLogger` is a
`functools.partial` of the sink's `submit`, so delivering a line adds no Python frame.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Final

import structlog
from structlog.typing import FilteringBoundLogger, Processor

from observability.core.schema import Kind
from observability.emit.context import get_attributes
from observability.transport.base import LineSink

if TYPE_CHECKING:
    from observability.emit.pipeline import LogPipeline


class SinkLogger:
    """Submits `log` lines to a sink; `name` becomes the records' `logger` field."""

    __slots__ = ("critical", "debug", "error", "info", "msg", "name", "sink", "warning")

    def __init__(self, sink: LineSink, name: str | None = None) -> None:
        self.sink = sink
        self.name = name
        submit = functools.partial(sink.submit, Kind.LOG)
        self.debug = self.info = self.msg = submit
        self.warning = self.error = self.critical = submit


class SinkLoggerFactory:
    """structlog's `logger_factory`: `get_logger(name)` -> `SinkLogger(sink, name)`."""

    def __init__(self, sink: LineSink) -> None:
        self.sink = sink

    def __call__(self, *args: object) -> SinkLogger:
        name = args[0] if args else None
        return SinkLogger(self.sink, None if name is None else str(name))


def _run(self: Any, method_name: str, event: Any, event_kw: dict[str, Any]) -> Any:
    """structlog's `_proxy_to_logger`, less two dict copies: `event_kw` is a fresh dict.

    Attributes bound for the context (`context.bind_attributes`) come first, so the
    call's own keywords win and redaction sees them like any field.
    """
    context = self._context
    event_dict: Any = {**context, **event_kw} if context else event_kw
    bound = get_attributes()
    if bound:
        event_dict = {**bound, **event_dict}
    if event is not None:
        event_dict["event"] = event
    return run_chain(self._processors, self._logger, method_name, event_dict)


def run_chain(
    processors: Iterable[Processor], logger: Any, method_name: str, event_dict: Any
) -> Any:
    """Run the processors on `event_dict` and hand the result to the logger, as structlog
    does: a tuple is `(args, kwargs)`, text is one argument, a dict the keywords."""
    try:
        for processor in processors:
            event_dict = processor(logger, method_name, event_dict)
    except structlog.DropEvent:
        return None
    if type(event_dict) is tuple:
        args, kwargs = event_dict
    elif isinstance(event_dict, str | bytes | bytearray):
        args, kwargs = (event_dict,), {}
    elif isinstance(event_dict, dict):
        args, kwargs = (), event_dict
    else:
        raise ValueError(f"the last processor returned a {type(event_dict).__name__}")
    method = getattr(logger, method_name)
    return method(*args, **kwargs) if kwargs else method(*args)


def _proxy_to_logger(self: Any, method_name: str, event: Any = None, **event_kw: Any) -> Any:
    """The path of structlog's own methods (`log`, the async ones, `%` arguments)."""
    return _run(self, method_name, event, event_kw)


def _level_method(
    name: str, structlog_method: Callable[..., Any], pipeline: LogPipeline | None
) -> Callable[..., Any]:
    """A level method that skips structlog's frames when the call has no `%` arguments.

    structlog's goes through `_maybe_interpolate` and `_proxy_to_logger(**kw)`: two more
    frames and a copy of the keywords on every call. With arguments, structlog's own
    method interpolates them exactly as it always does. A logger whose processors are
    still the pipeline's chain takes its fast path (`pipeline`); one given others (by
    `structlog.configure`, or `capture_logs` changing the list in place) runs them.
    """
    if pipeline is None:

        def method(self: Any, event: Any = None, *args: Any, **kw: Any) -> Any:
            if args:
                return structlog_method(self, event, *args, **kw)
            return _run(self, name, event, kw)

    else:
        chain, emit = pipeline.chain, pipeline.emit

        def method(self: Any, event: Any = None, *args: Any, **kw: Any) -> Any:
            if args:
                return structlog_method(self, event, *args, **kw)
            if self._processors != chain:  # a C-level compare, by identity first
                return _run(self, name, event, kw)
            context = self._context
            fields = {**context, **kw} if context else kw
            bound = get_attributes()
            if bound:
                fields = {**bound, **fields}
            return emit(self._logger, name, event, fields)

    method.__name__ = method.__qualname__ = name
    return method


#: structlog's level methods by the stdlib number of their level, and their aliases.
_LEVEL_METHODS: Final = (
    (logging.DEBUG, "debug", ()),
    (logging.INFO, "info", ("msg",)),
    (logging.WARNING, "warning", ("warn",)),
    (logging.ERROR, "error", ()),
    (logging.CRITICAL, "critical", ("fatal",)),
)


def make_wrapper_class(
    level: str, pipeline: LogPipeline | None = None
) -> type[FilteringBoundLogger]:
    """structlog's filtering bound logger for `level`, with the leaner event path above.

    Calls below `level` stay structlog's no-op methods: they never reach the overrides.
    """
    base = structlog.make_filtering_bound_logger(level)
    threshold = logging.getLevelNamesMapping()[level.upper()]
    methods: dict[str, Any] = {"_proxy_to_logger": _proxy_to_logger}
    for number, name, aliases in _LEVEL_METHODS:
        if number >= threshold:
            method = _level_method(name, getattr(base, name), pipeline)
            methods[name] = method
            methods.update(dict.fromkeys(aliases, method))
    return type(f"Sdk{base.__name__}", (base,), methods)


def make_emitter(
    pipeline: LogPipeline, sink: LineSink
) -> Callable[[str, str, dict[str, Any]], None]:
    """`emit(logger_name, level_method, event_dict)`: a call logged without a bound logger.

    The stdlib bridge's path: it has an event dict already, so a bound logger's level
    method and `_proxy_to_logger` would only add two frames and two keyword-dict copies.
    Bound attributes are merged first, as above.
    """
    loggers: dict[str, SinkLogger] = {}
    emit = pipeline.emit

    def bridge_emit(name: str, method_name: str, event_dict: dict[str, Any]) -> None:
        """Log `event_dict` (its `event` is the message) as logger `name`."""
        logger = loggers.get(name)
        if logger is None:
            logger = loggers[name] = SinkLogger(sink, name)
        bound = get_attributes()
        if bound:
            event_dict = {**bound, **event_dict}
        emit(logger, method_name, event_dict.pop("event", None), event_dict)

    return bridge_emit
