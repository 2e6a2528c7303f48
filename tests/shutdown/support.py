"""Real processes for the shutdown tests: a collector, app servers, scripts, a counted store."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson

from tests.servers import free_port, wait_http

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def clean_env(**variables: str) -> dict[str, str]:
    """This environment without any OBSERVABILITY_* variable, plus `variables`.

    faulthandler is on, so a process that does not end can be made to print its stacks.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("OBSERVABILITY_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return {**env, "PYTHONFAULTHANDLER": "1", **variables}


@dataclass(frozen=True)
class Collector:
    """A running `observability serve --role collector` and where it stores."""

    url: str
    store: Path

    def records(self, service: str) -> Counter[str]:
        """record_id -> times stored, for the log records of `service`."""
        ids: Counter[str] = Counter()
        for path in sorted((self.store / "logs" / f"service={service}").rglob("*.json.gz")):
            for line in gzip.decompress(path.read_bytes()).splitlines():
                if line.strip():
                    ids[orjson.loads(line)["record_id"]] += 1
        return ids

    def wait_for(self, service: str, count: int, timeout: float = 15.0) -> Counter[str]:
        """The stored ids once `count` distinct ones are there (or the timeout passed),
        read again a little later so a late duplicate would be seen too."""
        ends = time.monotonic() + timeout
        while len(self.records(service)) < count and time.monotonic() < ends:
            time.sleep(0.1)
        time.sleep(0.6)  # more than the collector's buffer age: a duplicate would be stored
        return self.records(service)


@contextmanager
def collector(directory: Path) -> Iterator[Collector]:
    """The real collector on 127.0.0.1, flushing its buffers to the store within 0.2 s."""
    port = free_port()
    env = clean_env(
        OBSERVABILITY_STORE_URL=(directory / "store").as_uri(),
        OBSERVABILITY_STATE_DIR=str(directory / "state"),
        OBSERVABILITY_BUFFER_MAX_SECONDS="0.2",
    )
    log = (directory / "collector.log").open("wb")
    serve = ["serve", "--host", "127.0.0.1", "--port", str(port), "--role", "collector"]
    proc = subprocess.Popen(
        [sys.executable, "-c", "from observability.cli import main; main()", *serve],
        env=env,
        cwd=directory,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/healthz", proc=proc)
        yield Collector(url, directory / "store")
    finally:
        stop(proc)
        log.close()


def stop(proc: subprocess.Popen[bytes], timeout: float = 20.0) -> int:
    """SIGTERM, then wait; if it does not end, each process of its tree prints its stacks
    (SIGABRT to faulthandler) before SIGKILL, and the caller fails."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        for pid in process_tree(proc.pid):
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGABRT)
        time.sleep(1.0)
        proc.kill()
        proc.wait()
        raise


def process_tree(pid: int) -> list[int]:
    """`pid` and every process below it, children first (read from /proc)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError):
            # The command name may hold spaces: the fields after its ')' are fixed.
            fields = stat.read_text().rpartition(")")[2].split()
            parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    order: list[int] = []

    def walk(node: int) -> None:
        for child in parents.get(node, []):
            walk(child)
        order.append(node)

    walk(pid)
    return order


@dataclass(frozen=True)
class AppServer:
    """How to start the shutdown app under one server, and how many processes serve it."""

    name: str
    argv: tuple[str, ...]
    workers: int = 1


def uvicorn_server(port: int) -> AppServer:
    """`uvicorn shutdown_app:app`: the SDK is configured while uvicorn handles signals."""
    argv = ("-m", "uvicorn", "shutdown_app:app", "--app-dir", str(HERE))
    return AppServer("uvicorn", (*argv, "--host", "127.0.0.1", "--port", str(port)))


def gunicorn_server(port: int, *, preload: bool) -> AppServer:
    """gunicorn with two `uvicorn-worker` workers; `--preload` imports the app before forking.

    Run with HOME pointing at the test's directory: gunicorn puts a control socket there.
    """
    argv = ["-m", "gunicorn", "shutdown_app:app", "--chdir", str(HERE), "--workers", "2"]
    argv += ["--worker-class", "uvicorn_worker.UvicornWorker", "--bind", f"127.0.0.1:{port}"]
    argv += ["--graceful-timeout", "20"]
    if preload:
        argv.append("--preload")
    return AppServer("gunicorn-preload" if preload else "gunicorn", tuple(argv), workers=2)


def serve_requests(
    server: AppServer, port: int, env: Mapping[str, str], log_path: Path, requests: int
) -> int:
    """Start the server, make `requests` requests (each logs one line), SIGTERM it.

    Returns the server's exit status. Requests alternate between the async route (logs
    on the event loop) and the sync one (logs from a pool thread). The signal is sent once
    every worker has started: gunicorn loses a SIGTERM that reaches a worker before the
    worker's own handlers are set, and then waits out its graceful timeout.
    """
    with log_path.open("ab") as log:
        started_at = log.tell()
        proc = subprocess.Popen(
            [sys.executable, *server.argv],
            env=dict(env),
            cwd=HERE,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_http(f"http://127.0.0.1:{port}/openapi.json", proc=proc)
            _wait_for_workers(log_path, started_at, server.workers)
            with httpx.Client(timeout=10) as client:
                for n in range(requests):
                    route = "async" if n % 2 else "sync"
                    response = client.get(f"http://127.0.0.1:{port}/{route}/{n}")
                    assert response.status_code == 200, response.text
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        try:
            return stop(proc)
        except subprocess.TimeoutExpired:
            log.flush()
            tail = log_path.read_text(errors="replace")[-12_000:]
            raise AssertionError(f"{server.name} did not end after SIGTERM:\n{tail}") from None


def _wait_for_workers(log_path: Path, offset: int, workers: int, timeout: float = 30.0) -> None:
    """Until the server's log (after `offset`) says each worker finished starting."""
    ends = time.monotonic() + timeout
    while time.monotonic() < ends:
        with log_path.open("rb") as log:
            log.seek(offset)
            if log.read().count(b"Application startup complete.") >= workers:
                return
        time.sleep(0.05)
    raise AssertionError(f"{workers} workers did not all start within {timeout:g} s")


def start_script(code: str, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """Start `python -c code`, stdout and stderr piped (the script prints `ready`)."""
    return subprocess.Popen(
        [sys.executable, "-c", code],
        env=dict(env),
        cwd=HERE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def replay(env: Mapping[str, str]) -> None:
    """A later process on the same state directory replays the spill; asserts it did."""
    done = subprocess.run(
        [sys.executable, str(HERE / "replay_spill.py")],
        env=dict(env),
        cwd=HERE,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()


def file_records(state_dir: Path, service: str) -> Counter[str]:
    """record_id -> times written, for `service`'s lines in the file sink's logs file."""
    path = state_dir / "out" / "logs.ndjson"
    ids: Counter[str] = Counter()
    if path.exists():
        for line in path.read_bytes().splitlines():
            record = orjson.loads(line)
            if record["service"] == service:
                ids[record["record_id"]] += 1
    return ids


def pending_lines(state_dir: Path, sink: str) -> int:
    """Lines waiting in a sink's spill for the next process."""
    pending = state_dir / "spill" / sink / "pending"
    return sum(len(p.read_bytes().splitlines()) for p in pending.glob("*.ndjson"))
