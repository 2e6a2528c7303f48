"""The alerts_eval Lambda: an EventBridge scheduled event in, one evaluation pass's summary out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from lambdas.alerts_eval import handler as lambda_handler

from observability.core.errors import ObservabilityError
from observability.core.schema import Kind
from observability.store.local import LocalStore
from tests.alerting.conftest import errors_rule_yaml, log, write

ROOT = Path(__file__).parent.parent.parent
EVENT = ROOT / "tests" / "events" / "eventBridgeScheduledEvent.json"
#: The fixture's `time`.
SCHEDULED = datetime(2026, 12, 1, 10, 5, tzinfo=UTC)


def _setup(tmp_path: Path) -> dict[str, str]:
    """A store with errors around the event's minute, an alerts file, the environment."""
    store = LocalStore(tmp_path / "store", fsync=False)
    errors = [log("checkout", SCHEDULED + timedelta(seconds=s), level="error") for s in (-20, 30)]
    write(store, errors, Kind.LOG)
    rules = tmp_path / "alerts.yaml"
    rules.write_text(errors_rule_yaml())
    return {
        "OBSERVABILITY_STORE_URL": store.root.as_uri(),
        "OBSERVABILITY_ALERTS_CONFIG": str(rules),
        "OBSERVABILITY_PUBLIC_URL": "https://observability.example",
    }


def test_a_scheduled_event_runs_one_pass_at_its_minute(tmp_path: Path) -> None:
    """The event's `time` is the instant; the group is evaluated once per interval."""
    evaluator = lambda_handler.build(_setup(tmp_path))
    event = json.loads(EVENT.read_text())
    first = lambda_handler.run_event(evaluator, event, datetime.now(UTC))
    assert first["now"] == "2026-12-01T10:05:00.000000Z"
    assert first["evaluated"] == ["app"]
    assert first["rules"] == {"ok": ["errors"], "nodata": [], "error": []}
    assert first["transitions"] == [
        "errors {alertname=errors, service=checkout, severity=warning}: inactive -> firing"
    ]
    again = lambda_handler.run_event(evaluator, event, datetime.now(UTC))
    assert again["evaluated"] == [] and list(again["skipped"]) == ["app"]
    later = {**event, "time": "2026-12-01T10:06:00Z"}
    sent = lambda_handler.run_event(evaluator, later, datetime.now(UTC))
    assert sent["evaluated"] == ["app"]
    assert [n.split(" (")[0] for n in sent["notifications"]] == [
        "team <- firing {alertname=errors, service=checkout}"
    ]
    json.dumps(sent)  # what the runtime does with it


def test_a_bad_event_is_a_clear_error(tmp_path: Path) -> None:
    """A time outside the grammar or a malformed group list is refused by name."""
    evaluator = lambda_handler.build(_setup(tmp_path))
    with pytest.raises(ObservabilityError, match="event: time"):
        lambda_handler.run_event(evaluator, {"time": "yesterday"}, SCHEDULED)
    with pytest.raises(ObservabilityError, match="event: `groups`"):
        lambda_handler.run_event(evaluator, {"groups": "app"}, SCHEDULED)


def test_import_reads_no_environment() -> None:
    """Importing the handler builds nothing; the first call does (cold start)."""
    assert lambda_handler._evaluator.cache_info().currsize == 0


def test_cold_start_from_the_process_environment(tmp_path: Path) -> None:
    """`handler(event, context)` in a fresh process builds from its environment and answers."""
    script = (
        "import json, sys\n"
        "import handler\n"
        "event = json.load(open(sys.argv[1]))\n"
        "print(json.dumps(handler.handler(event, None)))\n"
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OBSERVABILITY_")},
        **_setup(tmp_path),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "lambdas" / "alerts_eval"), str(ROOT / "src")]),
    }
    done = subprocess.run(
        [sys.executable, "-c", script, str(EVENT)],
        env=env,
        capture_output=True,
        timeout=120,
        check=True,
    )
    response = orjson.loads(done.stdout)
    assert response["evaluated"] == ["app"]
    assert len(response["transitions"]) == 1
