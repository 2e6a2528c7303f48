"""The SDK: structured logs and ML records from a service into a LineSink.

`configure()` once at start-up, then `get_logger()`, `log_prediction()` and
`log_label()`; `bound_context()` scopes trace, span and request ids.
"""

from observability.emit.config import configure, flush, get_logger, shutdown
from observability.emit.context import (
    bind_context,
    bound_context,
    current_context,
    reset_context,
)
from observability.emit.memory import MemoryLineSink
from observability.emit.predictions import log_label, log_prediction

__all__ = [
    "MemoryLineSink",
    "bind_context",
    "bound_context",
    "configure",
    "current_context",
    "flush",
    "get_logger",
    "log_label",
    "log_prediction",
    "reset_context",
    "shutdown",
]
