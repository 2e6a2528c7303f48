"""Plain scripts keep every line they logged, whether they end by a signal or an exception."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.shutdown.support import (
    Collector,
    clean_env,
    file_records,
    pending_lines,
    replay,
    start_script,
)

LINES = 50

#: Logs `LINES` lines, says it is ready, then waits for a signal or raises.
SCRIPT = """
import os, sys, time
from prometheus_client import CollectorRegistry
import observability
from observability.core.metrics import Metrics
from observability.core.settings import Settings
from observability.transport.factory import build_line_sink

settings = Settings.from_env(os.environ)
sink = build_line_sink(settings, None, Metrics(CollectorRegistry()))
observability.configure(service=os.environ["APP_SERVICE"], env="test", sink=sink)
log = observability.get_logger("script")
for n in range({lines}):
    log.info("step", n=n)
print("ready", flush=True)
if os.environ["ENDING"] == "exception":
    raise RuntimeError("the script failed")
time.sleep(60)
"""

#: How each ending shows in the exit status (Python ends an unhandled KeyboardInterrupt
#: by SIGINT itself).
ENDINGS = {
    "sigint": (signal.SIGINT, -signal.SIGINT),
    "sigterm": (signal.SIGTERM, -signal.SIGTERM),
    "exception": (None, 1),
}


@pytest.mark.slow
@pytest.mark.parametrize("sink", ["http", "file"])
@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_script_keeps_its_lines_however_it_ends(
    ending: str, sink: str, real_collector: Collector, tmp_path: Path
) -> None:
    """SIGINT, SIGTERM or an uncaught exception: every line is stored once, none spilled."""
    service = f"script-{ending}-{sink}"
    state = tmp_path / "state"
    env = clean_env(
        APP_SERVICE=service,
        ENDING=ending,
        OBSERVABILITY_SINK=sink,
        OBSERVABILITY_STATE_DIR=str(state),
        OBSERVABILITY_COLLECTOR_URL=real_collector.url,
        OBSERVABILITY_SINK_FLUSH_SECONDS="60",
    )
    proc = start_script(SCRIPT.format(lines=LINES), env)
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"ready\n"
    signum, status = ENDINGS[ending]
    if signum is not None:
        proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == status, stderr.decode()
    if sink == "http":
        if pending_lines(state, sink):
            replay(env)
        ids = real_collector.wait_for(service, LINES)
    else:
        ids = file_records(state, service)
    assert len(ids) == LINES
    assert max(ids.values()) == 1
    assert pending_lines(state, sink) == 0
