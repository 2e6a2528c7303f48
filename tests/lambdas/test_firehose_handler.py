"""The Lambda handler answers AWS-shaped events with the documented response shape."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lambdas.firehose_transform import handler as lambda_handler

ROOT = Path(__file__).parent.parent.parent
EVENTS = ROOT / "tests" / "events"
FIXTURES = [
    "kinesisFirehoseTransformEvent.json",
    "kinesisFirehoseAggregatedEvent.json",
    "kinesisFirehoseMixedEvent.json",
]


def check_shape(event: dict[str, Any], response: dict[str, Any]) -> None:
    """The data-transformation contract: one entry per recordId, in order, typed fields."""
    assert set(response) == {"records"}
    entries = response["records"]
    assert [e["recordId"] for e in entries] == [r["recordId"] for r in event["records"]]
    for entry in entries:
        assert entry["result"] in ("Ok", "Dropped", "ProcessingFailed")
        base64.b64decode(entry["data"], validate=True)
        if entry["result"] == "Ok":
            assert set(entry) == {"recordId", "result", "data", "metadata"}
            keys = entry["metadata"]["partitionKeys"]
            assert set(keys) in ({"service", "dt", "hour"}, {"model", "dt", "hour"})
        else:
            assert set(entry) == {"recordId", "result", "data"}
    json.dumps(response)  # what the runtime does with it


@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_events_get_the_documented_shape(name: str, tmp_path: Path) -> None:
    """Each fixture event: contract shape, and errors/ written under the local store."""
    event = json.loads((EVENTS / name).read_text())
    store = tmp_path / "store"
    app = lambda_handler.build({"OBSERVABILITY_STORE_URL": store.as_uri()})
    response = app.handle(event)
    check_shape(event, response)
    written = sorted(p.relative_to(store).as_posix() for p in store.rglob("*.json.gz"))
    errors = [key for key in written if key.startswith("errors/")]
    if name == "kinesisFirehoseMixedEvent.json":
        reasons = {key.split("/")[2] for key in errors}
        assert {"malformed_json", "bad_encoding"} <= reasons
        assert all(key.startswith("errors/transform/") and "/dt=" in key for key in errors)
        # the line of another partition, written there by the transform itself
        assert [k.rpartition("/")[0] for k in written if k not in errors] == [
            "logs/service=payments/dt=2026-11-23/hour=13"
        ]
    else:
        assert written == []


def test_import_reads_no_environment() -> None:
    """Importing the handler builds nothing; the first call does (cold start)."""
    assert lambda_handler._transformer.cache_info().currsize == 0


def test_cold_start_from_the_process_environment(tmp_path: Path) -> None:
    """`handler(event, context)` in a fresh process builds from its environment and answers."""
    event_path = EVENTS / "kinesisFirehoseMixedEvent.json"
    store = tmp_path / "store"
    script = (
        "import json, sys\n"
        "import handler\n"
        "event = json.load(open(sys.argv[1]))\n"
        "print(json.dumps(handler.handler(event, None)))\n"
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OBSERVABILITY_")},
        "OBSERVABILITY_STORE_URL": store.as_uri(),
        "PYTHONPATH": os.pathsep.join(
            [str(ROOT / "lambdas" / "firehose_transform"), str(ROOT / "src")]
        ),
    }
    done = subprocess.run(
        [sys.executable, "-c", script, str(event_path)],
        env=env,
        capture_output=True,
        timeout=60,
        check=True,
    )
    response = json.loads(done.stdout)
    check_shape(json.loads(event_path.read_text()), response)
    assert [e["result"] for e in response["records"]] == [
        "Ok",
        "ProcessingFailed",
        "ProcessingFailed",
        "Dropped",
        "Ok",
    ]
    assert list(store.glob("errors/transform/naive_timestamp/dt=*/*.json.gz"))
