"""A worker process for the lease tests: the real worker and drift job over an S3 store.

Run as `python -m tests.worker.drift_worker --endpoint URL --bucket B --models FILE
--minute ISO --name NAME --ready DIR --peers N --hold SECONDS --ttl SECONDS --out FILE`.
It builds a Runtime on the moto server, waits until `peers` processes are ready (files
in `ready`), ticks the worker at `minute` until nothing is pending, and writes what it
ran as JSON to `out`. `hold` makes each drift run last that long first, so two workers
overlap for certain (and a process can be killed while it holds the lease).
"""

from __future__ import annotations

import argparse
import logging
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import orjson

from observability.analyze.config import load_models
from observability.analyze.job import DriftJob
from observability.analyze.results import DriftResult
from observability.core.settings import Settings
from observability.runtime import Runtime
from observability.worker.drift import DriftWindows
from observability.worker.runner import SystemClock, Worker


class SlowDriftJob(DriftJob):
    """The real drift job, counting its runs, each starting after `hold` seconds."""

    def __init__(self, *args: Any, hold: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hold = hold
        self.calls = 0

    def run(self, name: str, start: datetime, end: datetime, progress: Any = None) -> DriftResult:
        self.calls += 1
        time.sleep(self.hold)
        return super().run(name, start, end, progress)


def main() -> None:
    parser = argparse.ArgumentParser()
    for option in ("endpoint", "bucket", "models", "minute", "name", "ready", "out"):
        parser.add_argument(f"--{option}", required=True)
    parser.add_argument("--peers", type=int, default=1)
    parser.add_argument("--hold", type=float, default=0.0)
    parser.add_argument("--ttl", type=float, default=5.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)

    settings = Settings(
        store_url=f"s3://{args.bucket}/obs", aws_endpoint_url=args.endpoint, aws_region="us-east-1"
    )
    session = boto3.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 (moto's dummy credentials)
        region_name="us-east-1",
    )
    runtime = Runtime(settings, session=session)
    models = load_models(Path(args.models))
    job = SlowDriftJob(runtime.store, runtime.query_engine(), models, hold=args.hold)
    windows = DriftWindows(runtime.store, models, lambda: job, label_lookback=timedelta(0))
    windows.drift_job()
    ttl = timedelta(seconds=args.ttl)
    worker = Worker(
        runtime.store,
        runtime.metrics,
        [windows],
        clock=SystemClock(),
        holder=args.name,
        lease_ttl=ttl,
        renew_every=args.ttl / 4,
    )

    ready = Path(args.ready)
    (ready / args.name).touch()
    while len(list(ready.iterdir())) < args.peers:
        time.sleep(0.01)

    minute = datetime.fromisoformat(args.minute)
    runs = worker.tick(minute)
    deadline = time.monotonic() + 120
    while worker.pending() and time.monotonic() < deadline:
        time.sleep(0.2)
        runs += worker.tick(minute)
    busy = runtime.metrics.registry.get_sample_value(
        "observability_jobs_total", {"job": "drift", "outcome": "busy"}
    )
    result = {
        "runs": [[run.target, run.status.value] for run in runs],
        "calls": job.calls,
        "busy": busy or 0,
        "pending": len(worker.pending()),
    }
    Path(args.out).write_bytes(orjson.dumps(result))


if __name__ == "__main__":
    main()
