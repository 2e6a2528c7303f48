"""Trace and span ids from OpenTelemetry's active span, when the application uses it.

OpenTelemetry is never imported here: if the application (or its instrumentation) has not
imported `opentelemetry.trace`, no span can be active, and a log call pays one dict
look-up. When a valid span is current, its ids are the W3C forms: 32 and 16 lower-case
hex digits.
"""

from __future__ import annotations

import sys
from typing import Final

#: The module whose presence means a span may be active (checked inline on hot paths).
MODULE: Final = "opentelemetry.trace"
_modules: Final = sys.modules


def span_ids() -> tuple[str, str] | None:
    """`(trace_id, span_id)` of the active OpenTelemetry span, or None without one."""
    trace = _modules.get(MODULE)
    if trace is None:
        return None
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return f"{context.trace_id:032x}", f"{context.span_id:016x}"
