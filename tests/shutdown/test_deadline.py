"""`shutdown()` against a collector that accepts connections and never answers."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from tests import servers
from tests.shutdown.support import (
    Collector,
    clean_env,
    pending_lines,
    replay,
    start_script,
)

LINES = 3_000
DEADLINE = 2.0
#: What `close` may take past its deadline (CLOSE_GRACE_SECONDS, 0.5 s, to notice the
#: worker is stuck and spill), plus room for a loaded machine.
GRACE = 1.5

#: Logs half the lines, waits until a request is on its way (it will never be answered),
#: logs the rest, then times `shutdown()` and prints the result as JSON.
SCRIPT = """
import os, sys, time
import orjson
from prometheus_client import CollectorRegistry
import observability
from observability.core.metrics import Metrics
from observability.core.settings import Settings
from observability.transport.factory import build_line_sink

settings = Settings.from_env(os.environ)
sink = build_line_sink(settings, None, Metrics(CollectorRegistry()))
observability.configure(service="blackholed", env="test", sink=sink)
log = observability.get_logger("script")
for n in range({half}):
    log.info("step", n=n)
time.sleep(0.5)
for n in range({half}, {lines}):
    log.info("step", n=n)
started = time.monotonic()
delivered = observability.shutdown()
print(orjson.dumps({{"seconds": time.monotonic() - started, "delivered": delivered}}).decode())
"""


@pytest.fixture
def silent_server() -> Iterator[tuple[str, list[socket.socket]]]:
    """A server that accepts connections and never answers; its URL and connections."""
    with servers.silent_server() as served:
        yield served


@pytest.mark.slow
def test_shutdown_returns_in_time_and_the_next_process_replays_everything(
    silent_server: tuple[str, list[socket.socket]], real_collector: Collector, tmp_path: Path
) -> None:
    """shutdown() ends within its deadline, spills all, warns once; a replay stores each once."""
    url, held = silent_server
    state = tmp_path / "state"
    env = clean_env(
        OBSERVABILITY_SINK="http",
        OBSERVABILITY_STATE_DIR=str(state),
        OBSERVABILITY_COLLECTOR_URL=url,
        OBSERVABILITY_SINK_FLUSH_SECONDS="0.1",
        OBSERVABILITY_SINK_SHUTDOWN_SECONDS=str(DEADLINE),
    )
    proc = start_script(SCRIPT.format(half=LINES // 2, lines=LINES), env)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr.decode()
    outcome = orjson.loads(stdout)
    assert outcome["delivered"] is False
    assert outcome["seconds"] <= DEADLINE + GRACE
    assert held, "the sink had a request on its way to the silent server"
    warnings = [line for line in stderr.decode().splitlines() if "went to the spill" in line]
    assert len(warnings) == 1 and f"{LINES} line(s)" in warnings[0]
    assert pending_lines(state, "http") == LINES

    started = time.monotonic()
    replay({**env, "OBSERVABILITY_COLLECTOR_URL": real_collector.url})
    assert time.monotonic() - started < 30
    ids = real_collector.wait_for("blackholed", LINES)
    assert len(ids) == LINES
    assert max(ids.values()) == 1
    assert pending_lines(state, "http") == 0
