"""The README's SDK example and its integration snippets run as written; their records
pass the transform."""

from __future__ import annotations

import base64
import os
import re
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from lambdas.firehose_transform import handler as lambda_handler

from observability.core.aws import AwsClients
from observability.core.settings import Settings
from observability.transform.lines import split_lines, transform_lines
from tests.servers import free_port, wait_http

ROOT = Path(__file__).resolve().parents[1]


def test_sdk_example_runs_and_emits_valid_records(tmp_path: Path) -> None:
    """The first Python block of the README, run with the file sink, writes valid records."""
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```python\n(.*?)```", readme, re.DOTALL)
    assert block is not None
    script = tmp_path / "example.py"
    script.write_text(block.group(1))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OBSERVABILITY_")},
        "OBSERVABILITY_SINK": "file",
        "OBSERVABILITY_STATE_DIR": str(tmp_path / "state"),
    }
    done = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    out = tmp_path / "state" / "out"
    lines = [line for path in sorted(out.iterdir()) for line in split_lines(path.read_bytes())]
    processed = transform_lines(lines, None, "2026-11-23T00:00:00.000000Z")
    assert processed.rejected == []
    kinds = sorted(orjson.loads(a.line)["kind"] for a in processed.accepted)
    assert kinds == ["label", "log", "prediction"]
    [log] = [orjson.loads(a.line) for a in processed.accepted if b'"kind":"log"' in a.line]
    assert log["trace_id"] == "4bf92f35…"
    assert "4111" not in log["attributes"]["card"]


# --- the Integrations section: each snippet, run the way its comment says ------------------


def integration_snippets() -> dict[str, str]:
    """`### heading` -> the Python block under it, for the README's Integrations section."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Integrations\n", 1)[1].split("\n## ", 1)[0]
    snippets = {}
    for part in section.split("\n### ")[1:]:
        heading, _, body = part.partition("\n")
        block = re.search(r"```python\n(.*?)```", body, re.DOTALL)
        assert block is not None, heading
        snippets[heading.strip()] = block.group(1)
    return snippets


def file_sink_env(state: Path, **extra: str) -> dict[str, str]:
    """This environment without OBSERVABILITY_* variables, the file sink under `state`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OBSERVABILITY_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return {**env, "OBSERVABILITY_SINK": "file", "OBSERVABILITY_STATE_DIR": str(state), **extra}


def written(state: Path) -> list[dict[str, Any]]:
    """The file sink's log records, each one valid for the transform."""
    lines = split_lines((state / "out" / "logs.ndjson").read_bytes())
    processed = transform_lines(lines, None, "2026-12-03T00:00:00.000000Z")
    assert processed.rejected == []
    return [orjson.loads(accepted.line) for accepted in processed.accepted]


def test_the_integrations_section_has_a_snippet_per_integration() -> None:
    """FastAPI, Flask, Lambda, OpenTelemetry and CloudWatch Logs each have their snippet."""
    assert list(integration_snippets()) == [
        "FastAPI and other ASGI apps",
        "Flask and other WSGI apps",
        "AWS Lambda",
        "OpenTelemetry",
        "CloudWatch Logs",
    ]


def uvicorn(port: int) -> list[str]:
    """`uvicorn app:app` on `port`."""
    return ["-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port", str(port)]


def waitress(port: int) -> list[str]:
    """`waitress-serve app:app` on `port`."""
    return ["-m", "waitress", f"--listen=127.0.0.1:{port}", "app:app"]


