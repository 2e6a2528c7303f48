"""The server secret: a setting wins, else a 0600 file in the state dir made once."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from observability.auth.secret import SECRET_FILE, server_secret
from observability.core.errors import SettingsError
from observability.core.settings import Settings


def test_generated_once_with_owner_only_permissions(tmp_path: Path) -> None:
    """Without a setting, the first call writes a 0600 file and later calls read it."""
    settings = Settings.from_env({}, state_dir=tmp_path / "state")
    first = server_secret(settings)
    path = tmp_path / "state" / SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert server_secret(settings).secret_id == first.secret_id
    assert path.read_text() not in repr(first)


def test_setting_wins_and_must_be_long(tmp_path: Path) -> None:
    """OBSERVABILITY_AUTH_SECRET is used as given (no file); a short one names the variable."""
    settings = Settings.from_env(
        {"OBSERVABILITY_AUTH_SECRET": "x" * 32}, state_dir=tmp_path / "state"
    )
    assert server_secret(settings).digest("k") == server_secret(settings).digest("k")
    assert not (tmp_path / "state" / SECRET_FILE).exists()
    with pytest.raises(SettingsError, match="OBSERVABILITY_AUTH_SECRET: must be at least 32"):
        server_secret(settings.replace(auth_secret="short"))  # noqa: S106 - a test value


def test_a_secret_open_to_others_is_refused(tmp_path: Path) -> None:
    """A secret file readable by group or others is an error that says how to fix it."""
    settings = Settings.from_env({}, state_dir=tmp_path)
    server_secret(settings)
    (tmp_path / SECRET_FILE).chmod(0o644)
    with pytest.raises(SettingsError, match="chmod 600"):
        server_secret(settings)


def test_secrets_stay_out_of_the_settings_repr() -> None:
    """The settings' repr shows neither the auth secret nor the API key."""
    settings = Settings.from_env(
        {
            "OBSERVABILITY_AUTH_SECRET": "a-very-long-server-secret-0123456789",
            "OBSERVABILITY_API_KEY": "obs_key",
        }
    )
    assert "a-very-long-server-secret" not in repr(settings)
    assert "obs_key" not in repr(settings)


def test_boolean_settings_parse(tmp_path: Path) -> None:
    """`false`/`0`/`no` turn a boolean setting off; anything else is an error naming it."""
    assert not Settings.from_env({"OBSERVABILITY_METRICS_PUBLIC": "false"}).metrics_public
    assert Settings.from_env({"OBSERVABILITY_INSECURE_NO_AUTH": "1"}).insecure_no_auth
    with pytest.raises(SettingsError, match="OBSERVABILITY_METRICS_PUBLIC: 'maybe'"):
        Settings.from_env({"OBSERVABILITY_METRICS_PUBLIC": "maybe"})
    config = tmp_path / "c.toml"
    config.write_text("metrics_public = false\ncors_origins = ['https://ui.example']\n")
    loaded = Settings.from_env({"OBSERVABILITY_CONFIG": str(config)})
    assert not loaded.metrics_public and loaded.cors_origins == ("https://ui.example",)
