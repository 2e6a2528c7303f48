"""The partition registrar Lambda handler, run as the runtime would: env vars and an event."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from observability.catalog.apply import CatalogApplier, CatalogConfig
from observability.core.aws import AwsClients

ROOT = Path(__file__).resolve().parents[2]
EVENT = ROOT / "tests" / "events" / "s3_object_created_batch.json"
STORE_URL = "s3://observability-data/store"


@pytest.mark.aws
def test_handler_registers_partitions_from_an_s3_event(aws: AwsClients, moto_url: str) -> None:
    """A cold-started handler reads its settings from the environment and registers partitions."""
    glue = aws.client("glue")
    CatalogApplier(glue, aws.client("athena"), CatalogConfig(STORE_URL, database="obs")).apply()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
        "OBSERVABILITY_STORE_URL": STORE_URL,
        "OBSERVABILITY_GLUE_DATABASE": "obs",
        "OBSERVABILITY_AWS_ENDPOINT_URL": moto_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    script = (
        "import json, sys\n"
        "from lambdas.partition_registrar import handler\n"
        "event = json.load(open(sys.argv[1]))\n"
        "print(json.dumps([handler.handler(event, None), handler.handler(event, None)]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(EVENT)],
        env=env,
        capture_output=True,
        timeout=60,
        check=True,
    )
    first, second = json.loads(done.stdout)
    assert first == {"created": 6, "existing": 0, "ignored": 6}
    assert second == {"created": 0, "existing": 6, "ignored": 6}
    found = glue.get_partitions(
        DatabaseName="obs", TableName="logs_ndjson", Expression="service = 'payments-api'"
    )["Partitions"]
    assert [p["Values"] for p in found] == [["payments-api", "2026-11-23", "13"]]
