"""`configure()`: the one place the SDK's structlog chain and sink are put together.

The chain, in order: exceptions to fields, redaction (on by default), the record
builder, the orjson renderer; the "logger" at its end submits lines to the LineSink.
A log call with plain values takes the chain's fast path (`pipeline`): the same line,
with redaction's pre-check run once over it. Level filtering is structlog's filtering
bound logger, so a filtered call costs a no-op.

What the call does not say comes from `OBSERVABILITY_*` settings, read here, once, at
the application's start: the sink (`OBSERVABILITY_SINK`, built by the transport factory),
service, env, level and extra redaction keys. Records of stdlib loggers join the same
chain through the bridge (`stdlib.py`) unless `capture_stdlib=False`.

The sink is closed at exit (`atexit`) and, through `exits`, on SIGTERM and SIGINT even
when a server re-raises them with their default action. Closing is bounded by the
sink's shutdown deadline (`OBSERVABILITY_SINK_SHUTDOWN_SECONDS`, 5 s by default).
"""

from __future__ import annotations

import atexit
import os
import socket
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import structlog
from structlog.typing import FilteringBoundLogger

from observability.core.schema import SCHEMA_VERSION, validate
from observability.core.settings import Settings
from observability.emit import exits, stdlib
from observability.emit.clock import utc_timestamp
from observability.emit.logger import SinkLoggerFactory, make_emitter, make_wrapper_class
from observability.emit.pipeline import LogPipeline
from observability.emit.records import static_fields
from observability.emit.redaction import Redactor
from observability.emit.render import make_renderer
from observability.transport.base import LineSink

if TYPE_CHECKING:
    from observability.core.metrics import Metrics

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
    service: str | None = None,
    env: str | None = None,
    sink: LineSink | None = None,
    version: str | None = None,
    host: str | None = None,
    level: str | None = None,
    redact_keys: Iterable[str] = (),
    redaction: bool = True,
    exit_signals: bool = True,
    capture_stdlib: bool = True,
    settings: Settings | None = None,
    environ: Mapping[str, str] | None = None,
    metrics: Metrics | None = None,
) -> None:
    """Set up logging and ML records for this process; call once at start-up.

    Arguments win; what is not given comes from `settings`, else from `environ` (default
    `os.environ`) read as `OBSERVABILITY_*` variables: without `sink`, the configured one
    is built (`OBSERVABILITY_SINK`), its counters in `metrics` (default: a registry of
    its own). A bad `service` (not a partition-safe name) raises here rather than having
    every record refused later. Reconfiguring closes the previous sink if it is another
    one; loggers first used before a reconfiguration keep the earlier one, as in
    structlog. `exit_signals` puts a handler in front of SIGTERM's and SIGINT's (see
    `exits`) that closes the sink before the signal goes on; it needs the main thread.
    `capture_stdlib` bridges the records of stdlib loggers into the pipeline.
    """
    global _state, _atexit_registered  # noqa: PLW0603 - the SDK is configured per process
    if settings is None:
        settings = Settings.from_env(os.environ if environ is None else environ)
    level = (level or settings.log_level).lower()
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}; got {level!r}")
    static = static_fields(
        service or settings.service, env or settings.env, host or socket.gethostname(), version
    )
    _check_static(static)
    if sink is None:
        sink = _build_sink(settings, metrics)
    redactor = Redactor((*settings.redact_keys, *redact_keys)) if redaction else None
    to_line = make_renderer(redactor.scrub_text if redactor else None)
    pipeline = LogPipeline(static, redactor)
    structlog.configure(
        processors=pipeline.processors,
        wrapper_class=make_wrapper_class(level, pipeline),
        logger_factory=SinkLoggerFactory(sink),
        context_class=dict,
        cache_logger_on_first_use=True,
    )
    previous, _state = _state, SdkState(sink, static, redactor, to_line)
    if capture_stdlib:  # before the previous sink closes: no bridged line goes to it
        stdlib.install(stdlib.StdlibBridge(level, make_emitter(pipeline, sink)))
    else:
        stdlib.uninstall()
    if previous is not None and previous.sink is not sink:
        previous.sink.close()
    if not _atexit_registered:
        atexit.register(shutdown)
        _atexit_registered = True
    if exit_signals:
        exits.install(_close_on_signal)
    else:
        exits.uninstall()


def _build_sink(settings: Settings, metrics: Metrics | None) -> LineSink:
    """The sink `settings` name, AWS clients only for Firehose (imported on demand, like
    the sinks and prometheus: `import observability` stays light)."""
    from observability.core.metrics import Metrics
    from observability.transport.factory import build_line_sink

    aws = None
    if settings.sink == "firehose":
        from observability.core.aws import AwsClients

        aws = AwsClients(settings)
    return build_line_sink(settings, aws, metrics or Metrics())


def _close_on_signal() -> bool:
    """The process is ending by a signal: close the sink, keep the configuration.

    Requests a server finishes after the signal still log; those lines go to the closed
    sink, which keeps each at once (written through, or spilled for the next process).
    False, without closing, when the signal interrupted this thread inside the sink.
    """
    current = _state
    if current is None:
        return True
    if current.sink.in_use_here():
        return False
    current.sink.close()
    return True


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


def flush(timeout: float | None = None) -> bool:
    """Deliver (or spill) everything logged so far; True if nothing is left. A frozen
    Lambda never runs a background thread: its handler flushes before returning."""
    current = _state
    if current is None:
        return True
    return current.sink.flush(timeout)


def shutdown(timeout: float | None = None) -> bool:
    """Flush and close the configured sink; True if everything was delivered. Idempotent.

    Returns within `timeout` seconds (None: the sink's shutdown deadline, 5 s by default)
    plus a moment to write the spill: lines not delivered by then are spilled, with one
    warning on stderr, and the next process replays them.
    """
    global _state
    current, _state = _state, None
    if current is None:
        return True
    stdlib.uninstall()
    return current.sink.close(timeout)
