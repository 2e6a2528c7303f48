"""The build script zips each handler with the package, runnable from the unpacked zip."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from scripts.build_lambdas import build, main

ROOT = Path(__file__).parent.parent.parent


def test_zip_holds_handler_at_root_and_the_package(tmp_path: Path) -> None:
    """firehose_transform.zip has handler.py at the root and observability/ beside it."""
    (built,) = [p for p in build(tmp_path, with_deps=False) if p.stem == "firehose_transform"]
    assert built == tmp_path / "firehose_transform.zip"
    names = zipfile.ZipFile(built).namelist()
    assert "handler.py" in names
    assert "observability/core/schema.py" in names
    assert "observability/transform/firehose.py" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert not [n for n in names if n.startswith("drift_job")]


def test_builds_are_reproducible(tmp_path: Path) -> None:
    """Two builds of the same tree give byte-identical zips."""
    assert main([str(tmp_path / "a"), "--no-deps"]) == 0
    assert main([str(tmp_path / "b"), "--no-deps"]) == 0
    first = (tmp_path / "a" / "firehose_transform.zip").read_bytes()
    assert first == (tmp_path / "b" / "firehose_transform.zip").read_bytes()


def test_unpacked_zip_runs_the_handler(tmp_path: Path) -> None:
    """The unpacked zip answers a fixture event with only third-party deps added to the path."""
    (built,) = [
        p for p in build(tmp_path / "out", with_deps=False) if p.stem == "firehose_transform"
    ]
    task = tmp_path / "task"
    zipfile.ZipFile(built).extractall(task)
    site = next(p for p in sys.path if p.endswith("site-packages"))
    event = ROOT / "tests" / "events" / "kinesisFirehoseTransformEvent.json"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join([str(task), site]),
        "OBSERVABILITY_STORE_URL": (tmp_path / "store").as_uri(),
    }
    script = (
        "import json, sys, handler, observability\n"
        "response = handler.handler(json.load(open(sys.argv[1])), None)\n"
        "print(json.dumps({'package': observability.__file__, 'response': response}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(event)],
        cwd=task,
        env=env,
        capture_output=True,
        timeout=60,
        check=True,
    )
    out = json.loads(done.stdout)
    assert Path(out["package"]).is_relative_to(task)  # the zip's copy, not the checkout's
    assert [e["result"] for e in out["response"]["records"]] == ["Ok", "Ok", "Ok"]
