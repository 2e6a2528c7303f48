"""Sinks across os.fork(): the child starts afresh, nothing of the parent's is written twice."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import orjson

from observability.transport.spill import decode_entry

#: Parent and child each log through one sink; the parent's lines are still queued or
#: buffered when it forks. Both end through atexit (the child with sys.exit).
SCRIPT = """
import os, sys
from pathlib import Path
from prometheus_client import CollectorRegistry
from observability.core.metrics import Metrics
from observability.core.schema import Kind
from observability.transport.background import BackgroundSink
from observability.transport.file import FileSink
from observability.transport.spill import Spill, SpillEntry

root = Path(sys.argv[1])
metrics = Metrics(CollectorRegistry())
files = FileSink(root / "direct")
queued = BackgroundSink(
    FileSink(root / "queued"), metrics=metrics,
    spill=Spill(root / "spill-queued", 1 << 20, metrics, sink="file"), flush_seconds=3600,
)
spill = Spill(root / "spill", 1 << 20, metrics, sink="direct")

def write(who, count):
    for n in range(count):
        line = b'{"who":"%s","n":%d}' % (who.encode(), n)
        files.submit(Kind.LOG, "g", line)
        queued.submit(Kind.LOG, "g", line)
        spill.append([SpillEntry(Kind.LOG, "g", line, "undelivered")], replayable=True)

write("parent", 100)
pid = os.fork()
if pid == 0:
    write("child", 40)
    files.close()
    queued.close()
    spill.close()
    sys.exit(0)
write("parent-after", 10)
_, status = os.waitpid(pid, 0)
files.close()
queued.close()
spill.close()
sys.exit(os.waitstatus_to_exitcode(status))
"""


def test_parent_and_child_lines_are_each_written_once(tmp_path: Path) -> None:
    """Queued, buffered and spilled lines of the parent are not repeated by a forked child,
    and the child's own sink thread delivers the child's lines."""
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    expected = Counter({"parent": 100, "child": 40, "parent-after": 10})
    for name in ("direct", "queued"):
        lines = (tmp_path / name / "logs.ndjson").read_bytes().splitlines()
        assert len(set(lines)) == len(lines) == 150, name
        assert Counter(orjson.loads(line)["who"] for line in lines) == expected
    spilled = [
        decode_entry(raw).line
        for path in (tmp_path / "spill" / "pending").glob("*.ndjson")
        for raw in path.read_bytes().splitlines()
    ]
    assert len(set(spilled)) == len(spilled) == 150
    assert not list((tmp_path / "spill-queued" / "pending").glob("*.ndjson"))
