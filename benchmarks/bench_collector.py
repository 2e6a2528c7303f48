"""Collector throughput over loopback HTTP, durable (journal fsync before every 2xx).

Starts `uvicorn observability.service.asgi:create_app_from_env --factory` (one process,
127.0.0.1) on a temporary store and posts batches of 1,000 valid records from a couple of
concurrent httpx clients. Baselines from the same run: the same records through
`transform_lines` in-process (the CPU floor of validation), and the same bodies posted
to a bare ASGI endpoint that only reads them (the HTTP floor). Target: >= 50,000
records/s. Run: `python -m benchmarks.bench_collector`.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any, Final

import httpx
import orjson

from observability.core.schema import Kind, utc_now_iso
from observability.store.files import decode_lines
from observability.transform.lines import transform_lines

TARGET_RECORDS_PER_S: Final = 50_000
BATCH: Final = 1_000
BATCHES: Final = 150
CLIENTS: Final = 2
WARMUP_BATCHES: Final = 6
NDJSON: Final = {"content-type": "application/x-ndjson"}

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]


async def read_only_app(
    scope: Scope,
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    """The HTTP floor: read the whole body, answer a fixed small JSON."""
    if scope["type"] != "http":
        return
    size = 0
    more = True
    while more:
        message = await receive()
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
    body = b'{"accepted":%d,"rejected":[]}' % size
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def make_batches(count: int) -> list[bytes]:
    """NDJSON bodies of BATCH realistic log records (~300 bytes each, three services)."""
    rng = random.Random(7)
    services = ["checkout", "search", "payments"]
    levels = ["info", "info", "info", "warning", "error", "debug"]
    bodies = []
    for b in range(count):
        lines = []
        for i in range(BATCH):
            record = {
                "timestamp": f"2026-11-23T{rng.randrange(12, 14):02d}:"
                f"{rng.randrange(60):02d}:{rng.randrange(60):02d}.{rng.randrange(10**6):06d}Z",
                "level": rng.choice(levels),
                "service": rng.choice(services),
                "env": "prod",
                "event": f"handled request {b}-{i} in {rng.randrange(1, 900)} ms",
                "logger": "app.http",
                "trace_id": f"{rng.getrandbits(128):032x}",
                "request_id": f"req-{b}-{i}",
                "host": f"ip-10-0-{rng.randrange(255)}-{rng.randrange(255)}",
                "version": "1.4.2",
                "record_id": f"r-{b}-{i}",
                "attributes": {"path": "/api/orders", "status": 200},
            }
            lines.append(orjson.dumps(record))
        bodies.append(b"\n".join(lines) + b"\n")
    return bodies


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(target: str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """uvicorn with uvloop + httptools, one process, no access log."""
    args = [sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(port)]
    args += ["--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"]
    if target.endswith("create_app_from_env"):
        args.append("--factory")
    with log.open("ab") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    url = f"http://127.0.0.1:{port}/readyz"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{target} exited early; see {log}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return proc
        except urllib.error.HTTPError:
            return proc
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.05)
    proc.kill()
    raise TimeoutError(f"{target} did not answer within 30 s")


def post_all(port: int, path: str, bodies: list[bytes]) -> tuple[float, list[float], int]:
    """Post bodies from CLIENTS threads; returns (seconds, per-request seconds, accepted)."""
    latencies: list[float] = []
    accepted = [0] * CLIENTS
    lock = threading.Lock()

    def worker(index: int) -> None:
        mine: list[float] = []
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            for body in bodies[index::CLIENTS]:
                started = time.perf_counter()
                response = client.post(path, content=body, headers=NDJSON)
                mine.append(time.perf_counter() - started)
                response.raise_for_status()
                accepted[index] += response.json()["accepted"]
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, sum(accepted)


def transform_floor(bodies: list[bytes]) -> float:
    """Records/s of transform_lines in-process over the same lines (one core)."""
    lines = [body.split(b"\n")[:-1] for body in bodies]
    started = time.perf_counter()
    for batch in lines:
        transform_lines(batch, Kind.LOG, utc_now_iso())
    return sum(map(len, lines)) / (time.perf_counter() - started)


def stored_lines(root: Path) -> int:
    """Data lines in the store's logs/ tree."""
    return sum(
        sum(1 for _ in decode_lines(path.read_bytes())) for path in (root / "logs").rglob("*.gz")
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc); 0 where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    """The q-quantile in milliseconds."""
    return statistics.quantiles(values, n=100)[int(q * 100) - 1] * 1000


def main() -> None:
    """Run the benchmark and print figures, baselines, ratios and PASS/MISS."""
    warmup = make_batches(WARMUP_BATCHES)
    bodies = make_batches(BATCHES)
    records = BATCH * BATCHES
    print(
        f"{BATCHES} batches x {BATCH} records, {CLIENTS} clients, "
        f"{sum(map(len, bodies)) / records:.0f} B/record"
    )

    floor = max(transform_floor(bodies[:40]) for _ in range(2))

    with tempfile.TemporaryDirectory(prefix="bench-collector-") as tmp:
        root = Path(tmp)
        env = {
            **os.environ,
            "OBSERVABILITY_STORE_URL": (root / "store").as_uri(),
            "OBSERVABILITY_STATE_DIR": str(root / "state"),
        }
        port = free_port()
        bare = start_server("benchmarks.bench_collector:read_only_app", port, env, root / "b.log")
        try:
            post_all(port, "/api/v1/ingest/logs", warmup)
            bare_s, _, _ = post_all(port, "/api/v1/ingest/logs", bodies)
        finally:
            bare.terminate()
            bare.wait(timeout=10)

        port = free_port()
        target = "observability.service.asgi:create_app_from_env"
        server = start_server(target, port, env, root / "c.log")
        try:
            post_all(port, "/api/v1/ingest/logs", warmup)
            cpu_before = cpu_seconds(server.pid)
            seconds, latencies, accepted = post_all(port, "/api/v1/ingest/logs", bodies)
            server_cpu = cpu_seconds(server.pid) - cpu_before
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
        stored = stored_lines(root / "store")

    rate = records / seconds
    bare_rate = records / bare_s
    verdict = "PASS" if rate >= TARGET_RECORDS_PER_S else "MISS"
    print(f"transform_lines in-process (CPU floor):   {floor:>10,.0f} records/s")
    print(f"bare read-body endpoint (HTTP floor):     {bare_rate:>10,.0f} records/s")
    print(
        f"collector, durable (fsync per request):   {rate:>10,.0f} records/s  "
        f"p50 {pct(latencies, 0.5):.1f} ms  p99 {pct(latencies, 0.99):.1f} ms per batch"
    )
    if server_cpu:
        print(
            "collector CPU (all its threads):          "
            f"{server_cpu / records * 1e6:>10.1f} us/record"
            f" = {records / server_cpu:,.0f} records per CPU-second"
        )
        print(f"load average during the run:              {os.getloadavg()[0]:>10.2f} (2 cores)")
    print(f"ratio collector / transform floor:        {rate / floor:.2f}")
    print(f"ratio collector / HTTP floor:             {rate / bare_rate:.2f}")
    print(
        f"accepted {accepted:,} of {records:,}; stored after shutdown flush "
        f"{stored:,} (incl. {WARMUP_BATCHES * BATCH:,} warm-up)"
    )
    if stored != accepted + WARMUP_BATCHES * BATCH:
        print("ERROR: stored records do not match acknowledged records")
    print(f"target >= {TARGET_RECORDS_PER_S:,} records/s: {verdict}")


if __name__ == "__main__":
    main()
