"""The console script: commands work end to end, and every failure is one line and a status."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

from observability.cli import main
from observability.core.aws import AwsClients
from observability.store.local import LocalStore
from tests.servers import free_port, wait_http

SCRIPT = Path(sys.executable).parent / "observability"


def sample(path: Path, count: int = 50) -> Path:
    """An NDJSON file of log records in hour 13 of two services, plus one broken line."""
    lines = [
        orjson.dumps(
            {
                "timestamp": f"2026-11-23T13:{i % 60:02d}:00Z",
                "level": "info",
                "service": ("checkout", "search")[i % 2],
                "event": f"event {i}",
            }
        )
        for i in range(count)
    ]
    path.write_bytes(b"\n".join([*lines, b"{not json"]))
    return path


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    """Run the CLI in process, as the console script would."""
    return CliRunner().invoke(main, list(args), env=env)


def assert_one_line_error(result: Result, status: int) -> None:
    """Exit status as given; stderr is exactly one `error: ...` line, never a traceback."""
    assert result.exit_code == status, (result.output, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr


def test_ingest_then_compact(tmp_path: Path) -> None:
    """A backfill lands in the store; compaction writes Parquet, and a re-run is up to date."""
    store_url = (tmp_path / "store").as_uri()
    source = str(sample(tmp_path / "in.ndjson"))
    ingested = invoke("--store-url", store_url, "ingest", source, "--kind", "log")
    assert ingested.exit_code == 0, ingested.stderr
    assert "accepted" in ingested.output
    assert "malformed_json" in ingested.output
    store = LocalStore(tmp_path / "store")
    assert len(list(store.list("logs/"))) == 2
    assert len(list(store.list("errors/ingest/malformed_json/"))) == 1
    args = ("--store-url", store_url, "compact", "--kind", "logs", "--hour", "2026-11-23T13")
    compacted = invoke(*args)
    assert compacted.exit_code == 0, compacted.stderr
    assert compacted.output.count("written") == 2
    key = "compacted/logs/service=search/dt=2026-11-23/hour=13/part-0000.parquet"
    assert pq.read_table(pa.BufferReader(store.get(key))).num_rows == 25
    again = invoke(*args)
    assert again.output.count("up to date") == 2


def test_compact_since_rolls_up_closed_days(tmp_path: Path) -> None:
    """--since compacts each hour and rolls each closed day's hours up into one file."""
    store_url = (tmp_path / "store").as_uri()
    lines = [
        orjson.dumps(
            {
                "timestamp": f"2026-11-23T{hour:02d}:{i:02d}:00Z",
                "level": "info",
                "service": "checkout",
                "event": "request handled",
            }
        )
        for hour in (9, 10, 11)
        for i in range(5)
    ]
    (tmp_path / "in.ndjson").write_bytes(b"\n".join(lines))
    ingest = ("ingest", str(tmp_path / "in.ndjson"), "--kind", "log")
    assert invoke("--store-url", store_url, *ingest).exit_code == 0
    since_ten = ("--store-url", store_url, "compact", "--kind", "logs", "--since", "2026-11-23T10")
    compacted = invoke(*since_ten)
    assert compacted.exit_code == 0, compacted.stderr
    assert compacted.output.count("│ written") == 2  # hours 10 and 11; 09 is before --since
    assert "day: hour pending" in compacted.output
    whole_day = ("--store-url", store_url, "compact", "--since", "2026-11-23")
    compacted = invoke(*whole_day)
    assert compacted.output.count("│ written") == 1  # hour 09
    assert "day: written" in compacted.output
    store = LocalStore(tmp_path / "store")
    key = "compacted/logs/service=checkout/dt=2026-11-23/part-0000.parquet"
    assert pq.read_table(pa.BufferReader(store.get(key))).num_rows == 15
    assert "day: up to date" in invoke(*whole_day).output


