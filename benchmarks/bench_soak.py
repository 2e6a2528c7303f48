"""Soak: 16 clients post mixed good and bad batches while a slowloris crowd holds sockets.

Starts `observability serve --role collector` (the CLI, with its guarded server) on a
temporary store. Each client posts, in a loop, NDJSON batches of 500 log records (half
gzip), some with bad lines (malformed, a field missing, a timestamp out of range, nesting
too deep), JSON arrays, and now and then a hostile body (a tiny-line gzip bomb, 1 MB of
empty gzip members). Alongside, a crowd of slow clients (`--slowloris`, more than the
server's connection cap) trickles headers and bodies a byte at a time and reconnects
whenever the server drops one. `/healthz` is polled on fresh connections throughout.

Prints accepted records/s, requests/s, p99 latency, statuses, the slowest `/healthz`,
peak RSS and descriptors, then PASS/FAIL for: RSS flat (the last third's peak within
10% + 20 MB of the middle third's), descriptors under the cap plus the server's reserve
and flat, `/healthz` always under 1 s, and descriptors released once the crowd leaves.

Run: `python -m benchmarks soak [--duration 30] [--clients 16] [--slowloris 600]`.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import http.client
import multiprocessing
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
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import orjson

from observability.service.server import FD_RESERVE

MAX_CONNECTIONS: Final = 512
HEADER_TIMEOUT: Final = 5.0
BODY_TIMEOUT: Final = 10.0
BATCH: Final = 500
HEALTH_SECONDS: Final = 1.0
SAMPLE_SECONDS: Final = 0.5


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def record(rng: random.Random, n: int, **fields: object) -> bytes:
    """A realistic log record line (about 300 bytes)."""
    body = {
        "timestamp": f"2026-11-23T{rng.randrange(10, 14):02d}:{rng.randrange(60):02d}:"
        f"{rng.randrange(60):02d}.{rng.randrange(10**6):06d}Z",
        "level": rng.choice(["info", "info", "warning", "error"]),
        "service": rng.choice(["checkout", "search", "payments"]),
        "env": "prod",
        "event": f"handled request {n} in {rng.randrange(1, 900)} ms",
        "trace_id": f"{rng.getrandbits(128):032x}",
        "attributes": {"path": "/api/orders", "status": 200},
        **fields,
    }
    return orjson.dumps(body)


def bad_line(rng: random.Random, n: int) -> bytes:
    """One refused line of a random kind."""
    choice = rng.randrange(4)
    if choice == 0:
        return b'{"timestamp": "2026-11-23T10:00:00Z", "level": '
    if choice == 1:
        return orjson.dumps({"level": "info", "event": f"no time {n}"})
    if choice == 2:
        return record(rng, n, timestamp="9999-12-31T23:59:59.999999Z")
    return record(rng, n, attributes={"x": 1}).replace(
        b'{"x":1}', b'{"x":' * 300 + b"1" + b"}" * 300
    )


@dataclass(frozen=True)
class Body:
    """One request to send, and whether it is a hostile one."""

    data: bytes
    headers: dict[str, str]
    hostile: bool = False


def make_body(rng: random.Random, n: int) -> Body:
    """A batch: good NDJSON, mixed, a JSON array, or (1 in 40) a hostile body."""
    ndjson = {"content-type": "application/x-ndjson"}
    roll = rng.randrange(40)
    if roll == 0:
        bomb = gzip.compress(b"1\n" * 2_000_000, 6)
        return Body(bomb, {**ndjson, "content-encoding": "gzip"}, hostile=True)
    if roll == 1:
        empties = gzip.compress(b"", mtime=0) * 50_000
        return Body(empties, {**ndjson, "content-encoding": "gzip"}, hostile=True)
    if roll < 6:
        items = [record(rng, n * BATCH + i) for i in range(BATCH // 5)]
        items[rng.randrange(len(items))] = bad_line(rng, n)
        return Body(b"[" + b",".join(items) + b"]", {"content-type": "application/json"})
    lines = [record(rng, n * BATCH + i) for i in range(BATCH)]
    if roll < 20:
        for _ in range(BATCH // 10):
            lines[rng.randrange(BATCH)] = bad_line(rng, n)
    data = b"\n".join(lines) + b"\n"
    if rng.random() < 0.5:
        return Body(gzip.compress(data, 1), {**ndjson, "content-encoding": "gzip"})
    return Body(data, ndjson)


@dataclass
class Tally:
    """What the clients saw, merged under a lock."""

    accepted: int = 0
    requests: int = 0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


def post(port: int, body: Body) -> tuple[int, bytes]:
    """One POST on a fresh connection (as many short-lived SDK processes do)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("POST", "/api/v1/ingest/logs", body=body.data, headers=body.headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def client(index: int, port: int, until: float, tally: Tally) -> None:
    """Post batches until `until`; tally accepted records, statuses and latencies."""
    rng = random.Random(index)
    n = index * 1_000_000
    while time.monotonic() < until:
        body = make_body(rng, n)
        n += 1
        started = time.perf_counter()
        try:
            status, payload = post(port, body)
        except OSError as exc:
            with tally.lock:
                tally.statuses[type(exc).__name__] += 1
            continue
        elapsed = time.perf_counter() - started
        accepted = orjson.loads(payload)["accepted"] if status == 200 else 0
        with tally.lock:
            tally.requests += 1
            tally.accepted += accepted
            tally.statuses[str(status)] += 1
            if not body.hostile:
                tally.latencies.append(elapsed)


class Slowloris:
    """`size` sockets trickling a byte at a time; a dropped one is replaced at once."""

    HEADERS: Final = b"POST /api/v1/ingest/logs HTTP/1.1\r\nHost: x\r\nX-Slow: "
    BODY: Final = b"POST /api/v1/ingest/logs HTTP/1.1\r\nHost: x\r\nContent-Length: 99999\r\n\r\n"

    def __init__(self, port: int, size: int) -> None:
        self._port = port
        self._size = size
        self._sockets: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.dropped = 0

    def start(self) -> None:
        """Open the crowd and keep it trickling."""
        self._thread.start()

    def stop(self) -> None:
        """Close every socket of the crowd."""
        self._stop.set()
        self._thread.join(10)
        for sock in self._sockets:
            sock.close()

    def _open(self, n: int) -> socket.socket | None:
        try:
            sock = socket.create_connection(("127.0.0.1", self._port), timeout=2)
            sock.sendall(self.BODY if n % 3 == 0 else self.HEADERS)
            sock.setblocking(False)
        except OSError:
            return None
        return sock

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set():
            while len(self._sockets) < self._size and not self._stop.is_set():
                sock = self._open(n)
                n += 1
                if sock is not None:
                    self._sockets.append(sock)
            alive = []
            for sock in self._sockets:
                try:
                    with contextlib.suppress(BlockingIOError):
                        if sock.recv(4096) == b"":
                            raise ConnectionResetError
                    sock.send(b"a")
                    alive.append(sock)
                except OSError:
                    sock.close()
                    self.dropped += 1
            self._sockets = alive
            self._stop.wait(0.5)


@dataclass
class Probe:
    """RSS, descriptors and `/healthz` latency of the server, sampled in a process of its
    own (so the clients' threads do not slow the measuring)."""

    pid: int
    port: int
    samples: list[tuple[float, int, int]] = field(default_factory=list)
    slowest_health: float = 0.0
    health_failures: int = 0

    def start(self) -> None:
        """Start sampling in a child process."""
        self._parent, child = multiprocessing.Pipe()
        self._stop = multiprocessing.Event()
        self._process = multiprocessing.get_context("fork").Process(
            target=_sample, args=(self.pid, self.port, self._stop, child), daemon=True
        )
        self._process.start()

    def stop(self) -> None:
        """Stop sampling and collect what was seen."""
        self._stop.set()
        self.samples, self.slowest_health, self.health_failures = self._parent.recv()
        self._process.join(5)


def _sample(pid: int, port: int, stop: Any, out: Any) -> None:
    samples: list[tuple[float, int, int]] = []
    slowest, failures = 0.0, 0
    while not stop.is_set():
        samples.append((time.monotonic(), rss_mb(pid), open_fds(pid)))
        started = time.monotonic()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status != 200:
                failures += 1
            connection.close()
        except OSError:
            failures += 1
        slowest = max(slowest, time.monotonic() - started)
        stop.wait(SAMPLE_SECONDS)
    out.send((samples, slowest, failures))


def rss_mb(pid: int) -> int:
    """Resident memory of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    return 0


def open_fds(pid: int) -> int:
    """Descriptors a process holds."""
    return sum(1 for _ in Path(f"/proc/{pid}/fd").iterdir())


def start_server(root: Path, port: int) -> subprocess.Popen[bytes]:
    """`observability serve --role collector` on a store under `root`."""
    env = {
        **os.environ,
        "OBSERVABILITY_STATE_DIR": str(root / "state"),
        "OBSERVABILITY_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
        "OBSERVABILITY_HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT),
        "OBSERVABILITY_BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT),
        "OBSERVABILITY_BUFFER_MAX_SECONDS": "5",
        "OBSERVABILITY_LOG_LEVEL": "warning",
    }
    cli = Path(sys.executable).with_name("observability")
    args = [str(cli), "--store-url", (root / "store").as_uri(), "serve", "--port", str(port)]
    args += ["--role", "collector"]
    with (root / "server.log").open("wb") as log:
        proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited: {(root / 'server.log').read_text()[-2000:]}")
        with contextlib.suppress(OSError):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200:
                return proc
        time.sleep(0.1)
    proc.kill()
    raise TimeoutError("the server did not get ready within 60 s")


def verdict(name: str, ok: bool, detail: str) -> bool:
    """Print one PASS/FAIL line."""
    print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}")
    return ok


def evaluate(probe: Probe, released_fds: int, baseline_fds: int) -> bool:
    """The flatness and liveness checks, printed; True when all pass."""
    samples = probe.samples
    third = max(1, len(samples) // 3)
    middle, last = samples[third : 2 * third], samples[2 * third :]
    rss_mid = max(s[1] for s in middle or samples)
    rss_last = max(s[1] for s in last or samples)
    fds_mid = max(s[2] for s in middle or samples)
    fds_last = max(s[2] for s in last or samples)
    fds_peak = max(s[2] for s in samples)
    bound = MAX_CONNECTIONS + FD_RESERVE
    results = [
        verdict("RSS flat", rss_last <= rss_mid * 1.10 + 20, f"{rss_mid} -> {rss_last} MB"),
        verdict(
            "descriptors bounded and flat",
            fds_peak <= bound and fds_last <= fds_mid + 32,
            f"peak {fds_peak} (bound {bound}), {fds_mid} -> {fds_last}",
        ),
        verdict(
            "/healthz under 1 s",
            probe.health_failures == 0 and probe.slowest_health < HEALTH_SECONDS,
            f"slowest {probe.slowest_health * 1000:.0f} ms, {probe.health_failures} failures",
        ),
        verdict(
            "descriptors released after the crowd",
            released_fds <= baseline_fds + 16,
            f"{released_fds} (started with {baseline_fds})",
        ),
    ]
    return all(results)


def main(argv: list[str] | None = None) -> int:
    """Run the soak and print its figures and verdicts; 0 when every check passes."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks soak")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds (default 30)")
    parser.add_argument("--clients", type=int, default=16, help="posting clients (default 16)")
    parser.add_argument("--slowloris", type=int, default=600, help="slow sockets (default 600)")
    options = parser.parse_args(argv or [])
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp:
        root = Path(tmp)
        port = free_port()
        server = start_server(root, port)
        try:
            return soak(server.pid, port, options.duration, options.clients, options.slowloris)
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()


