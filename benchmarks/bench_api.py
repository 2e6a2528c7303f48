"""The dashboard API under 32 concurrent clients against a real `observability serve`.

Data: MODELS models, each with 30 days of hourly drift windows x 20 features in
`drift_metrics` (720 one-window Parquet files per model, as the drift job writes them),
and a day of logs for `search`. The server is `observability serve --role api` in its own
process; the clients are 32 keep-alive connections of a bare asyncio HTTP/1.1 client in
this process (each waits for its answer before asking again), asking for gzip as browsers
do. Each route is first asked once (the cold answer: files read and parsed, printed), then
hammered for SECONDS; p50/p99 of every request are printed.

Routes: `healthz` first, as the floor (no work behind it: what the server, its middleware
and this client cost on the machine as loaded now); `models`; `models/{m}/drift?since=30d`
(auto: a point per day, from drift_metrics, since the models have no sketches); the same
with `resolution=window` (720 windows, for scale, no target); `search?q=error&since=24h`.
The load average is printed too: on two shared cores, other work shows in the p99.
Targets (issue 12): p99 < 100 ms for `models` and `models/{m}/drift` (30 days).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

import httpx
import orjson
from tests.drift_rows import hourly_window

from observability.core.partitioning import Partition
from observability.core.schema import Kind
from observability.store.files import encode_ndjson_gz, new_filename
from observability.store.local import LocalStore
from observability.transform.lines import transform_lines

MODELS: Final = 3
DAYS: Final = 30
FEATURES: Final = tuple(f"feature_{i:02d}" for i in range(20))
LOG_RECORDS: Final = 20_000
CLIENTS: Final = 32
SECONDS: Final = 8.0
TARGET_P99_MS: Final = 100.0


def seed(store: LocalStore, now: datetime) -> None:
    """Drift windows for every model up to the current hour, and a day of logs."""
    rng = random.Random(12)
    last = now.replace(minute=0, second=0, microsecond=0)
    for m in range(MODELS):
        model = f"model-{m}"
        for h in range(DAYS * 24, 0, -1):
            key, data = hourly_window(model, last - timedelta(hours=h), FEATURES, rng, drifting=3)
            store.put(key, data)
    lines = []
    for i in range(LOG_RECORDS):
        moment = now - timedelta(seconds=rng.randrange(86_000))
        level = "error" if i % 20 == 0 else "info"
        lines.append(
            orjson.dumps(
                {
                    "timestamp": moment.isoformat(),
                    "level": level,
                    "service": f"svc-{i % 4}",
                    "event": f"request {'failed with error' if level == 'error' else 'handled'}",
                    "latency_ms": rng.random() * 200,
                }
            )
        )
    processed = transform_lines(lines, Kind.LOG, now.isoformat())
    groups: dict[Partition, list[bytes]] = {}
    for accepted in processed.accepted:
        groups.setdefault(accepted.partition, []).append(accepted.line)
    for partition, group in groups.items():
        store.put(partition.object_key(new_filename()), encode_ndjson_gz(group))


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(root: Path, port: int) -> subprocess.Popen[bytes]:
    """`observability serve --role api` over the store; waits for /readyz."""
    env = {
        **os.environ,
        "OBSERVABILITY_STORE_URL": (root / "store").as_uri(),
        "OBSERVABILITY_STATE_DIR": str(root / "state"),
        "OBSERVABILITY_MODELS_CONFIG": str(root / "models.yaml"),
        "OBSERVABILITY_LOG_LEVEL": "warning",
    }
    cli = Path(sys.executable).with_name("observability")
    args = [str(cli), "serve", "--host", "127.0.0.1", "--port", str(port), "--role", "api"]
    with (root / "server.log").open("wb") as log:
        proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited: {(root / 'server.log').read_text()[-2000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return proc
        time.sleep(0.1)
    proc.kill()
    raise TimeoutError("the server did not get ready within 60 s")


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, int]:
    """One request on a keep-alive connection: (status, body bytes)."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {
        k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:] if x)
    }
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
        return status, len(body)
    size = 0  # chunked
    while True:
        length = int((await reader.readuntil(b"\r\n")).strip(), 16)
        await reader.readexactly(length + 2)
        size += length
        if length == 0:
            return status, size


async def hammer(port: int, path: str, seconds: float) -> tuple[list[float], int]:
    """CLIENTS connections asking for `path` back to back for `seconds`, each waiting for
    its answer before the next: latencies (ms) and non-200 answers.

    A bare HTTP/1.1 client (as wrk is): it leaves the shared CPU to the server, where an
    HTTP library would spend about as much per request as the server does.
    """
    latencies: list[float] = []
    errors = 0
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept-Encoding: gzip\r\n\r\n"
    ).encode()
    deadline = time.perf_counter() + seconds

    async def one_client() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                status, _size = await _exchange(reader, writer, request)
                latencies.append((time.perf_counter() - started) * 1000)
                errors += status != 200
        finally:
            writer.close()

    await asyncio.gather(*(one_client() for _ in range(CLIENTS)))
    return latencies, errors


def percentile(values: Sequence[float], q: float) -> float:
    """The q-quantile (nearest rank) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: Sequence[str] = ()) -> int:
    """Seed, serve, measure each route; PASS/FAIL against the p99 target."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks api")
    parser.add_argument("--seconds", type=float, default=SECONDS, help="load per route")
    options = parser.parse_args(list(argv))
    routes = [
        ("healthz (the server's floor on this machine now)", "/healthz", False),
        ("models", "/api/v1/models", True),
        (
            "models/{m}/drift 30 days (auto: per day)",
            "/api/v1/models/model-0/drift?since=30d",
            True,
        ),
        (
            "models/{m}/drift 30 days, resolution=window (720 points)",
            "/api/v1/models/model-0/drift?since=30d&resolution=window",
            False,
        ),
        ("search", "/api/v1/search?q=error&since=24h", False),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        seed(LocalStore(root / "store", fsync=False), datetime.now(UTC))
        print(
            f"data: {MODELS} models x {DAYS * 24} hourly windows x {len(FEATURES)} features in "
            f"drift_metrics, {LOG_RECORDS:,} log records "
            f"(written in {time.perf_counter() - started:.1f} s)"
        )
        port = free_port()
        proc = start_server(root, port)
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print(f"machine: {os.cpu_count()} CPUs, load average {load} (1, 5, 15 min) at the start")
        base = f"http://127.0.0.1:{port}"
        ok = True
        try:
            for name, path, targeted in routes:
                cold_started = time.perf_counter()
                cold = httpx.get(base + path, timeout=60)
                cold_ms = (time.perf_counter() - cold_started) * 1000
                if cold.status_code != 200:
                    print(f"FAIL  {name}: {cold.status_code} {cold.text[:300]}")
                    ok = False
                    continue
                latencies, errors = asyncio.run(hammer(port, path, options.seconds))
                p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
                rate = len(latencies) / options.seconds
                line = (
                    f"{name}: p50 {p50:.1f} ms, p99 {p99:.1f} ms, {rate:.0f} req/s, "
                    f"{errors} errors, {len(cold.content) / 1024:.0f} KiB; "
                    f"cold {cold_ms:.0f} ms"
                )
                if targeted:
                    passed = p99 < TARGET_P99_MS and errors == 0
                    ok &= passed
                    verdict = "PASS" if passed else "FAIL"
                    print(f"{verdict}  {line} (target p99 < {TARGET_P99_MS:.0f} ms)")
                else:
                    print(f"      {line} (no target)")
                print(f"      mean {statistics.fmean(latencies):.1f} ms", flush=True)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
