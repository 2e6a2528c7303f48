"""The server secret API keys are hashed with: a setting, else a file made once.

The store keeps only HMAC-SHA256(secret, key), so a copy of the bucket does not let anyone
in: the secret lives elsewhere. `OBSERVABILITY_AUTH_SECRET` wins (set it on every process
that creates or checks keys when they do not share a state dir, e.g. from AWS Secrets
Manager); without it the first process to need one writes `<state dir>/auth_secret`,
readable by its owner only, and every later process on that state dir reads it.

A key record carries the `secret_id` of the secret it was made with (an HMAC of a fixed
label, which reveals nothing of the secret), so a key made under another secret is named
as such instead of failing as if it were mistyped.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path
from typing import Final

from observability.core.errors import SettingsError
from observability.core.settings import PREFIX, Settings

SECRET_FILE: Final = "auth_secret"  # noqa: S105 - a file name, not a secret
MIN_SECRET_CHARS: Final = 32
_ID_LABEL: Final = b"observability auth secret id"
_ID_CHARS: Final = 16


class ServerSecret:
    """The secret's bytes, with a repr that never shows them."""

    __slots__ = ("_value", "secret_id")

    def __init__(self, value: bytes) -> None:
        self._value = value
        self.secret_id = hmac.new(value, _ID_LABEL, hashlib.sha256).hexdigest()[:_ID_CHARS]

    def digest(self, message: str) -> str:
        """HMAC-SHA256 of `message`, hex."""
        return hmac.new(self._value, message.encode(), hashlib.sha256).hexdigest()

    def __repr__(self) -> str:
        return f"ServerSecret(id={self.secret_id})"


def server_secret(settings: Settings) -> ServerSecret:
    """The configured secret, else the state dir's (made now when there is none)."""
    if settings.auth_secret is not None:
        if len(settings.auth_secret) < MIN_SECRET_CHARS:
            raise SettingsError(
                f"{PREFIX}AUTH_SECRET: must be at least {MIN_SECRET_CHARS} characters"
            )
        return ServerSecret(settings.auth_secret.encode())
    return ServerSecret(_file_secret(settings.state_dir / SECRET_FILE))


def _file_secret(path: Path) -> bytes:
    """Read `path`, or create it (0600) when absent; the first of two racing processes wins."""
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(48))
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)  # atomic, and never replaces another process's secret
    finally:
        temporary.unlink(missing_ok=True)
    return _read(path)


def _read(path: Path) -> bytes:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SettingsError(
            f"{path}: the auth secret is open to other users (mode {stat.S_IMODE(mode):o}); "
            "run chmod 600 on it"
        )
    value = path.read_bytes().strip()
    if len(value) < MIN_SECRET_CHARS:
        raise SettingsError(
            f"{path}: the auth secret is shorter than {MIN_SECRET_CHARS} characters; "
            "delete it to make a new one (existing keys stop working) or restore it"
        )
    return value