def soak(pid: int, port: int, duration: float, clients: int, crowd_size: int) -> int:
    """The run itself, against a started server."""
    baseline_fds = open_fds(pid)
    print(
        f"{clients} clients, {crowd_size} slow sockets, {duration:.0f} s; server cap "
        f"{MAX_CONNECTIONS} connections, header/body deadlines {HEADER_TIMEOUT:.0f}/"
        f"{BODY_TIMEOUT:.0f} s"
    )
    probe = Probe(pid, port)
    crowd = Slowloris(port, crowd_size)
    tally = Tally()
    until = time.monotonic() + duration
    threads = [
        threading.Thread(target=client, args=(i, port, until, tally)) for i in range(clients)
    ]
    probe.start()
    crowd.start()
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    crowd.stop()
    probe.stop()
    released = open_fds(pid)
    deadline = time.monotonic() + HEADER_TIMEOUT + BODY_TIMEOUT
    while released > baseline_fds + 16 and time.monotonic() < deadline:
        time.sleep(0.5)
        released = open_fds(pid)
    p99 = statistics.quantiles(tally.latencies, n=100)[98] * 1000 if tally.latencies else 0.0
    print(f"accepted records/s:  {tally.accepted / elapsed:,.0f}")
    print(f"requests/s:          {tally.requests / elapsed:,.1f}")
    print(f"p99 latency:         {p99:,.0f} ms (batches; hostile bodies excluded)")
    print(f"statuses:            {dict(sorted(tally.statuses.items()))}")
    print(f"slow sockets dropped by the server: {crowd.dropped}")
    print(f"peak RSS:            {max(s[1] for s in probe.samples)} MB")
    print(f"peak descriptors:    {max(s[2] for s in probe.samples)}")
    return 0 if evaluate(probe, released, baseline_fds) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
