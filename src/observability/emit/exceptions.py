"""Exceptions as structured fields (type, message, frames) instead of a text traceback.

Structured frames can be searched and aggregated (which function fails most?) where a
formatted traceback is one opaque string.
"""

from __future__ import annotations

import sys
import traceback
from typing import Any, Final

from structlog.typing import EventDict, WrappedLogger

#: The innermost frames kept; a runaway recursion must not make a 1 MB record.
MAX_FRAMES: Final = 50
_MAX_MESSAGE: Final = 8192


def _exception_of(exc_info: object) -> BaseException | None:
    if isinstance(exc_info, BaseException):
        return exc_info
    if isinstance(exc_info, tuple) and len(exc_info) == 3:
        value = exc_info[1]
        return value if isinstance(value, BaseException) else None
    if exc_info:
        return sys.exc_info()[1]
    return None


def _type_name(exc: BaseException) -> str:
    kind = type(exc)
    module = kind.__module__
    return kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"


def _message(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception as failure:  # noqa: BLE001 - a broken __str__ must not lose the record
        text = f"<str() failed: {type(failure).__name__}>"
    return text[:_MAX_MESSAGE]


def exception_fields(exc: BaseException) -> dict[str, Any]:
    """`{type, message, frames: [{filename, lineno, name}]}`, plus the direct cause if any."""
    walked = list(traceback.walk_tb(exc.__traceback__))[-MAX_FRAMES:]
    summary = traceback.StackSummary.extract(walked, lookup_lines=False)
    fields: dict[str, Any] = {
        "type": _type_name(exc),
        "message": _message(exc),
        "frames": [
            {"filename": frame.filename, "lineno": frame.lineno, "name": frame.name}
            for frame in summary
        ],
    }
    cause = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    if cause is not None:
        fields["cause"] = {"type": _type_name(cause), "message": _message(cause)}
    return fields


def structure_exception(
    logger: WrappedLogger, method_name: str, event_dict: EventDict
) -> EventDict:
    """Replace `exc_info` (True, an exception or a sys.exc_info() tuple) by its fields."""
    if "exc_info" in event_dict:
        exc = _exception_of(event_dict.pop("exc_info"))
        if exc is not None:
            event_dict["exc_info"] = exception_fields(exc)
    return event_dict
