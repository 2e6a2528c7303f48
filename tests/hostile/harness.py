"""A real collector process and the checks every hostile case must pass.

`CollectorProcess` runs `observability serve` (the CLI, as users run it) on a temporary
store with short deadlines. `Hostile` wraps one case: it resets the process's peak RSS,
polls `/healthz` from a thread with fresh connections, and on exit asserts the
invariants of the hostile suite:

- the process is alive and `/healthz` answered every poll within `HEALTH_SECONDS`;
- its peak RSS grew by at most `rss_bound_mb` over its RSS before the case;
- its open descriptors never passed `max_connections` plus the server's reserve;
- no file outside the store and the state directory was created, changed or removed.

A case is a test function taking the `hostile` fixture: send, then assert the answer and
what landed (`stored`, `refused`).
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sized
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypeVar

import orjson

from observability.service.server import FD_RESERVE
from observability.store.files import decode_lines
from tests.servers import free_port, wait_http

SizedT = TypeVar("SizedT", bound=Sized)

#: Every `/healthz` poll must be answered within this many seconds.
HEALTH_SECONDS: Final = 1.0
#: The default bound on a case's peak RSS growth, in MB (a case may state its own).
RSS_BOUND_MB: Final = 300
#: The deadlines and cap the suite's collector runs with (short, to keep the suite fast).
SERVER_ENV: Final[Mapping[str, str]] = {
    "OBSERVABILITY_HEADER_TIMEOUT_SECONDS": "2",
    "OBSERVABILITY_BODY_TIMEOUT_SECONDS": "3",
    "OBSERVABILITY_KEEP_ALIVE_SECONDS": "2",
    "OBSERVABILITY_MAX_CONNECTIONS": "256",
    "OBSERVABILITY_BUFFER_MAX_SECONDS": "0.5",
    "OBSERVABILITY_LOG_LEVEL": "warning",
}


class CollectorProcess:
    """`observability serve` in a subprocess, with its store and state under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.store = root / "store"
        self.state = root / "state"
        self.cwd = root / "cwd"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.max_connections = int(SERVER_ENV["OBSERVABILITY_MAX_CONNECTIONS"])
        self._log_path = root / "collector.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the process and wait until it answers `/healthz`."""
        self.cwd.mkdir(parents=True)
        env = {**os.environ, **SERVER_ENV, "OBSERVABILITY_STATE_DIR": str(self.state)}
        env.pop("OBSERVABILITY_CONFIG", None)
        cli = Path(sys.executable).with_name("observability")
        command = [str(cli), "--store-url", self.store.as_uri(), "serve"]
        command += ["--port", str(self.port), "--role", "collector", "--role", "api"]
        with self._log_path.open("wb") as log:
            self._proc = subprocess.Popen(
                command, cwd=self.cwd, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        wait_http(f"{self.url}/healthz", timeout=60, proc=self._proc)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not end within 20 s."""
        if self._proc is None:
            return
        self._proc.send_signal(signal.SIGTERM)
        try:
            self._proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()

    @property
    def pid(self) -> int:
        """The process id (the collector must be running)."""
        assert self._proc is not None and self._proc.poll() is None, self.log_tail()
        return self._proc.pid

    def alive(self) -> bool:
        """Whether the process is still running."""
        return self._proc is not None and self._proc.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        """The end of the collector's output, for failure messages."""
        text = self._log_path.read_text(errors="replace") if self._log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    # -- the process as the kernel sees it -------------------------------------------

    def status_kb(self, field_name: str) -> int:
        """A `VmRSS`/`VmHWM` figure from /proc/<pid>/status, in kB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
        raise KeyError(field_name)

    def reset_peak_rss(self) -> None:
        """Make VmHWM start again from the current RSS (Linux `clear_refs` 5)."""
        Path(f"/proc/{self.pid}/clear_refs").write_text("5")

    def open_fds(self) -> int:
        """How many descriptors the process holds."""
        return sum(1 for _ in Path(f"/proc/{self.pid}/fd").iterdir())


@dataclass
class Answer:
    """An HTTP answer: status, headers (lower-case names) and body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON."""
        return orjson.loads(self.body)


def request(
    url: str,
    method: str,
    path: str,
    body: bytes | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30.0,
) -> Answer:
    """One request on a fresh connection."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=dict(headers or {}))
        response = connection.getresponse()
        payload = response.read()
        names = {k.lower(): v for k, v in response.getheaders()}
        return Answer(response.status, names, payload)
    finally:
        connection.close()


class HealthPoller:
    """Polls `/healthz` every 100 ms on fresh connections; samples the descriptors too."""

    def __init__(self, collector: CollectorProcess) -> None:
        self._collector = collector
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.polls = 0
        self.slowest = 0.0
        self.failures: list[str] = []
        self.most_fds = 0

    def __enter__(self) -> HealthPoller:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                answer = request(self._collector.url, "GET", "/healthz", timeout=HEALTH_SECONDS)
                if answer.status != 200:
                    self.failures.append(f"status {answer.status}: {answer.body[:200]!r}")
            except OSError as exc:
                self.failures.append(f"{type(exc).__name__}: {exc}")
            self.slowest = max(self.slowest, time.monotonic() - started)
            self.polls += 1
            self.most_fds = max(self.most_fds, self._collector.open_fds())
            self._stop.wait(0.1)


def _files_outside(root: Path, inside: tuple[Path, ...]) -> dict[str, tuple[int, int]]:
    """path -> (size, mtime_ns) of every file under `root` except the `inside` trees."""
    seen: dict[str, tuple[int, int]] = {}
    for directory, dirnames, filenames in os.walk(root):
        here = Path(directory)
        dirnames[:] = [d for d in dirnames if here / d not in inside]
        for name in filenames:
            path = here / name
            if path.name == "collector.log":
                continue
            stat = path.lstat()
            seen[str(path)] = (stat.st_size, stat.st_mtime_ns)
    return seen


@dataclass
class Hostile:
    """One hostile case against the running collector; see the module docstring."""

    collector: CollectorProcess
    rss_bound_mb: int = RSS_BOUND_MB
    _poller: HealthPoller | None = None
    _rss_before_kb: int = 0
    _outside: dict[str, tuple[int, int]] = field(default_factory=dict)

    # -- sending ---------------------------------------------------------------------

    def post(
        self,
        kind: str,
        body: bytes,
        *,
        content_type: str = "application/x-ndjson",
        content_encoding: str | None = None,
        timeout: float = 60.0,
    ) -> Answer:
        """POST a batch, as given, to `/api/v1/ingest/<kind>`."""
        headers = {"content-type": content_type}
        if content_encoding is not None:
            headers["content-encoding"] = content_encoding
        path = f"/api/v1/ingest/{kind}"
        return request(self.collector.url, "POST", path, body, headers=headers, timeout=timeout)

    def get(self, path: str, timeout: float = 30.0) -> Answer:
        """GET a path (with its query string)."""
        return request(self.collector.url, "GET", path, timeout=timeout)

    # -- what landed -----------------------------------------------------------------

    def stored(self, record_ids: set[str], timeout: float = 15.0) -> set[str]:
        """Which of `record_ids` are in the store's data files, waiting for the flush."""
        return self._wait(
            lambda: self._ids("logs", "predictions", "labels") & record_ids,
            len(record_ids),
            timeout,
        )

    def refused(
        self, reason: str, marker: str, count: int, timeout: float = 15.0
    ) -> list[dict[str, Any]]:
        """errors/ lines of `reason` whose raw text contains `marker`, once `count` are there."""

        def lines() -> list[dict[str, Any]]:
            found = []
            for path in sorted((self.collector.store / "errors").glob(f"*/{reason}/*/*.json.gz")):
                for line in decode_lines(path.read_bytes()):
                    entry = orjson.loads(line)
                    if marker in entry["raw"]:
                        found.append(entry)
            return found

        return self._wait(lines, count, timeout)

    def _ids(self, *prefixes: str) -> set[str]:
        ids: set[str] = set()
        for prefix in prefixes:
            for path in (self.collector.store / prefix).glob("**/*.json.gz"):
                ids.update(
                    orjson.loads(line)["record_id"] for line in decode_lines(path.read_bytes())
                )
        return ids

    @staticmethod
    def _wait(probe: Callable[[], SizedT], count: int, timeout: float) -> SizedT:
        deadline = time.monotonic() + timeout
        found = probe()
        while len(found) < count and time.monotonic() < deadline:
            time.sleep(0.1)
            found = probe()
        return found

    # -- the invariants --------------------------------------------------------------

    def begin(self) -> None:
        """Note the baseline and start polling."""
        self._outside = _files_outside(self.collector.root, self._inside())
        self.collector.reset_peak_rss()
        self._rss_before_kb = self.collector.status_kb("VmRSS")
        self._poller = HealthPoller(self.collector).__enter__()

    def end(self) -> None:
        """Stop polling and assert every invariant of the suite."""
        assert self._poller is not None
        self._poller.__exit__()
        poller, collector = self._poller, self.collector
        assert collector.alive(), f"the collector died:\n{collector.log_tail()}"
        assert poller.polls > 0 and not poller.failures, f"/healthz failed: {poller.failures[:5]}"
        assert poller.slowest < HEALTH_SECONDS, f"/healthz took {poller.slowest:.2f}s"
        growth_mb = (collector.status_kb("VmHWM") - self._rss_before_kb) / 1024
        assert growth_mb <= self.rss_bound_mb, f"peak RSS grew {growth_mb:.0f} MB"
        fd_bound = collector.max_connections + FD_RESERVE
        assert poller.most_fds <= fd_bound, f"{poller.most_fds} descriptors open"
        assert _files_outside(collector.root, self._inside()) == self._outside
        assert list(collector.cwd.iterdir()) == []

    def _inside(self) -> tuple[Path, ...]:
        return (self.collector.store, self.collector.state)


def log_line(record_id: str, **fields: Any) -> bytes:
    """A valid log record (fields override), as one NDJSON line with its newline."""
    record = {
        "timestamp": "2026-11-23T13:05:00.123456Z",
        "level": "info",
        "service": "hostile",
        "event": "a good neighbour",
        "record_id": record_id,
        **fields,
    }
    return orjson.dumps(record) + b"\n"
