"""Settings come from a mapping, a TOML file and explicit overrides, in that order of weight."""

from __future__ import annotations

from pathlib import Path

import pytest

from observability.core.errors import SettingsError
from observability.core.schema import Kind
from observability.core.settings import Settings


def test_defaults_need_no_environment() -> None:
    """An empty mapping gives the embedded local defaults."""
    settings = Settings.from_env({})
    assert settings.store_url.startswith("file://")
    assert settings.buffer_max_bytes == 5 * 1024 * 1024
    assert settings.buffer_max_seconds == 60.0
    assert settings.aws_endpoint_url is None


def test_prefixed_variables_are_typed() -> None:
    """`OBSERVABILITY_*` values are converted to the field's type."""
    settings = Settings.from_env(
        {
            "OBSERVABILITY_STORE_URL": "s3://bucket/prefix",
            "OBSERVABILITY_BUFFER_MAX_BYTES": "1024",
            "OBSERVABILITY_BUFFER_MAX_SECONDS": "2.5",
            "OBSERVABILITY_AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
            "OBSERVABILITY_STATE_DIR": "/var/lib/obs",
            "OBSERVABILITY_REDACT_KEYS": "session, x-api-key",
            "OBSERVABILITY_SINK": "firehose",
            "UNRELATED": "ignored",
        }
    )
    assert settings.store_url == "s3://bucket/prefix"
    assert settings.buffer_max_bytes == 1024
    assert settings.buffer_max_seconds == 2.5
    assert settings.aws_endpoint_url == "http://127.0.0.1:5000"
    assert settings.state_dir == Path("/var/lib/obs")
    assert settings.journal_dir == Path("/var/lib/obs/journal")
    assert settings.redact_keys == ("session", "x-api-key")
    assert settings.sink == "firehose"


def test_bad_value_names_the_variable() -> None:
    """A value that cannot be converted raises an error naming the variable."""
    with pytest.raises(SettingsError, match="OBSERVABILITY_BUFFER_MAX_BYTES"):
        Settings.from_env({"OBSERVABILITY_BUFFER_MAX_BYTES": "five megabytes"})
    with pytest.raises(SettingsError, match=r"OBSERVABILITY_SINK.*firehose, http, file, stdout"):
        Settings.from_env({"OBSERVABILITY_SINK": "kafka"})


def test_config_file_is_weaker_than_environment_and_overrides(tmp_path: Path) -> None:
    """The TOML file fills in values; variables beat it and explicit overrides beat both."""
    config = tmp_path / "observability.toml"
    config.write_text('store_url = "file:///from-file"\nport = 9000\nenv = "staging"\n')
    settings = Settings.from_env(
        {"OBSERVABILITY_CONFIG": str(config), "OBSERVABILITY_PORT": "9100"}, env="prod"
    )
    assert settings.store_url == "file:///from-file"
    assert settings.port == 9100
    assert settings.env == "prod"


def test_config_file_errors_are_readable(tmp_path: Path) -> None:
    """A missing file, bad TOML or an unknown key each give one clear message."""
    with pytest.raises(SettingsError, match="no such file"):
        Settings.from_env({"OBSERVABILITY_CONFIG": str(tmp_path / "missing.toml")})
    bad = tmp_path / "bad.toml"
    bad.write_text("store_url = \n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        Settings.from_env({"OBSERVABILITY_CONFIG": str(bad)})
    unknown = tmp_path / "unknown.toml"
    unknown.write_text('colour = "blue"\n')
    with pytest.raises(SettingsError, match="unknown setting 'colour'"):
        Settings.from_env({"OBSERVABILITY_CONFIG": str(unknown)})


def test_unknown_override_is_refused() -> None:
    """A misspelt explicit override fails instead of being ignored."""
    with pytest.raises(SettingsError, match="stor_url"):
        Settings.from_env({}, stor_url="x")


def test_one_stream_per_kind() -> None:
    """Each record kind has its own delivery stream, configurable by variable."""
    settings = Settings.from_env({"OBSERVABILITY_FIREHOSE_STREAM_LABELS": "ml-labels"})
    assert settings.firehose_stream(Kind.LOG) == "observability-logs"
    assert settings.firehose_stream(Kind.PREDICTION) == "observability-predictions"
    assert settings.firehose_stream(Kind.LABEL) == "ml-labels"


def test_opensearch_auth_is_one_of_three() -> None:
    """The OpenSearch auth mode is validated like the other enumerations."""
    assert Settings.from_env({"OBSERVABILITY_OPENSEARCH_AUTH": "sigv4"}).opensearch_auth == "sigv4"
    with pytest.raises(SettingsError, match="OBSERVABILITY_OPENSEARCH_AUTH"):
        Settings.from_env({"OBSERVABILITY_OPENSEARCH_AUTH": "kerberos"})
