"""Each Lambda zip, unpacked into a clean Python 3.12 with only boto3, handles its event."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import orjson
import pytest

from observability.catalog.apply import CatalogApplier, CatalogConfig
from observability.core.aws import AwsClients

pytestmark = pytest.mark.aws

EVENTS = Path(__file__).resolve().parents[1] / "events"
ROOT = Path(__file__).resolve().parents[2]
BUCKET = "observability-data"
LOG_KEY = (
    "logs/service=checkout/dt=2026-11-23/hour=13/"
    "observability-logs-1-2026-11-23-13-04-10-5b0e1c2a.gz"
)


def _run(python: Path, zip_path: Path, task: Path, event: Path, env: dict[str, str]) -> Any:
    """Unpack the zip, import its handler, call it on the event; the parsed response."""
    zipfile.ZipFile(zip_path).extractall(task)
    script = (
        "import json, sys, handler, observability\n"
        "assert observability.__file__.startswith(sys.argv[2]), observability.__file__\n"
        "print(json.dumps(handler.handler(json.load(open(sys.argv[1])), None), default=str))\n"
    )
    done = subprocess.run(
        [str(python), "-s", "-c", script, str(event), str(task)],
        cwd=task,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(task), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def aws_env(aws: AwsClients, moto_url: str, tmp_path: Path) -> dict[str, str]:
    """The variables a function gets, pointed at moto, with the data bucket and catalog."""
    aws.client("s3").create_bucket(Bucket=BUCKET)
    CatalogApplier(
        aws.client("glue"), aws.client("athena"), CatalogConfig(f"s3://{BUCKET}")
    ).apply()
    record = {
        "schema_version": 1,
        "kind": "log",
        "record_id": "r1",
        "timestamp": "2026-11-23T13:04:00.000000Z",
        "level": "error",
        "service": "checkout",
        "event": "payment declined",
        "ingested_at": "2026-11-23T13:04:01.000000Z",
    }
    aws.client("s3").put_object(
        Bucket=BUCKET, Key=LOG_KEY, Body=gzip.compress(orjson.dumps(record) + b"\n")
    )
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "OBSERVABILITY_AWS_ENDPOINT_URL": moto_url,
        "OBSERVABILITY_STORE_URL": f"s3://{BUCKET}",
        "OBSERVABILITY_STATE_DIR": str(tmp_path / "state"),
    }


def test_transform_and_registrar(
    packaged: Path, lambda_python: Path, aws_env: dict[str, str], tmp_path: Path
) -> None:
    """The transform answers Firehose's event; the registrar registers EventBridge's object."""
    zips = packaged / "lambdas"
    out = _run(
        lambda_python,
        zips / "firehose_transform.zip",
        tmp_path / "transform",
        EVENTS / "kinesisFirehoseTransformEvent.json",
        aws_env,
    )
    assert [r["result"] for r in out["records"]] == ["Ok", "Ok", "Ok"]
    out = _run(
        lambda_python,
        zips / "partition_registrar.zip",
        tmp_path / "registrar",
        EVENTS / "s3EventBridgeObjectCreated.json",
        aws_env,
    )
    assert out == {"created": 1, "existing": 0, "ignored": 0}


def test_api_answers_health(
    packaged: Path, lambda_python: Path, aws_env: dict[str, str], tmp_path: Path
) -> None:
    """The API's zip answers an HTTP API (v2) request for /healthz with 200."""
    env = {**aws_env, "OBSERVABILITY_QUERY_ENGINE": "athena", "OBSERVABILITY_ROLES": "api"}
    out = _run(
        lambda_python,
        packaged / "lambdas" / "api.zip",
        tmp_path / "api",
        EVENTS / "apiGatewayV2HttpEvent.json",
        env,
    )
    assert out["statusCode"] == 200


def test_alert_evaluator_runs_a_pass(
    packaged: Path, lambda_python: Path, aws_env: dict[str, str], tmp_path: Path
) -> None:
    """The evaluator's zip (with alerts.yaml added as deploy does) runs one scheduled pass."""
    from observability.deploy.artifacts import ALERTS_ENTRY, with_entry

    built = with_entry(
        (packaged / "lambdas" / "alerts_eval.zip").read_bytes(),
        ALERTS_ENTRY,
        (ROOT / "alerts.example.yaml").read_bytes(),
    )
    zip_path = tmp_path / "alerts_eval.zip"
    zip_path.write_bytes(built)
    task = tmp_path / "alerts"
    env = {
        **aws_env,
        "OBSERVABILITY_QUERY_ENGINE": "athena",
        "OBSERVABILITY_ALERTS_CONFIG": str(task / ALERTS_ENTRY),
    }
    out = _run(lambda_python, zip_path, task, EVENTS / "eventBridgeScheduledEvent.json", env)
    assert isinstance(out, dict) and out


def test_indexer_indexes_an_eventbridge_object(
    packaged: Path,
    lambda_python: Path,
    aws_env: dict[str, str],
    opensearch_url: str,
    tmp_path: Path,
) -> None:
    """The indexer's zip reads the object EventBridge names and indexes its record."""
    env = {**aws_env, "OBSERVABILITY_OPENSEARCH_URL": opensearch_url}
    out = _run(
        lambda_python,
        packaged / "lambdas" / "s3_to_opensearch.zip",
        tmp_path / "indexer",
        EVENTS / "s3EventBridgeObjectCreated.json",
        env,
    )
    assert out["objects"] == [LOG_KEY]
    assert out["indexed"] + out["duplicate"] == 1
    assert out["failed"] == 0
