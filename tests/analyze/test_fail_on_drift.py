"""`observability drift run --fail-on-drift`: exit 3 when a feature drifted (for CI pipelines)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from observability.analyze.job import read_metrics
from observability.cli import main
from observability.commands.drift import DRIFT_EXIT
from observability.store.local import LocalStore
from tests.analyze.generated import START, frame, write_predictions

pytestmark = pytest.mark.slow

MODELS = """
models:
  - name: gen
    task: classification
    features: {{num_0: numeric, num_1: numeric, colour: categorical}}
    reference: {{path: {reference}}}
    window: 1h
    min_samples: 50
    report_sample_rows: 1000
"""
WINDOW = f"{START:%Y-%m-%dT%H:%M}/{START + timedelta(hours=1):%Y-%m-%dT%H:%M}"


def _models(tmp_path: Path, store: LocalStore, *, shifted: bool) -> Path:
    """A models file, its reference, and an hour of predictions (shifted or not) in the store."""
    rng = np.random.default_rng(11)
    reference = tmp_path / "reference.csv"
    frame(rng, 2000, shifted=False).to_csv(reference, index=False)
    write_predictions(store, "gen", START, frame(rng, 1500, shifted=shifted), "c")
    path = tmp_path / "models.yaml"
    path.write_text(MODELS.format(reference=reference))
    return path


def _run(store: LocalStore, models: Path, *flags: str) -> tuple[int, str, str]:
    args = ["--store-url", str(store.root), "drift", "run", "--model", "gen", "--window", WINDOW]
    result = CliRunner().invoke(main, [*args, "--models", str(models), *flags])
    return result.exit_code, result.stdout, result.stderr


def test_drift_exits_3_after_storing_results(tmp_path: Path, store: LocalStore) -> None:
    """With a shifted feature the run stores its rows, names the feature, and exits 3."""
    models = _models(tmp_path, store, shifted=True)
    code, out, err = _run(store, models, "--fail-on-drift")
    assert code == DRIFT_EXIT == 3, out + err
    assert "drift: gen: num_1 drifted" in err
    assert "num_1" in out
    assert read_metrics(store, "gen").set_index("feature").loc["num_1", "drifted"]
    assert _run(store, models)[0] == 0  # without the flag drift is not a failure


def test_no_drift_exits_0(tmp_path: Path, store: LocalStore) -> None:
    """Without drift the flag changes nothing: exit 0 and no message."""
    models = _models(tmp_path, store, shifted=False)
    code, out, err = _run(store, models, "--fail-on-drift")
    assert code == 0, out + err
    assert "drifted" not in err
