"""The demos' server: the app under uvicorn in a thread, on a loopback port of its own.

A thread, not the main one, so uvicorn installs no signal handlers: Ctrl-C reaches the
demo, which stops the server (its lifespan flushes the collector and stops the worker)
before it removes its temporary directory.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

from observability.core.errors import ObservabilityError

LOOPBACK: Final = "127.0.0.1"
_STARTUP_SECONDS: Final = 30.0
_SHUTDOWN_SECONDS: Final = 90.0


def loopback_socket() -> socket.socket:
    """A socket bound to a free port on 127.0.0.1 (the URL is known before the app is)."""
    sock = socket.socket()
    sock.bind((LOOPBACK, 0))
    return sock


def url_of(sock: socket.socket) -> str:
    """`http://127.0.0.1:<port>` of a bound socket."""
    return f"http://{LOOPBACK}:{sock.getsockname()[1]}"


@contextmanager
def running_app(app: Any, sock: socket.socket, *, name: str = "demo-server") -> Iterator[str]:
    """Serve `app` on `sock` until the block ends; yields the base URL."""
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", lifespan="on", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + _STARTUP_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise ObservabilityError(f"the demo's server did not start ({name})")
        time.sleep(0.02)
    try:
        yield url_of(sock)
    finally:
        server.should_exit = True
        thread.join(timeout=_SHUTDOWN_SECONDS)
        sock.close()
