"""`observability ingest` streams: its peak memory does not grow with the input.

Each case runs the real command in a child process that reports its own peak RSS
(`VmHWM`, which starts afresh at exec; `wait4`'s `ru_maxrss` would also count the test
session's memory at fork time, which Linux carries over into the child).
"""

from __future__ import annotations

import subprocess
import sys
import zlib
from pathlib import Path
from typing import Final

import pytest

from observability.store.files import decode_lines
from observability.store.local import LocalStore

MIB: Final = 1024 * 1024
#: Issue 9's bound for 500k and 5M lines; the process starts at about 50 MiB.
LINES_BOUND: Final = 300 * MIB
#: A 300 MiB line held even once would not fit under this.
HUGE_LINE_BOUND: Final = 200 * MIB

pytestmark = pytest.mark.slow


def write_log_lines(path: Path, count: int) -> None:
    """`count` log lines over 5 services and 24 hours (120 partitions), written fast."""
    template = (
        b'{"timestamp":"2026-11-23T%02d:%02d:%02d.%06dZ","level":"info","service":"svc-%d",'
        b'"event":"request finished","request_id":"req-%d",'
        b'"attributes":{"status":200,"path":"/api/v1/items"}}\n'
    )
    with path.open("wb") as out:
        for start in range(0, count, 50_000):
            out.write(
                b"".join(
                    template % (i % 24, i % 60, (i // 60) % 60, i % 1_000_000, i % 5, i)
                    for i in range(start, min(start + 50_000, count))
                )
            )


def write_huge_line_gz(path: Path, size: int) -> None:
    """One JSON line of `size` bytes and a good line after it, gzip-compressed (~300 KB)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"x" * MIB
    with path.open("wb") as out:
        out.write(packer.compress(b'{"service":"big","event":"'))
        for _ in range(size // MIB):
            out.write(packer.compress(block))
        tail = (
            b'"}\n{"timestamp":"2026-11-23T13:00:00Z","level":"info","service":"after",'
            b'"event":"kept"}\n'
        )
        out.write(packer.compress(tail))
        out.write(packer.flush())


#: Runs the console script's `main` and writes the process's VmHWM (kB) to the file argv[1].
_MEASURED: Final = """
import sys
from pathlib import Path

report, sys.argv = sys.argv[1], ["observability", *sys.argv[2:]]
try:
    from observability.cli import main

    main()
finally:
    status = Path("/proc/self/status").read_text()
    peak = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
    Path(report).write_text(peak)
"""


def ingest(tmp_path: Path, source: Path) -> tuple[str, int]:
    """Run `observability ingest` on `source`; its stdout and its peak RSS in bytes."""
    output = tmp_path / "stdout.txt"
    report = tmp_path / "peak.txt"
    store_url = (tmp_path / "store").as_uri()
    args = [sys.executable, "-c", _MEASURED, str(report), "--store-url", store_url]
    args += ["ingest", str(source), "--kind", "log"]
    with output.open("wb") as sink:
        done = subprocess.run(args, stdout=sink, stderr=subprocess.STDOUT, check=False)
    text = output.read_text()
    assert done.returncode == 0, text
    return text, int(report.read_text()) * 1024  # kB


def summary_count(text: str, outcome: str) -> int:
    """The count of one row of the summary table."""
    (row,) = [line for line in text.splitlines() if f" {outcome} " in line]
    return int(row.split()[-2])


def test_500k_lines_stay_under_the_bound(tmp_path: Path) -> None:
    """500,000 lines (95 MB) over 120 partitions ingest whole in under 300 MiB."""
    source = tmp_path / "500k.ndjson"
    write_log_lines(source, 500_000)
    text, peak = ingest(tmp_path, source)
    assert summary_count(text, "accepted") == 500_000
    assert peak < LINES_BOUND, f"peak RSS {peak / MIB:.0f} MiB"
    store = LocalStore(tmp_path / "store")
    keys = list(store.list("logs/service=svc-3/"))
    assert sum(1 for key in keys for _ in decode_lines(store.get(key))) == 100_000


def test_a_300_mb_line_is_never_held_whole(tmp_path: Path) -> None:
    """One 300 MiB line in a ~300 KB .gz is refused too_large in under 200 MiB; the line
    after it is stored."""
    source = tmp_path / "huge.json.gz"
    write_huge_line_gz(source, 300 * MIB)
    assert source.stat().st_size < 2 * MIB
    text, peak = ingest(tmp_path, source)
    assert summary_count(text, "accepted") == 1
    assert summary_count(text, "rejected: too_large") == 1
    assert peak < HUGE_LINE_BOUND, f"peak RSS {peak / MIB:.0f} MiB"
    store = LocalStore(tmp_path / "store")
    assert list(store.list("logs/service=after/"))
