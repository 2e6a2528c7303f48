"""`run_server(app, settings)`: uvicorn with deadlines on what clients send and a connection cap.

Why a subclassed uvicorn protocol. uvicorn has no header or body read timeout: a client
that opens a socket and sends nothing, half a header, or a body one byte at a time holds
its connection (and a file descriptor) forever, and `limit_concurrency` answers 503 only
after it has accepted the socket and parsed a request. We considered three fixes:

- a deadline in the ASGI receive path plus a connection cap: it never sees a client that
  stalls before its headers are complete (the app is not called yet), nor a body the app
  did not read;
- another ASGI server: hypercorn and granian have some of these timeouts, but the project,
  its gunicorn deployment (`uvicorn-worker`) and its shutdown handling are built on
  uvicorn, and neither bounds a body that arrives too slowly;
- a subclass of uvicorn's httptools protocol (chosen): the timers live where the bytes
  arrive, so they hold whatever the app does, and a connection over the cap is answered
  503 and closed in `connection_made`, releasing its descriptor at once.

Each connection is in one phase: waiting for a request's headers (from the connection's
first moment, or the first byte of the next request, `header_timeout_seconds` in all and
at most `max_header_bytes`), reading a body (`body_timeout_seconds` for the whole body;
time the server itself spends not reading, because the app has not taken what arrived,
does not count), or idle (uvicorn's keep-alive timeout, `keep_alive_seconds`). A deadline
that passes answers 408 when no response is under way, and closes the connection.

At `max_connections`, a new connection makes room by closing the one that has waited
longest on its client (for headers, for body bytes, or idle between requests): a crowd
of slow clients cannot lock out a prompt one, and descriptors stay bounded. Only when
every connection is waiting on the app is the new one answered 503 and closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
from collections import OrderedDict
from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar, Final

from observability.core.errors import SettingsError
from observability.core.settings import PREFIX, Settings

log = logging.getLogger(__name__)

#: Descriptors kept free beyond the connections: the journal, store files, the listening
#: socket, DuckDB, OpenSearch and AWS connection pools, the threads' files, logs.
FD_RESERVE: Final = 256
#: When a body deadline passes while the server is not reading (the app has not consumed
#: what arrived), look again this much later instead of blaming the client.
_RECHECK_SECONDS: Final = 1.0


@dataclass(frozen=True, slots=True)
class ServerLimits:
    """What any client may hold of the server: time, header bytes, connections."""

    header_timeout: float
    body_timeout: float
    keep_alive: float
    max_header_bytes: int
    max_connections: int

    @classmethod
    def from_settings(cls, settings: Settings) -> ServerLimits:
        """The limits of `settings`; a value that is not positive names its variable."""
        for name in (
            "header_timeout_seconds",
            "body_timeout_seconds",
            "keep_alive_seconds",
            "max_header_bytes",
            "max_connections",
        ):
            if not getattr(settings, name) > 0:
                variable = PREFIX + name.upper()
                raise SettingsError(f"{variable}: must be positive, got {getattr(settings, name)}")
        return cls(
            settings.header_timeout_seconds,
            settings.body_timeout_seconds,
            settings.keep_alive_seconds,
            settings.max_header_bytes,
            settings.max_connections,
        )


def _plain_response(status: bytes, message: bytes, extra: bytes = b"") -> bytes:
    return (
        b"HTTP/1.1 " + status + b"\r\ncontent-type: text/plain; charset=utf-8\r\n"
        b"content-length: "
        + str(len(message)).encode()
        + b"\r\n"
        + extra
        + b"connection: close\r\n\r\n"
        + message
    )


OVER_CAPACITY: Final = _plain_response(
    b"503 Service Unavailable", b"too many open connections; retry shortly", b"retry-after: 1\r\n"
)
HEADER_TIMEOUT: Final = _plain_response(
    b"408 Request Timeout", b"the request headers did not arrive in time"
)
BODY_TIMEOUT: Final = _plain_response(
    b"408 Request Timeout", b"the request body did not arrive in time"
)
EVICTED: Final = _plain_response(
    b"408 Request Timeout",
    b"the server is at its connection limit and this request was the slowest to arrive",
)
HEADERS_TOO_LARGE: Final = _plain_response(
    b"431 Request Header Fields Too Large", b"the request line and headers are too large"
)


async def _headers_too_large(_scope: Any, _receive: Any, send: Any) -> None:
    """The app for a request whose headers were over `max_header_bytes`: 431, then close."""
    message = b"the request line and headers are too large"
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(message)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 431, "headers": headers})
    await send({"type": "http.response.body", "body": message})


class _Phase(Enum):
    HEADERS = "headers"
    BODY = "body"
    IDLE = "idle"


def guarded_protocol(limits: ServerLimits) -> type[asyncio.Protocol]:
    """uvicorn's httptools protocol with `limits` enforced on every connection.

    The class returned belongs to one server: its registry of connections waiting on
    their clients decides which one makes room at the cap.
    """
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError as exc:  # httptools comes with uvicorn[standard], the service extra
        raise SettingsError(f"the collector needs httptools (uvicorn[standard]): {exc}") from None

    class GuardedProtocol(HttpToolsProtocol):
        """Deadlines per phase, a header size bound, and the connection cap."""

        #: Connections waiting on their client (headers, body, or idle between requests),
        #: longest-waiting first: at the cap, the first that can go makes room.
        waiting: ClassVar[OrderedDict[GuardedProtocol, None]] = OrderedDict()

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._phase = _Phase.IDLE
            self._timer: asyncio.TimerHandle | None = None
            self._header_bytes = 0  # raw bytes while waiting for headers (trickled)
            self._parsed_bytes = 0  # the request line and headers as parsed
            self._refused = False

        # -- connections -------------------------------------------------------------

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            if len(self.connections) >= limits.max_connections and not self._make_room():
                self._refused = True
                self.transport = transport
                transport.write(OVER_CAPACITY)
                transport.close()
                return
            super().connection_made(transport)
            self._start_headers()

        def connection_lost(self, exc: Exception | None) -> None:
            self._cancel_timer()
            self.waiting.pop(self, None)
            if self._refused:
                return
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._phase is _Phase.IDLE:
                self._start_headers()
            if self._phase is _Phase.HEADERS:
                self._header_bytes += len(data)
            super().data_received(data)
            if self._phase is _Phase.HEADERS and self._header_bytes > limits.max_header_bytes:
                self._end(HEADERS_TOO_LARGE)

        def _make_room(self) -> bool:
            """Close the connection that has waited longest on its client, if any may go."""
            for other in self.waiting:
                if other.transport.is_closing():
                    continue  # already on its way out
                if other._phase is _Phase.BODY and other.flow.read_paused:
                    continue  # the app, not the client, is behind
                other._end(EVICTED)
                return True
            return False

        # -- parser and response callbacks -------------------------------------------

        def on_message_begin(self) -> None:
            self._parsed_bytes = 0
            super().on_message_begin()

        def on_url(self, url: bytes) -> None:
            self._parsed_bytes += len(url)
            super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            self._parsed_bytes += len(name) + len(value) + 4
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            if self._parsed_bytes > limits.max_header_bytes:
                # Headers that came whole in one read: this connection's last request
                # is answered 431 by a stand-in app, then closed.
                self.app = _headers_too_large
            self._phase = _Phase.BODY
            self._wait()
            self._arm(limits.body_timeout, self._body_late)
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self._phase = _Phase.IDLE
            self._cancel_timer()
            self.waiting.pop(self, None)  # the app has the request; the client waits on us

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if self._phase is _Phase.IDLE and not self.transport.is_closing():
                self._wait()  # idle between requests (uvicorn's keep-alive timer runs)

        # -- deadlines ---------------------------------------------------------------

        def _start_headers(self) -> None:
            self._phase = _Phase.HEADERS
            self._header_bytes = 0
            self._wait()
            self._arm(limits.header_timeout, self._headers_late)

        def _wait(self) -> None:
            self.waiting[self] = None
            self.waiting.move_to_end(self)

        def _arm(self, seconds: float, callback: Any) -> None:
            self._cancel_timer()
            self._timer = self.loop.call_later(seconds, callback)

        def _cancel_timer(self) -> None:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

        def _headers_late(self) -> None:
            self._timer = None
            self._end(HEADER_TIMEOUT)

        def _body_late(self) -> None:
            self._timer = None
            if self.flow is not None and self.flow.read_paused:
                # The server stopped reading, not the client: the app is still busy.
                self._arm(_RECHECK_SECONDS, self._body_late)
                return
            self._end(BODY_TIMEOUT)

        def _end(self, response: bytes) -> None:
            """Answer `response` if no answer to this request has begun, then close."""
            reading_body = self._phase is _Phase.BODY
            self._cancel_timer()
            self._phase = _Phase.IDLE
            self.waiting.pop(self, None)
            if self.transport.is_closing():
                return
            cycle = self.cycle
            if cycle is None or (cycle.response_complete and not reading_body):
                self.transport.write(response)  # between requests: nothing else is sent
            elif not cycle.response_started:
                # The app has not answered: ours goes first, and its own is dropped.
                cycle.response_complete = cycle.disconnected = True
                cycle.message_event.set()
                self.transport.write(response)
            self.transport.close()

    return GuardedProtocol


def ensure_fd_headroom(max_connections: int) -> int:
    """Raise the soft RLIMIT_NOFILE so `max_connections` plus a reserve fit; returns it.

    A hard limit too low for them is a settings error naming the variable.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = max_connections + FD_RESERVE
    if soft != resource.RLIM_INFINITY and soft < needed:
        if hard != resource.RLIM_INFINITY and hard < needed:
            raise SettingsError(
                f"{PREFIX}MAX_CONNECTIONS={max_connections} needs {needed} file descriptors; "
                f"the process may open {hard} (RLIMIT_NOFILE): lower it or raise the limit"
            )
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))
        soft = needed
    return soft


def server_config(app: Any, settings: Settings) -> Any:
    """The uvicorn `Config` for `app`: the guarded protocol, no WebSocket upgrades."""
    import uvicorn

    limits = ServerLimits.from_settings(settings)
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        http=guarded_protocol(limits),
        ws="none",  # an upgraded connection would leave the guarded protocol
        timeout_keep_alive=max(1, round(limits.keep_alive)),
        lifespan="on",
    )


def run_server(app: Any, settings: Settings) -> None:
    """Serve `app` on `settings.host:port` until interrupted (Ctrl-C is a clean exit)."""
    import uvicorn

    from observability.service.routes.ingest import IngestLimits

    IngestLimits.from_settings(settings)  # refuse bad limits before serving, not per request
    config = server_config(app, settings)
    ensure_fd_headroom(settings.max_connections)
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(config).run()
