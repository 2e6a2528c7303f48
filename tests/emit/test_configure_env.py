"""`configure(service=…)` alone: the sink and the rest from `OBSERVABILITY_*` settings."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

import observability
from observability.core.errors import SettingsError


def lines(state: Path) -> list[dict[str, object]]:
    """The file sink's log records."""
    path = state / "out" / "logs.ndjson"
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_one_call_builds_the_sink_and_reads_the_settings(tmp_path: Path) -> None:
    """Sink, env, level and extra redaction keys come from the variables."""
    observability.configure(
        service="checkout",
        environ={
            "OBSERVABILITY_SINK": "file",
            "OBSERVABILITY_STATE_DIR": str(tmp_path),
            "OBSERVABILITY_ENV": "prod",
            "OBSERVABILITY_LOG_LEVEL": "warning",
            "OBSERVABILITY_REDACT_KEYS": "order_secret",
        },
    )
    log = observability.get_logger()
    log.info("filtered out")
    log.warning("kept", order_secret="not-shown", order_id=7)  # noqa: S106 - redaction under test
    assert observability.shutdown() is True
    (record,) = lines(tmp_path)
    assert (record["service"], record["env"], record["level"]) == ("checkout", "prod", "warning")
    assert record["attributes"] == {"order_secret": "[REDACTED]", "order_id": 7}


def test_arguments_win_over_the_variables(tmp_path: Path) -> None:
    """Explicit service, env and level beat OBSERVABILITY_SERVICE, _ENV and _LOG_LEVEL."""
    observability.configure(
        service="given",
        env="staging",
        level="debug",
        environ={
            "OBSERVABILITY_SINK": "file",
            "OBSERVABILITY_STATE_DIR": str(tmp_path),
            "OBSERVABILITY_SERVICE": "from-env",
            "OBSERVABILITY_ENV": "prod",
            "OBSERVABILITY_LOG_LEVEL": "error",
        },
    )
    observability.get_logger().debug("shown")
    observability.shutdown()
    (record,) = lines(tmp_path)
    assert (record["service"], record["env"], record["level"]) == ("given", "staging", "debug")


def test_service_falls_back_to_its_variable(tmp_path: Path) -> None:
    """Without a service argument, OBSERVABILITY_SERVICE names the service."""
    observability.configure(
        environ={
            "OBSERVABILITY_SINK": "file",
            "OBSERVABILITY_STATE_DIR": str(tmp_path),
            "OBSERVABILITY_SERVICE": "from-env",
        }
    )
    observability.get_logger().info("x")
    observability.shutdown()
    assert lines(tmp_path)[0]["service"] == "from-env"


def test_a_bad_variable_is_named() -> None:
    """A value the settings refuse raises SettingsError naming the variable."""
    with pytest.raises(SettingsError, match="OBSERVABILITY_SINK"):
        observability.configure(service="svc", environ={"OBSERVABILITY_SINK": "carrier-pigeon"})
