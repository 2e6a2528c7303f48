"""Acceptance: a collector killed with SIGKILL after a 2xx loses nothing it acknowledged."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from observability.store.local import LocalStore
from tests.servers import free_port, wait_http
from tests.service.records import log_record, ndjson, prediction_record, stored_ids

NDJSON = {"content-type": "application/x-ndjson"}


@contextmanager
def collector_process(tmp_path: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """uvicorn running the env-built app on 127.0.0.1; killed if still alive at the end."""
    env = {
        **os.environ,
        "OBSERVABILITY_STORE_URL": (tmp_path / "store").as_uri(),
        "OBSERVABILITY_STATE_DIR": str(tmp_path / "state"),
        "OBSERVABILITY_BUFFER_MAX_SECONDS": "3600",
        "OBSERVABILITY_ROLES": "collector",
    }
    log = (tmp_path / f"collector-{port}.log").open("ab")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "observability.service.asgi:create_app_from_env",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/readyz", proc=proc)
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        log.close()


@pytest.mark.slow
def test_sigkill_after_2xx_loses_nothing_acknowledged(tmp_path: Path) -> None:
    """Every record acknowledged before a SIGKILL is in the store exactly once after restart."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    acknowledged: list[str] = []
    with collector_process(tmp_path, port) as proc:
        with httpx.Client(base_url=base, timeout=10) as client:
            for batch in range(4):
                logs = [log_record(batch * 100 + i, f"svc{i % 3}") for i in range(100)]
                response = client.post("/api/v1/ingest/logs", content=ndjson(logs), headers=NDJSON)
                assert response.status_code == 200
                assert response.json() == {"accepted": 100, "rejected": [], "rejected_count": 0}
                acknowledged += [r["record_id"] for r in logs]
            preds = [prediction_record(i) for i in range(50)]
            response = client.post(
                "/api/v1/ingest/predictions", content=ndjson(preds), headers=NDJSON
            )
            assert response.json()["accepted"] == 50
            acknowledged += [r["record_id"] for r in preds]
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    store = LocalStore(tmp_path / "store")
    assert stored_ids(store) == []  # nothing was flushed: only the journal holds them
    with collector_process(tmp_path, free_port()) as restarted:
        counts = Counter(stored_ids(store))  # replayed before /readyz answered
        restarted.send_signal(signal.SIGTERM)
        restarted.wait(timeout=10)
    assert set(counts) == set(acknowledged)
    assert set(counts.values()) == {1}
    assert Counter(stored_ids(store)) == counts  # the clean shutdown added nothing twice


@pytest.mark.slow
def test_sigkill_under_concurrent_load_keeps_every_acknowledged_record(tmp_path: Path) -> None:
    """Killed while two clients are mid-request, the collector still keeps every 2xx'd record."""
    port = free_port()
    acknowledged: list[str] = []
    lock = threading.Lock()
    enough = threading.Event()

    def client_loop(worker: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            for batch in range(1_000):
                logs = [log_record(batch * 1_000 + i, f"w{worker}") for i in range(200)]
                try:
                    response = client.post(
                        "/api/v1/ingest/logs", content=ndjson(logs), headers=NDJSON
                    )
                except httpx.TransportError:
                    return  # the server died mid-request: not acknowledged
                if response.status_code != 200:
                    return
                with lock:
                    acknowledged.extend(r["record_id"] for r in logs)
                    if len(acknowledged) >= 4_000:
                        enough.set()

    with collector_process(tmp_path, port) as proc:
        workers = [threading.Thread(target=client_loop, args=(w,)) for w in range(2)]
        for worker in workers:
            worker.start()
        assert enough.wait(timeout=30)
        proc.send_signal(signal.SIGKILL)
        for worker in workers:
            worker.join(timeout=30)
    with lock:
        acked = list(acknowledged)
    store = LocalStore(tmp_path / "store")
    with collector_process(tmp_path, free_port()):
        counts = Counter(stored_ids(store))
    assert set(acked) <= set(counts)
    assert set(counts.values()) == {1}
