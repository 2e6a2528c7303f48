"""The stdlib bridge while the collector is down: no recursion, no duplicate, nothing lost."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

from tests.integrations.support import wait_stored
from tests.servers import free_port
from tests.shutdown.support import Collector, clean_env, pending_lines, replay

#: Logs at DEBUG everywhere, so httpx and httpcore report every failed attempt of the
#: sink's worker; then a library's warning and exception, and an SDK line.
SCRIPT = """
import logging
import time

import observability

logging.basicConfig(level=logging.DEBUG)
observability.configure(service="outage-app", level="debug")
library = logging.getLogger("urllib3.connectionpool")
for n in range(20):
    library.warning("Retrying (%d) after connection broken", n)
    time.sleep(0.02)
try:
    raise ConnectionRefusedError("collector down")
except ConnectionRefusedError:
    library.exception("request failed")
observability.get_logger("app").info("done")
time.sleep(1.0)  # the worker keeps trying (and httpx keeps logging) meanwhile
print("delivered" if observability.shutdown() else "spilled")
"""


def test_outage_gives_no_recursion_and_no_duplicate(
    real_collector: Collector, tmp_path: Path
) -> None:
    """Lines logged while the collector is unreachable are spilled once, the transport's own
    logging never becomes a line, and a later process delivers each line exactly once."""
    state = tmp_path / "state"
    down = clean_env(
        OBSERVABILITY_SINK="http",
        OBSERVABILITY_COLLECTOR_URL=f"http://127.0.0.1:{free_port()}",  # nobody listens
        OBSERVABILITY_STATE_DIR=str(state),
        OBSERVABILITY_SINK_FLUSH_SECONDS="0.05",
        OBSERVABILITY_SINK_SHUTDOWN_SECONDS="1",
    )
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=down,
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
        check=False,
    )
    stderr = done.stderr.decode()
    assert done.returncode == 0, stderr
    assert done.stdout.decode().strip() == "spilled"
    assert "RecursionError" not in stderr
    assert "--- Logging error ---" not in stderr  # no handler failed, ours included
    assert "httpcore" in stderr  # the transport did log (to the host's handler), at DEBUG
    assert pending_lines(state, "http") == 22

    replay(clean_env(**{**down, "OBSERVABILITY_COLLECTOR_URL": real_collector.url}))
    records = wait_stored(real_collector, "outage-app", lambda rs: len(rs) >= 22)
    assert max(Counter(r["record_id"] for r in records).values()) == 1
    loggers = Counter(r.get("logger") for r in records)
    assert loggers == {"urllib3.connectionpool": 21, "app": 1}
    [failed] = [r for r in records if r["event"] == "request failed"]
    assert failed["exception"]["type"] == "ConnectionRefusedError"
