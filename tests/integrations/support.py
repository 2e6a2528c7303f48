"""Real servers and stored records for the integration tests."""

from __future__ import annotations

import gzip
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import orjson

from tests.servers import wait_http
from tests.shutdown.support import Collector, stop

APPS = Path(__file__).resolve().parent / "apps"


def run_server(
    argv: Sequence[str],
    env: Mapping[str, str],
    log_path: Path,
    ready_url: str,
    requests: Callable[[httpx.Client], None],
) -> int:
    """Start `python argv...` in the apps directory, run `requests` once it answers at
    `ready_url`, then SIGTERM it; returns its exit status."""
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, *argv],
            env=dict(env),
            cwd=APPS,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_http(ready_url, proc=proc)
            with httpx.Client(timeout=10) as client:
                requests(client)
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        return stop(proc)


def stored(collector: Collector, service: str) -> list[dict[str, Any]]:
    """Every log record of `service` in the collector's store."""
    out: list[dict[str, Any]] = []
    for path in sorted((collector.store / "logs" / f"service={service}").rglob("*.json.gz")):
        out.extend(
            orjson.loads(line)
            for line in gzip.decompress(path.read_bytes()).splitlines()
            if line.strip()
        )
    return out


def wait_stored(
    collector: Collector,
    service: str,
    done: Callable[[list[dict[str, Any]]], bool],
    timeout: float = 20.0,
) -> list[dict[str, Any]]:
    """The stored records once `done(records)` holds (or the timeout passed), read again a
    little later so a late duplicate would be seen too."""
    ends = time.monotonic() + timeout
    while not done(stored(collector, service)) and time.monotonic() < ends:
        time.sleep(0.1)
    time.sleep(0.6)  # more than the collector's buffer age
    return stored(collector, service)


def file_records(state_dir: Path) -> list[dict[str, Any]]:
    """The file sink's log lines, decoded."""
    path = state_dir / "out" / "logs.ndjson"
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
