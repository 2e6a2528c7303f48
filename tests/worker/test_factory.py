"""Composing the worker from a Runtime: which jobs run, and what it imports when."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from observability.core.metrics import Metrics
from observability.core.settings import Settings
from observability.runtime import Runtime
from observability.store.local import LocalStore
from observability.worker import build_worker

ROOT = Path(__file__).resolve().parents[2]
MODELS = """
models:
  - name: fraud
    task: classification
    features: {num_0: numeric, colour: categorical}
    reference: {path: reference.parquet}
    window: 1h
    schedule: "5 * * * *"
"""
#: Builds the worker of a local store in a fresh interpreter and ticks it at two minutes
#: (argv: store dir, models file, whether to hide the drift extra); prints what happened.
SCRIPT = """
import importlib.abc, json, logging, sys
from datetime import datetime, UTC
from pathlib import Path

class Hide(importlib.abc.MetaPathFinder):
    '''A finder that makes the drift extra's packages look uninstalled.'''
    def __init__(self, inner):
        self.inner = inner
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"evidently", "pandas", "scipy"}:
            return None
        return self.inner.find_spec(name, path, target)
    def invalidate_caches(self):
        getattr(self.inner, "invalidate_caches", lambda: None)()
    def find_distributions(self, *args, **kwargs):  # importlib.metadata asks finders too
        return getattr(self.inner, "find_distributions", lambda *a, **k: [])(*args, **kwargs)

if sys.argv[3] == "hide":
    sys.meta_path[:] = [Hide(f) if hasattr(f, "find_spec") else f for f in sys.meta_path]
records = []
handler = logging.Handler()
handler.emit = records.append
logging.getLogger().addHandler(handler)
logging.getLogger().setLevel(logging.INFO)

from observability.core.settings import Settings
from observability.runtime import Runtime
from observability.worker import build_worker

runtime = Runtime(Settings(store_url=Path(sys.argv[1]).as_uri()))
worker = build_worker(runtime, models_path=Path(sys.argv[2]))
quiet = worker.tick(datetime(2026, 12, 1, 1, 3, tzinfo=UTC))
after_quiet = "evidently" in sys.modules
due = worker.tick(datetime(2026, 12, 1, 1, 5, tzinfo=UTC))
print(json.dumps({
    "jobs": [job.name for job in worker.jobs],
    "runs": [[r.job, r.status.value] for r in quiet + due],
    "evidently_after_quiet_tick": after_quiet,
    "evidently_after_due_tick": "evidently" in sys.modules,
    "pandas": "pandas" in sys.modules,
    "messages": [r.getMessage() for r in records if r.name.startswith("observability.worker")],
}))
"""


def _run(tmp_path: Path, *, hide: bool) -> dict[str, object]:
    models = tmp_path / "models.yaml"
    models.write_text(MODELS)
    argv = [str(tmp_path / "store"), str(models), "hide" if hide else "keep"]
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, *argv],
        cwd=tmp_path,
        capture_output=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    result: dict[str, object] = orjson.loads(done.stdout.splitlines()[-1])
    return result


def test_without_a_models_file_only_compaction_runs(
    store: LocalStore, metrics: Metrics, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """No models file: the worker has the compaction job alone and says drift is off."""
    caplog.set_level("INFO", logger="observability.worker")
    runtime = Runtime(Settings(store_url=store.url), store=store, metrics=metrics)
    worker = build_worker(runtime, models_path=tmp_path / "absent.yaml")
    assert [job.name for job in worker.jobs] == ["compaction"]
    assert "drift jobs are off" in caplog.text


def test_without_the_drift_extra_drift_is_off_and_the_rest_runs(tmp_path: Path) -> None:
    """With evidently, pandas and scipy missing, the worker logs once that drift is off,
    imports none of them and runs compaction."""
    result = _run(tmp_path, hide=True)
    assert result["jobs"] == ["compaction"]
    messages = result["messages"]
    assert isinstance(messages, list)
    off = [m for m in messages if "drift jobs are off" in m]
    assert len(off) == 1 and "observability[drift]" in off[0]
    assert result["pandas"] is False
    assert result["evidently_after_due_tick"] is False


@pytest.mark.slow
def test_evidently_is_imported_only_when_a_drift_window_runs(tmp_path: Path) -> None:
    """With the drift extra, a tick with no drift due imports no Evidently; the due tick does
    (its run fails here: the reference file is missing, which is logged and recorded)."""
    result = _run(tmp_path, hide=False)
    assert result["jobs"] == ["compaction", "drift"]
    assert result["evidently_after_quiet_tick"] is False
    assert result["evidently_after_due_tick"] is True
    assert result["runs"] == [["drift", "error"], ["drift", "skipped"]]