@pytest.mark.parametrize(
    ("heading", "server"),
    [("FastAPI and other ASGI apps", uvicorn), ("Flask and other WSGI apps", waitress)],
)
def test_web_snippets_serve_and_log_with_the_request_id(
    tmp_path: Path, heading: str, server: Any
) -> None:
    """The app snippet under its server: the request's line and its access record arrive,
    both with the request id the response echoes."""
    (tmp_path / "app.py").write_text(integration_snippets()[heading])
    port = free_port()
    argv = server(port)
    proc = subprocess.Popen(
        [sys.executable, *argv],
        env=file_sink_env(tmp_path / "state"),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/orders/0", proc=proc)
        answer = httpx.get(f"http://127.0.0.1:{port}/orders/7", headers={"X-Request-ID": "r-7"})
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    assert answer.json() == {"order_id": 7}
    assert answer.headers["x-request-id"] == "r-7"
    records = [r for r in written(tmp_path / "state") if r.get("request_id") == "r-7"]
    assert [(r["logger"], r["event"]) for r in records] == [
        (records[0]["service"], "order looked up"),
        ("observability.access", "GET /orders/7 200"),
    ]


def test_lambda_snippet_binds_the_invocation(tmp_path: Path) -> None:
    """The handler snippet, called as the Lambda runtime does, logs with the invocation's
    request id, function and cold start."""
    (tmp_path / "handler.py").write_text(integration_snippets()["AWS Lambda"])
    call = (
        "from types import SimpleNamespace\n"
        "from handler import handler\n"
        "context = SimpleNamespace(aws_request_id='req-1', function_name='refunds',\n"
        "    function_version='3', get_remaining_time_in_millis=lambda: 30_000)\n"
        "assert handler({'order_id': 7}, context) == {'status': 'accepted'}\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", call],
        env=file_sink_env(tmp_path / "state"),
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    [record] = written(tmp_path / "state")
    assert record["request_id"] == "req-1"
    assert record["attributes"] == {
        "function_name": "refunds",
        "function_version": "3",
        "cold_start": True,
        "order_id": 7,
    }


def test_opentelemetry_snippet_logs_the_span_ids(tmp_path: Path) -> None:
    """Inside the snippet's span, the record carries W3C trace and span ids."""
    script = tmp_path / "otel_example.py"
    script.write_text(integration_snippets()["OpenTelemetry"])
    done = subprocess.run(
        [sys.executable, str(script)],
        env=file_sink_env(tmp_path / "state"),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    [record] = written(tmp_path / "state")
    assert re.fullmatch(r"[0-9a-f]{32}", record["trace_id"])
    assert re.fullmatch(r"[0-9a-f]{16}", record["span_id"])


@pytest.mark.aws
def test_cloudwatch_snippet_subscribes_and_the_transform_files_the_events(
    tmp_path: Path, aws: AwsClients, aws_settings: Settings
) -> None:
    """The snippet subscribes a log group to a (moto) delivery stream; what CloudWatch Logs
    then delivers, run through the transform Lambda, is stored as the group's log records."""
    s3, firehose, logs = (
        aws.s3(),
        aws.firehose(),
        aws.session.client("logs", endpoint_url=aws_settings.aws_endpoint_url),
    )
    s3.create_bucket(Bucket="raw")
    arn = firehose.create_delivery_stream(
        DeliveryStreamName="observability-cloudwatch",
        DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration={
            "RoleARN": "arn:aws:iam::123456789012:role/firehose",
            "BucketARN": "arn:aws:s3:::raw",
            "Prefix": "raw/",
        },
    )["DeliveryStreamARN"]
    logs.create_log_group(logGroupName="/aws/lambda/checkout-api")
    logs.create_log_stream(logGroupName="/aws/lambda/checkout-api", logStreamName="s1")
    env = {
        **file_sink_env(tmp_path / "state"),
        "AWS_ENDPOINT_URL": str(aws_settings.aws_endpoint_url),
        "AWS_DEFAULT_REGION": aws_settings.aws_region,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",  # moto's dummy credentials
        "CLOUDWATCH_STREAM_ARN": arn,
        "CLOUDWATCH_ROLE_ARN": "arn:aws:iam::123456789012:role/cwl-to-firehose",
    }
    script = tmp_path / "subscribe.py"
    script.write_text(integration_snippets()["CloudWatch Logs"])
    done = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    logs.put_log_events(
        logGroupName="/aws/lambda/checkout-api",
        logStreamName="s1",
        logEvents=[
            {"timestamp": 1796292000000, "message": "ERROR card declined"},
            {"timestamp": 1796292000500, "message": '{"level": "INFO", "message": "retried"}'},
        ],
    )
    [item] = s3.list_objects_v2(Bucket="raw")["Contents"]
    payload = s3.get_object(Bucket="raw", Key=item["Key"])["Body"].read()
    event = {
        "invocationId": "inv-1",
        "deliveryStreamArn": arn,
        "region": aws_settings.aws_region,
        "records": [{"recordId": "rec-1", "data": base64.b64encode(payload).decode()}],
    }
    store = tmp_path / "store"
    response = lambda_handler.build({"OBSERVABILITY_STORE_URL": store.as_uri()}).handle(event)
    [entry] = response["records"]
    assert entry["result"] == "Ok"
    assert entry["metadata"]["partitionKeys"] == {
        "service": "checkout-api",
        "dt": "2026-12-03",
        "hour": "10",
    }
    records = [orjson.loads(line) for line in base64.b64decode(entry["data"]).splitlines()]
    assert [(r["level"], r["event"]) for r in records] == [
        ("error", "ERROR card declined"),
        ("info", "retried"),
    ]
