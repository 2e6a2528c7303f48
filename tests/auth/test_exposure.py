"""`observability serve` on a reachable address: refused without a key, warned with
--insecure-no-auth, and served with keys; real processes, as an operator runs them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from observability.auth.apikeys import KeyStore
from observability.auth.exposure import ExposureError, check_exposure, is_loopback
from observability.auth.roles import KeyRole
from observability.auth.secret import ServerSecret
from observability.core.settings import Settings
from observability.store.local import LocalStore
from tests.servers import free_port, wait_http

SCRIPT = Path(sys.executable).parent / "observability"


def test_loopback_hosts() -> None:
    """localhost, 127/8 and ::1 are loopback; 0.0.0.0, other addresses and names are not."""
    assert all(is_loopback(h) for h in ("localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "10.0.0.1", "example.org", ""))


def test_check_refuses_only_an_open_reachable_bind(store: LocalStore) -> None:
    """Refused: a reachable host with no key; allowed: loopback, a key, a JWKS, the flag."""
    reachable = Settings.from_env({}, host="0.0.0.0", port=8123)
    with pytest.raises(ExposureError, match=r"refusing to serve on 0\.0\.0\.0:8123"):
        check_exposure(reachable, store)
    check_exposure(reachable.replace(host="127.0.0.1"), store)
    check_exposure(reachable.replace(insecure_no_auth=True), store)
    check_exposure(reachable.replace(jwt_jwks_url="https://idp.example/jwks"), store)
    KeyStore(store).create(KeyRole.ADMIN, "a", ServerSecret(b"x" * 40))
    check_exposure(reachable, store)


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The process environment without our variables, plus a store and state dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OBSERVABILITY_")}
    env["OBSERVABILITY_STORE_URL"] = (tmp_path / "store").as_uri()
    env["OBSERVABILITY_STATE_DIR"] = str(tmp_path / "state")
    env["OBSERVABILITY_ROLES"] = "collector,api"
    return {**env, **extra}


@contextmanager
def serving(args: list[str], env: dict[str, str], port: int) -> Iterator[list[bytes]]:
    """`observability serve ARGS` until the block ends; yields its output once stopped."""
    proc = subprocess.Popen(
        [str(SCRIPT), "serve", "--port", str(port), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    output: list[bytes] = []
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", proc=proc)
        yield output
    finally:
        proc.send_signal(signal.SIGINT)
        output.append(proc.communicate(timeout=30)[0])


def status(url: str, headers: dict[str, str] | None = None) -> int:
    """The status of a GET."""
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_serve_on_all_addresses_without_a_key_exits_1(tmp_path: Path) -> None:
    """`serve --host 0.0.0.0` with no key exits 1 with one line saying why, binding nothing."""
    port = free_port()
    result = subprocess.run(
        [str(SCRIPT), "serve", "--host", "0.0.0.0", "--port", str(port)],
        env=environment(tmp_path),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: refusing to serve on 0.0.0.0:{port} without auth")
    assert "observability keys create" in lines[0] and "--insecure-no-auth" in lines[0]
    assert result.stdout == b""


def test_insecure_no_auth_serves_openly_and_warns(tmp_path: Path) -> None:
    """With --insecure-no-auth the server starts on 0.0.0.0, warns, and answers reads."""
    port = free_port()
    args = ["--host", "0.0.0.0", "--insecure-no-auth"]
    with serving(args, environment(tmp_path), port) as output:
        assert status(f"http://127.0.0.1:{port}/api/v1/search") == 200
    assert b"warning: --insecure-no-auth" in output[0]


def test_keys_made_by_the_cli_open_a_reachable_server(tmp_path: Path) -> None:
    """After `keys create`, `serve --host 0.0.0.0` starts; it asks loopback callers for a
    key too, takes the key, refuses it once revoked, and never prints it."""
    env = environment(
        tmp_path, OBSERVABILITY_AUTH_CACHE_SECONDS="0.5", OBSERVABILITY_LOG_LEVEL="debug"
    )
    made = subprocess.run(
        [str(SCRIPT), "keys", "create", "--role", "viewer"],
        env=env,
        capture_output=True,
        timeout=60,
        check=True,
    )
    key = made.stdout.decode().strip()
    key_id = key.split("_")[1]
    port = free_port()
    search = f"http://127.0.0.1:{port}/api/v1/search"
    with serving(["--host", "0.0.0.0"], env, port) as output:
        assert status(search) == 401
        assert status(search, {"Authorization": f"Bearer {key}"}) == 200
        assert status(search, {"X-API-Key": key}) == 200
        subprocess.run([str(SCRIPT), "keys", "revoke", key_id], env=env, timeout=60, check=True)
        for _ in range(40):  # the server re-reads its keys every 0.5 s
            if status(search, {"X-API-Key": key}) == 401:
                break
            time.sleep(0.1)
        assert status(search, {"X-API-Key": key}) == 401
    assert b"GET /api/v1/search" in output[0]  # the access log ran, at debug level
    assert key.encode() not in output[0]
    assert key.split("_", 2)[2].encode() not in output[0]
