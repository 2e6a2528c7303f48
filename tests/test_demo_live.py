"""`observability demo --live`, run as a user would: a real process with its server, traffic
processes and webhook receiver, ended with Ctrl-C once its alerts have arrived.

The run is as short as the product's timing allows (nothing is compressed): the release
goes out 15 s in, its alerts fire at the next minute boundaries and are sent one
`group_wait` (a minute) later, so the test takes about three minutes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

import httpx
import orjson
import pytest

from observability.demo.configs import DRIFT_RULE, ERROR_RATE_RULE
from observability.demo.sample import FRAUD_MODEL, PRICE_MODEL
from observability.demo.workdir import PREFIX

pytestmark = pytest.mark.slow

#: Longest wait for both alerts: the release (15 s), up to two minute boundaries, one
#: group_wait, and the worker's drift runs on a busy machine.
ALERTS_DEADLINE_SECONDS = 270.0
EXIT_DEADLINE_SECONDS = 120.0


class Lines:
    """The demo's stdout, line by line, read in a thread so the test can poll it."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[bytes]) -> None:
        for raw in stream:
            with self._lock:
                self.lines.append(raw.decode(errors="replace").rstrip("\n"))

    def snapshot(self) -> list[str]:
        """The lines so far."""
        with self._lock:
            return list(self.lines)

    def text(self) -> str:
        """Everything so far, for failure messages."""
        return "\n".join(self.snapshot())


def _environment(tmp_path: Path) -> dict[str, str]:
    """The user's environment without our settings, temporary files under tmp_path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OBSERVABILITY_")}
    env["TMPDIR"] = str(tmp_path)
    return env


def _value(lines: list[str], prefix: str) -> str | None:
    for line in lines:
        if line.startswith(prefix):
            return line.split()[1]
    return None


def test_live_demo_sends_drift_and_error_rate_alerts_and_cleans_up(tmp_path: Path) -> None:
    """The live demo prints its UI URL first, serves the model pages, delivers a drift alert
    and an error-rate alert to its webhook, and on Ctrl-C stops cleanly, writes its summary
    and removes its temporary directory."""
    summary = tmp_path / "summary.json"
    command = [
        sys.executable,
        "-c",
        "from observability.cli import main; main()",
        "demo",
        "--live",
        "--duration",
        "5m",
        "--release-after",
        "15s",
        "--summary",
        str(summary),
    ]
    stderr = (tmp_path / "stderr.txt").open("wb")
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=stderr,
        stdin=subprocess.DEVNULL,
        env=_environment(tmp_path),
        cwd=tmp_path,
    )
    assert proc.stdout is not None
    out = Lines(proc.stdout)
    page_statuses: list[int] = []
    try:
        deadline = time.monotonic() + ALERTS_DEADLINE_SECONDS
        while time.monotonic() < deadline and proc.poll() is None:
            lines = out.snapshot()
            ui = _value(lines, "UI ")
            if ui is not None and not page_statuses:
                for model in (FRAUD_MODEL, PRICE_MODEL):
                    page_statuses.append(httpx.get(f"{ui}models/{model}", timeout=10).status_code)
            fired = " ".join(line for line in lines if line.startswith("ALERT FIRING"))
            if f" {DRIFT_RULE} " in fired and f" {ERROR_RATE_RULE} " in fired:
                break
            time.sleep(1)
        assert proc.poll() is None, f"the demo ended early:\n{out.text()}"
        time.sleep(2)  # the demo checks its model pages right after a drift alert
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=EXIT_DEADLINE_SECONDS)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        stderr.close()
    lines = out.snapshot()
    errors = (tmp_path / "stderr.txt").read_text(errors="replace")
    assert code == 0, f"{out.text()}\n{errors}"
    assert lines[0].startswith("UI "), out.text()
    assert page_statuses == [200, 200]

    report = orjson.loads(summary.read_bytes())
    assert report["interrupted"] is True
    assert report["ui_url"] == _value(lines, "UI ")
    firing = [a for a in report["alerts"] if a["status"] == "firing"]
    drift = [a for a in firing if a["alertname"] == DRIFT_RULE]
    error_rate = [a for a in firing if a["alertname"] == ERROR_RATE_RULE]
    assert drift and error_rate, out.text()
    assert {a["labels"]["model"] for a in drift} <= {FRAUD_MODEL, PRICE_MODEL}
    assert {a["labels"]["service"] for a in error_rate} == {"checkout"}
    assert all(a["links"] for a in drift + error_rate)
    checks = report["ui_checks"]
    assert checks and {c["status"] for c in checks} == {200}
    first_drift = min(a["received_at"] for a in drift)
    assert any(c["at"] > first_drift for c in checks), "the model pages were checked with data"
    assert report["traffic_exit_codes"] == {"checkout": 0, "payments": 0, "search": 0}

    workdir = Path(report["workdir"])
    assert workdir.parent == tmp_path
    assert not workdir.exists()
    assert not list(tmp_path.glob(f"{PREFIX}*"))
    assert f"removed {workdir}" in out.text()
    assert not (tmp_path / ".observability").exists(), "nothing written outside the workdir"