def test_compact_since_with_nothing_to_do(tmp_path: Path) -> None:
    """--since over an empty store says so and succeeds."""
    result = invoke("--store-url", str(tmp_path), "compact", "--since", "6h")
    assert result.exit_code == 0, result.stderr
    assert "nothing to compact" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["ingest", "no-such-file.ndjson"],
        ["ingest", "{sample}", "--kind", "metric"],
        ["compact"],
        ["compact", "--hour", "2026-11-23T13", "--since", "2h"],
        ["compact", "--hour", "half past one"],
        ["compact", "--since", "yesterday"],
        ["serve", "--port", "70000"],
        ["--config", "missing.toml", "demo"],
        ["no-such-command"],
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    """Bad flags, values, commands and missing files: one readable line, status 2."""
    path = str(sample(tmp_path / "in.ndjson"))
    result = invoke("--store-url", str(tmp_path), *[a.replace("{sample}", path) for a in args])
    assert_one_line_error(result, 2)


def test_runtime_errors_exit_1(tmp_path: Path) -> None:
    """Settings errors from flags, the environment or the config file: one line, status 1."""
    bad_scheme = invoke("--store-url", "ftp://host/x", "compact", "--since", "1h")
    assert_one_line_error(bad_scheme, 1)
    assert "unsupported scheme 'ftp'" in bad_scheme.stderr
    bad_env = invoke("serve", env={"OBSERVABILITY_BUFFER_MAX_BYTES": "lots"})
    assert_one_line_error(bad_env, 1)
    assert "OBSERVABILITY_BUFFER_MAX_BYTES" in bad_env.stderr
    config = tmp_path / "bad.toml"
    config.write_text("store_url = [unclosed\n")
    bad_config = invoke("--config", str(config), "compact", "--since", "1h")
    assert_one_line_error(bad_config, 1)
    assert "not valid TOML" in bad_config.stderr


def test_console_script_reports_errors_in_one_line(tmp_path: Path) -> None:
    """The installed script itself: a usage error is 2, a runtime error is 1, one line each."""
    env = {**os.environ, "OBSERVABILITY_STORE_URL": "ftp://nowhere"}
    runtime = subprocess.run(
        [str(SCRIPT), "compact", "--since", "1h"], capture_output=True, env=env, check=False
    )
    assert runtime.returncode == 1
    assert runtime.stderr.decode().strip().splitlines() == [
        "error: OBSERVABILITY_STORE_URL: unsupported scheme 'ftp' (use file:// or s3://)"
    ]
    usage = subprocess.run(
        [str(SCRIPT), "ingest", str(tmp_path / "absent.ndjson")], capture_output=True, check=False
    )
    assert usage.returncode == 2
    lines = usage.stderr.decode().strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ") and "absent.ndjson" in lines[0]


def test_serve_answers_healthz(tmp_path: Path) -> None:
    """`serve` answers GET /healthz with 200 and exits 0 after a graceful Ctrl-C shutdown."""
    port = free_port()
    env = {
        **os.environ,
        "OBSERVABILITY_STORE_URL": (tmp_path / "store").as_uri(),
        "OBSERVABILITY_STATE_DIR": str(tmp_path / "state"),
    }
    proc = subprocess.Popen(
        [str(SCRIPT), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}/healthz"
        wait_http(url, proc=proc)
        with urllib.request.urlopen(url, timeout=5) as response:
            assert response.status == 200
            assert json.loads(response.read()) == {"status": "ok"}
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output.decode()
    assert b"Application shutdown complete" in output


@pytest.mark.aws
def test_ingest_and_compact_on_s3(tmp_path: Path, aws: AwsClients, moto_url: str) -> None:
    """With an s3:// store URL the same commands write to the bucket (moto)."""
    aws.s3().create_bucket(Bucket="cli-store")
    env = {
        "OBSERVABILITY_STORE_URL": "s3://cli-store/prod",
        "OBSERVABILITY_AWS_ENDPOINT_URL": moto_url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }
    source = str(sample(tmp_path / "in.ndjson", count=10))
    assert invoke("ingest", source, "--kind", "logs", env=env).exit_code == 0
    compacted = invoke("compact", "--since", "2026-11-23", env=env)
    assert compacted.exit_code == 0, compacted.stderr
    listing = aws.s3().list_objects_v2(Bucket="cli-store", Prefix="prod/compacted/logs/")
    parquet = [o["Key"] for o in listing["Contents"] if o["Key"].endswith(".parquet")]
    assert len(parquet) == 2
