"""The guarded uvicorn protocol: header and body deadlines, header size, the connection cap."""

from __future__ import annotations

import asyncio
import resource
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from observability.core.errors import SettingsError
from observability.core.settings import Settings
from observability.service.server import ServerLimits, ensure_fd_headroom, server_config
from tests.servers import free_port

Scope = dict[str, Any]


async def echo_length(scope: Scope, receive: Any, send: Any) -> None:
    """Answer the body's length; `/slow` waits 2 s before reading (a busy app)."""
    if scope["type"] != "http":
        return
    if scope["path"] == "/slow":
        await asyncio.sleep(2.0)
    size, more = 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
    body = str(size).encode()
    headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture
def server() -> Iterator[int]:
    """The test app behind the guarded protocol with short deadlines; yields its port."""
    settings = Settings.from_env(
        {},
        port=free_port(),
        header_timeout_seconds=1.0,
        body_timeout_seconds=1.0,
        keep_alive_seconds=5.0,
        max_header_bytes=8 * 1024,
        max_connections=20,
        log_level="warning",
    )
    running = uvicorn.Server(server_config(echo_length, settings))
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not running.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    yield settings.port
    running.should_exit = True
    thread.join(10)


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    return sock


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_a_silent_connection_is_answered_408_and_closed(server: int) -> None:
    """A client that connects and sends nothing is told 408 and dropped after the deadline."""
    with _connect(server) as sock:
        started = time.monotonic()
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert 0.9 < time.monotonic() - started < 3.0


def test_half_sent_headers_time_out(server: int) -> None:
    """Headers trickled a byte at a time do not hold the connection past the deadline."""
    with _connect(server) as sock:
        started = time.monotonic()
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        for _ in range(30):
            try:
                sock.sendall(b"X")
            except OSError:
                break
            time.sleep(0.1)
        answer = _read_all(sock)
    assert b"408" in answer.split(b"\r\n", 1)[0]
    assert time.monotonic() - started < 3.0


def test_headers_over_the_size_limit_are_431(server: int) -> None:
    """More header bytes than allowed is answered 431 and the connection closed."""
    with _connect(server) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        try:
            for _ in range(10):
                sock.sendall(b"X-Filler: " + b"a" * 1000 + b"\r\n")
        except OSError:
            pass
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 431 ")


def test_headers_over_the_size_limit_in_one_read_are_431(server: int) -> None:
    """Oversized headers arriving whole in one read are answered 431 too, never served."""
    with _connect(server) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n")
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 431 ")


def test_a_body_sent_too_slowly_is_408(server: int) -> None:
    """A body that does not arrive within its deadline is answered 408, then closed."""
    with _connect(server) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
        started = time.monotonic()
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408 ") and b"body" in answer
    assert time.monotonic() - started < 3.0


def test_a_busy_app_is_not_blamed_for_a_slow_body(server: int) -> None:
    """When the app reads late (2 s, over the 1 s deadline), a prompt client still succeeds."""
    body = b"x" * 1_000_000
    with _connect(server) as sock:
        sock.sendall(b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body))
        sock.sendall(body)
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b"1000000")


def test_keep_alive_requests_are_served_in_turn(server: int) -> None:
    """Normal requests on one connection are unaffected by the deadlines."""
    with _connect(server) as sock:
        for _ in range(3):
            sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok")
            assert sock.recv(65536).endswith(b"\r\n\r\n2")
            time.sleep(0.6)  # idle between requests: under the keep-alive timeout


def test_at_the_cap_the_longest_waiting_connection_makes_room(server: int) -> None:
    """20 silent connections fill the cap; a prompt client still gets in, the oldest goes."""
    held = [_connect(server) for _ in range(20)]
    try:
        time.sleep(0.2)
        with _connect(server) as prompt:
            prompt.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok")
            assert prompt.recv(65536).startswith(b"HTTP/1.1 200 ")
        held[0].settimeout(0.5)
        assert _read_all(held[0]).startswith(b"HTTP/1.1 408 ")
    finally:
        for sock in held:
            sock.close()


def test_at_the_cap_with_every_connection_busy_a_new_one_is_503(server: int) -> None:
    """When all 20 connections wait on the app, one more is answered 503 and closed at once."""
    busy = [_connect(server) for _ in range(20)]
    try:
        for sock in busy:
            sock.sendall(b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok")
        time.sleep(0.3)
        with _connect(server) as extra:
            started = time.monotonic()
            answer = _read_all(extra)
        assert answer.startswith(b"HTTP/1.1 503 ") and b"retry-after: 1" in answer
        assert time.monotonic() - started < 0.5
        assert all(sock.recv(65536).startswith(b"HTTP/1.1 200 ") for sock in busy)
    finally:
        for sock in busy:
            sock.close()


def test_limits_must_be_positive() -> None:
    """A zero or negative server limit is a settings error naming its variable."""
    with pytest.raises(SettingsError, match="OBSERVABILITY_HEADER_TIMEOUT_SECONDS"):
        ServerLimits.from_settings(Settings.from_env({}, header_timeout_seconds=0))


def test_fd_headroom_is_checked_against_the_hard_limit() -> None:
    """A cap the hard RLIMIT_NOFILE cannot hold is refused; one it can is made to fit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY:
        with pytest.raises(SettingsError, match="OBSERVABILITY_MAX_CONNECTIONS"):
            ensure_fd_headroom(hard)
    assert ensure_fd_headroom(min(soft, 512)) >= min(soft, 512)
