"""`configure()`: the one place the SDK's structlog chain and sink are put together.

The chain, in order: exceptions to fields, redaction (on by default), the record
builder, the orjson renderer; the "logger" at its end submits lines to the LineSink.
Level filtering is structlog's filtering bound logger, so a filtered call costs a no-op.
"""

from __future__ import annotations

import atexit
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

import structlog
from structlog.typing import FilteringBoundLogger, Processor

from observability.core.schema import SCHEMA_VERSION, validate
from observability.emit.clock import utc_timestamp
from observability.emit.exceptions import structure_exception
from observability.emit.logger import SinkLoggerFactory, make_wrapper_class
from observability.emit.records import make_record_builder, static_fields
from observability.emit.redaction import Redactor
from observability.emit.render import make_line_renderer, make_renderer
from observability.transport.base import LineSink

LEVELS = ("debug", "info", "warning", "error", "critical")


@dataclass(frozen=True, slots=True)
class SdkState:
    """What `configure()` decided; `log_prediction` and `log_label` read it too."""

    sink: LineSink
    static: dict[str, str]
    redactor: Redactor | None
    to_line: Callable[[Any], bytes]


_state: SdkState | None = None
_atexit_registered = False


def configure(
    *,
    service: str,
    env: str,
    sink: LineSink,
    version: str | None = None,
    host: str | None = None,
    level: str = "info",
    redact_keys: Iterable[str] = (),
    redaction: bool = True,
) -> None:
    """Set up logging and ML records for this process; call once at start-up.

    A bad `service` (not a partition-safe name) raises here rather than having every
    record refused later. Reconfiguring closes the previous sink if it is another one.
    Loggers first used before a reconfiguration keep the earlier one, as in structlog.
    """
    global _state, _atexit_registered  # noqa: PLW0603 - the SDK is configured per process
    if level.lower() not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}; got {level!r}")
    static = static_fields(service, env, host or socket.gethostname(), version)
    _check_static(static)
    redactor = Redactor(redact_keys) if redaction else None
    to_line = make_renderer(redactor.scrub_text if redactor else None)
    processors: list[Processor] = [structure_exception]
    if redactor is not None:
        processors.append(redactor.processor())
    processors += [
        make_record_builder(static),
        make_line_renderer(redactor.scrub_text if redactor else None),
    ]
    structlog.configure(
        processors=processors,
        wrapper_class=make_wrapper_class(level.lower()),
        logger_factory=SinkLoggerFactory(sink),
        context_class=dict,
        cache_logger_on_first_use=True,
    )
    previous, _state = _state, SdkState(sink, static, redactor, to_line)
    if previous is not None and previous.sink is not sink:
        previous.sink.close()
    if not _atexit_registered:
        atexit.register(shutdown)
        _atexit_registered = True


def _check_static(static: dict[str, str]) -> None:
    """Validate a probe record so a bad service name fails at start-up, with the field."""
    probe = {
        "schema_version": SCHEMA_VERSION,
        "kind": "log",
        "record_id": "probe",
        "timestamp": utc_timestamp(),
        "level": "info",
        "event": "probe",
        **static,
    }
    validate(probe)


def state() -> SdkState:
    """The current configuration; raises when `configure()` has not been called."""
    if _state is None:
        raise RuntimeError("observability is not configured: call observability.configure()")
    return _state


def get_logger(name: str | None = None, **initial_values: Any) -> FilteringBoundLogger:
    """A structlog logger; `name` becomes the records' `logger` field.

    After `configure()` this is the concrete bound logger: structlog's lazy proxy costs
    an extra Python-level lookup on every call (about 2x a filtered call). Before it, it
    is that proxy, so a module-level logger created at import time works as long as it
    is first used after `configure()`.
    """
    args = () if name is None else (name,)
    proxy = structlog.get_logger(*args, **initial_values)
    return cast(FilteringBoundLogger, proxy if _state is None else proxy.bind())


def shutdown(timeout: float | None = None) -> bool:
    """Flush and close the configured sink; True if everything was delivered. Idempotent."""
    global _state
    current, _state = _state, None
    if current is None:
        return True
    delivered = current.sink.flush(timeout)
    current.sink.close()
    return delivered
