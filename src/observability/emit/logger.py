"""The end of the chain: a bound-logger class and the "logger" that hands lines to a sink.

The last processor returns `((group, line), {})`; each level method of `SinkLogger` is a
`functools.partial` of the sink's `submit`, so delivering a line adds no Python frame.
"""

from __future__ import annotations

import functools
from typing import Any

import structlog
from structlog.typing import FilteringBoundLogger

from observability.core.schema import Kind
from observability.transport.base import LineSink


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


def _proxy_to_logger(self: Any, method_name: str, event: Any = None, **event_kw: Any) -> Any:
    """structlog's own, less two dict copies: `event_kw` is already a fresh dict here."""
    context = self._context
    event_dict: Any = {**context, **event_kw} if context else event_kw
    if event is not None:
        event_dict["event"] = event
    logger = self._logger
    try:
        for processor in self._processors:
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


def make_wrapper_class(level: str) -> type[FilteringBoundLogger]:
    """structlog's filtering bound logger for `level`, with the leaner event path above.

    Calls below `level` stay structlog's no-op methods: they never reach the override.
    """
    base = structlog.make_filtering_bound_logger(level)
    return type(f"Sdk{base.__name__}", (base,), {"_proxy_to_logger": _proxy_to_logger})
