"""Two worker processes over one moto-server S3 store: a window is computed once, and a
worker killed while holding its lease loses it at expiry to the other."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import orjson
import pytest

from observability.core import keys
from observability.core.aws import AwsClients
from observability.core.settings import Settings
from observability.runtime import Runtime
from observability.worker.drift import DriftWindows
from observability.worker.job import RunStatus
from observability.worker.runner import SystemClock, Worker
from observability.worker.runs import read_runs
from tests.analyze.generated import frame

pytestmark = [pytest.mark.aws, pytest.mark.slow]

BUCKET = "lease-test"
MINUTE = datetime(2026, 12, 1, 1, 5, tzinfo=UTC)
WINDOW = keys.report_id(
    "fraud", MINUTE.replace(minute=0) - timedelta(hours=1), MINUTE.replace(minute=0)
)
ROOT = Path(__file__).resolve().parents[2]
MODELS = """
models:
  - name: fraud
    task: classification
    features: {{num_0: numeric, num_1: numeric, colour: categorical}}
    reference: {{path: {reference}}}
    window: 1h
    schedule: "5 * * * *"
    min_samples: 20
    report_sample_rows: 200
"""


@pytest.fixture
def models_file(tmp_path: Path) -> Path:
    """A models file for `fraud`, hourly at :05, with a reference on local disk."""
    reference = tmp_path / "reference.parquet"
    frame(np.random.default_rng(5), 300, shifted=False).to_parquet(reference)
    path = tmp_path / "models.yaml"
    path.write_text(MODELS.format(reference=reference))
    return path


@pytest.fixture
def runtime(aws: AwsClients, aws_settings: Settings) -> Runtime:
    """A runtime whose store is the moto bucket (what the worker processes use too)."""
    aws.s3().create_bucket(Bucket=BUCKET)
    settings = dataclasses.replace(aws_settings, store_url=f"s3://{BUCKET}/obs")
    return Runtime(settings, session=aws.session)


def _spawn(
    moto_url: str, models: Path, tmp_path: Path, name: str, *, peers: int, hold: float, ttl: float
) -> subprocess.Popen[bytes]:
    ready = tmp_path / "ready"
    ready.mkdir(exist_ok=True)
    command = [sys.executable, "-m", "tests.worker.drift_worker"]
    options = {
        "endpoint": moto_url,
        "bucket": BUCKET,
        "models": str(models),
        "minute": MINUTE.isoformat(),
        "name": name,
        "ready": str(ready),
        "out": str(tmp_path / f"{name}.json"),
        "peers": str(peers),
        "hold": str(hold),
        "ttl": str(ttl),
    }
    for option, value in options.items():
        command += [f"--{option}", value]
    log = (tmp_path / f"{name}.log").open("wb")
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def test_two_workers_compute_a_window_once(
    moto_url: str, models_file: Path, runtime: Runtime, tmp_path: Path
) -> None:
    """Both processes fire at the same minute: one computes, the other waits and then skips."""
    processes = [
        _spawn(moto_url, models_file, tmp_path, name, peers=2, hold=3.0, ttl=4.0)
        for name in ("worker-a", "worker-b")
    ]
    for process in processes:
        assert process.wait(timeout=300) == 0, (tmp_path / "worker-a.log").read_text()
    results = [
        orjson.loads((tmp_path / f"{n}.json").read_bytes()) for n in ("worker-a", "worker-b")
    ]
    assert sum(r["calls"] for r in results) == 1
    assert sorted(run[1] for r in results for run in r["runs"]) == ["ok", "skipped"]
    assert sum(r["busy"] for r in results) >= 1
    assert all(r["pending"] == 0 for r in results)
    store = runtime.store
    assert store.exists(keys.drift_done_key("fraud", WINDOW))
    rows = read_runs(store, "drift")
    assert sorted((r.target, r.status) for r in rows) == [
        (WINDOW, RunStatus.OK),
        (WINDOW, RunStatus.SKIPPED),
    ]
    assert {r.worker for r in rows} == {"worker-a", "worker-b"}
    assert list(store.list(keys.leases_prefix())) == []


def test_a_killed_worker_loses_its_lease_at_expiry(
    moto_url: str,
    models_file: Path,
    runtime: Runtime,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A process killed by SIGKILL mid-run leaves its lease; at expiry another worker takes
    it over and computes the window."""
    ttl = 6.0
    doomed = _spawn(moto_url, models_file, tmp_path, "doomed", peers=1, hold=600.0, ttl=ttl)
    store = runtime.store
    lease_key = keys.lease_key("drift", WINDOW)
    deadline = time.monotonic() + 240
    while not store.exists(lease_key):
        assert doomed.poll() is None, (tmp_path / "doomed.log").read_text()
        assert time.monotonic() < deadline, "the worker never took the lease"
        time.sleep(0.1)
    doomed.send_signal(signal.SIGKILL)
    assert doomed.wait(timeout=30) == -signal.SIGKILL
    assert orjson.loads(store.get(lease_key))["holder"] == "doomed"

    from observability.worker.factory import drift_windows

    windows = drift_windows(runtime, models_file, drift=True)
    assert isinstance(windows, DriftWindows)
    windows.label_lookback = timedelta(0)
    worker = Worker(
        store,
        runtime.metrics,
        [windows],
        clock=SystemClock(),
        holder="survivor",
        lease_ttl=timedelta(seconds=ttl),
    )
    first = worker.tick(MINUTE)
    assert first == []  # the lease is still the dead worker's
    assert ("drift", WINDOW) in worker.pending()
    runs = []
    deadline = time.monotonic() + 120
    while worker.pending() and time.monotonic() < deadline:
        time.sleep(0.2)
        runs += worker.tick(MINUTE)
    assert [(r.target, r.status, r.worker) for r in runs] == [(WINDOW, RunStatus.OK, "survivor")]
    assert "took over doomed's lease" in caplog.text
    assert store.exists(keys.drift_done_key("fraud", WINDOW))
    assert [(r.worker, r.status) for r in read_runs(store, "drift")] == [("survivor", RunStatus.OK)]
    assert not store.exists(lease_key)
