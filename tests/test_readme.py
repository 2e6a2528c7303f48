"""The README's SDK example runs as written and its records pass the transform."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import orjson

from observability.transform.lines import split_lines, transform_lines

ROOT = Path(__file__).resolve().parents[1]


def test_sdk_example_runs_and_emits_valid_records(tmp_path: Path) -> None:
    """The first Python block of the README, run with the file sink, writes valid records."""
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```python\n(.*?)```", readme, re.DOTALL)
    assert block is not None
    script = tmp_path / "example.py"
    script.write_text(block.group(1))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OBSERVABILITY_")},
        "OBSERVABILITY_SINK": "file",
        "OBSERVABILITY_STATE_DIR": str(tmp_path / "state"),
    }
    done = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    out = tmp_path / "state" / "out"
    lines = [line for path in sorted(out.iterdir()) for line in split_lines(path.read_bytes())]
    processed = transform_lines(lines, None, "2026-11-23T00:00:00.000000Z")
    assert processed.rejected == []
    kinds = sorted(orjson.loads(a.line)["kind"] for a in processed.accepted)
    assert kinds == ["label", "log", "prediction"]
    [log] = [orjson.loads(a.line) for a in processed.accepted if b'"kind":"log"' in a.line]
    assert log["trace_id"] == "4bf92f35…"
    assert "4111" not in log["attributes"]["card"]
