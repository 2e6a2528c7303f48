"""The stdlib bridge: records of other loggers (urllib3, botocore, uvicorn, any library)
become log records of the pipeline.

One handler is added to the root logger and to each logger that does not propagate
(uvicorn's `uvicorn` and `uvicorn.access`, whose records never reach the root); the
host's own handlers stay where they are. A record keeps its logger name and level, its
message with the arguments applied, its `extra` fields as attributes and its exception
as structured frames. uvicorn's access line becomes `method`, `path`, `status`, `client`
and `http_version` attributes.

Three things never come in: a record already bridged (it passed through two of our
handlers), a record logged on a sink's delivery thread (httpx or botocore reporting on
the SDK's own requests: under an outage, lines about lines), and a record logged while
this thread is inside the bridge (a handler or a sink that logs): both threads are
"quiet" (`transport/threads.py`). Loggers whose lines a
web middleware replaces with its own access record are muted (`mute`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Final

from observability.transport.threads import quiet

#: The attribute that marks a record as bridged, so a second handler of ours skips it.
BRIDGED: Final = "_observability_bridged"
#: uvicorn's access logger: its arguments are (client, method, path, http_version, status).
UVICORN_ACCESS: Final = "uvicorn.access"
_ACCESS_ARGS: Final = ("client", "method", "path", "http_version", "status")

#: A LogRecord's own attributes; everything else in its `__dict__` came from `extra`.
_STANDARD: Final = frozenset(
    {
        *vars(logging.LogRecord("", 0, "", 0, "", (), None)),
        "message",
        "asctime",
        "taskName",
        BRIDGED,
    }
)

#: Logger names whose records are not bridged (an installed middleware logs instead).
_muted: set[str] = set()


def mute(name: str) -> None:
    """Stop bridging the records of logger `name` (exactly that name)."""
    _muted.add(name)


def unmute(name: str) -> None:
    """Bridge the records of logger `name` again."""
    _muted.discard(name)


def method_for(levelno: int) -> str:
    """The SDK level method for a stdlib level number (custom levels round down)."""
    if levelno >= logging.CRITICAL:
        return "critical"
    if levelno >= logging.ERROR:
        return "error"
    if levelno >= logging.WARNING:
        return "warning"
    if levelno >= logging.INFO:
        return "info"
    return "debug"


_METHODS: Final = {level: method_for(level) for level in (10, 20, 30, 40, 50)}


def message_of(record: logging.LogRecord) -> str:
    """The message with its arguments applied; never raises for a bad format."""
    try:
        return record.getMessage()
    except Exception:  # noqa: BLE001 - a wrong format string must not lose the record
        return f"{record.msg!s} {record.args!r}"


def access_fields(record: logging.LogRecord) -> tuple[str, dict[str, Any]] | None:
    """uvicorn's access line as (event, attributes); None when it has another shape."""
    args = record.args
    if not isinstance(args, tuple) or len(args) != len(_ACCESS_ARGS):
        return None
    fields = dict(zip(_ACCESS_ARGS, args, strict=True))
    fields["client"] = str(fields["client"])
    return f"{fields['method']} {fields['path']} {fields['status']}", fields


#: Each set of record attribute names seen, in order, and the extras among them as
#: (field name, attribute) pairs: one call site's records all have the same names, and
#: hashing a tuple of them costs about half of taking the standard ones away.
_extras_by_names: dict[tuple[str, ...], tuple[tuple[str, str], ...]] = {}
_EXTRAS_CACHE_SIZE: Final = 1024


def _extras(state: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The (field name, attribute) pairs of a record's `extra` fields (`event` is renamed)."""
    names = tuple(state)
    extras = _extras_by_names.get(names)
    if extras is None:
        extras = tuple(
            ("extra_event" if key == "event" else key, key) for key in names if key not in _STANDARD
        )
        if len(_extras_by_names) >= _EXTRAS_CACHE_SIZE:
            _extras_by_names.clear()
        _extras_by_names[names] = extras
    return extras


def record_fields(record: logging.LogRecord) -> tuple[str, dict[str, Any]]:
    """The event text and keyword fields (extras, exception) the SDK call gets."""
    access = access_fields(record) if record.name == UVICORN_ACCESS else None
    if access is not None:
        event, fields = access
    else:
        message = record.msg
        event = message if type(message) is str and not record.args else message_of(record)
        fields = {}
    state = record.__dict__
    for name, key in _extras(state):
        fields[name] = state[key]
    if record.exc_info:
        fields["exc_info"] = record.exc_info
    if record.stack_info:
        fields["stack_info"] = record.stack_info
    return event, fields


class StdlibBridge(logging.Handler):
    """A handler that sends each record through the SDK's chain, once."""

    def __init__(self, level: str, emit: Callable[[str, str, dict[str, Any]], None]) -> None:
        super().__init__(logging.getLevelName(level.upper()))
        self._emit = emit
        self.attached: list[logging.Logger] = []

    def handle(self, record: logging.LogRecord) -> bool:
        """Emit without the handler lock: the SDK chain and the sinks are thread-safe."""
        self.emit(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:
        """Forward the record unless it is already bridged, muted or from a quiet thread."""
        state = record.__dict__
        if BRIDGED in state or record.name in _muted or getattr(quiet, "on", False):
            return
        state[BRIDGED] = True
        quiet.on = True  # what the chain or the sink logs now is not bridged again
        try:
            event, fields = record_fields(record)
            fields["event"] = event
            levelno = record.levelno
            self._emit(record.name, _METHODS.get(levelno) or method_for(levelno), fields)
        except Exception:  # noqa: BLE001 - logging's own policy: report, never raise
            self.handleError(record)
        finally:
            quiet.on = False

    def attach(self) -> None:
        """Add this handler to the root logger and to every logger that does not propagate.

        Safe to call again (a server that set up its loggers after `configure()`): each
        logger gets the handler once.
        """
        for logger in [logging.getLogger(), *_non_propagating()]:
            if self not in logger.handlers:
                logger.addHandler(self)
                self.attached.append(logger)

    def detach(self) -> None:
        """Remove this handler from every logger it was added to."""
        for logger in self.attached:
            logger.removeHandler(self)
        self.attached.clear()


def _non_propagating() -> list[logging.Logger]:
    loggers = list(logging.root.manager.loggerDict.values())
    return [lg for lg in loggers if isinstance(lg, logging.Logger) and not lg.propagate]


_bridge: StdlibBridge | None = None
_lock = threading.Lock()


def install(bridge: StdlibBridge) -> None:
    """Make `bridge` the process's one bridge (a previous one is removed)."""
    global _bridge  # noqa: PLW0603 - one bridge per process, like the SDK's configuration
    with _lock:
        if _bridge is not None:
            _bridge.detach()
        _bridge = bridge
        bridge.attach()


def uninstall() -> None:
    """Remove the bridge, if any."""
    global _bridge  # noqa: PLW0603
    with _lock:
        if _bridge is not None:
            _bridge.detach()
        _bridge = None


def rescan() -> None:
    """Attach the bridge to loggers set up since (a server configures its own late)."""
    with _lock:
        if _bridge is not None:
            _bridge.attach()
