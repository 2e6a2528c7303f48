"""`observability drift run|backfill` and the drift_job Lambda handler over a LocalStore."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click
import numpy as np
import pytest
from click.testing import CliRunner
from lambdas.drift_job.handler import build, run_event

from observability.analyze.job import read_metrics
from observability.commands.common import CliContext
from observability.commands.drift import drift
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
    schedule: "5 * * * *"
    min_samples: 50
    report_sample_rows: 1000
"""


@pytest.fixture
def models_file(tmp_path: Path, store: LocalStore) -> Path:
    """A models file, its reference, and one hour of shifted predictions in the store."""
    rng = np.random.default_rng(3)
    reference = tmp_path / "reference.csv"
    frame(rng, 2000, shifted=False).to_csv(reference, index=False)
    write_predictions(store, "gen", START, frame(rng, 1500, shifted=True), "c")
    path = tmp_path / "models.yaml"
    path.write_text(MODELS.format(reference=reference))
    return path


def _group() -> click.Group:
    @click.group()
    @click.option("--store-url")
    @click.pass_context
    def root(ctx: click.Context, store_url: str | None) -> None:
        ctx.obj = CliContext(store_url, None)

    root.add_command(drift)
    return root


def test_cli_run_prints_and_stores(models_file: Path, store: LocalStore) -> None:
    """`drift run` stores the window's rows and prints each feature's verdict."""
    window = f"{START:%Y-%m-%dT%H:%M}/{START + timedelta(hours=1):%Y-%m-%dT%H:%M}"
    args = ["--store-url", str(store.root), "drift", "run", "--model", "gen", "--window", window]
    result = CliRunner().invoke(_group(), [*args, "--models", str(models_file)])
    assert result.exit_code == 0, result.output
    assert "num_1" in result.output and "yes" in result.output
    rows = read_metrics(store, "gen")
    configured = rows[rows["status"] == "ok"]
    assert sorted(configured["feature"]) == ["colour", "num_0", "num_1"]
    unconfigured = set(rows.loc[rows["status"] == "new_feature", "feature"])
    assert unconfigured == {"num_2", "num_3", "num_4", "num_5", "country"}
    assert rows.set_index("feature").loc["num_1", "drifted"]


def test_cli_refuses_a_bad_window_and_unknown_model(models_file: Path, store: LocalStore) -> None:
    """A malformed window is a usage error; an unknown model is an ObservabilityError."""
    base = ["--store-url", str(store.root), "drift", "run", "--models", str(models_file)]
    bad = CliRunner().invoke(_group(), [*base, "--model", "gen", "--window", "yesterday"])
    assert bad.exit_code == 2 and "--window" in bad.output
    unknown = CliRunner().invoke(
        _group(), [*base, "--model", "nope", "--window", "2026-11-01T00:00/2026-11-01T01:00"]
    )
    assert "unknown model 'nope' (configured: gen)" in str(unknown.exception)


def test_handler_runs_the_last_closed_window(models_file: Path, store: LocalStore) -> None:
    """An EventBridge event with only the model runs the window that just closed."""
    job = build(
        {
            "OBSERVABILITY_STORE_URL": str(store.root),
            "OBSERVABILITY_MODELS_CONFIG": str(models_file),
        }
    )
    response = run_event(job, {"model": "gen"}, START + timedelta(hours=1, minutes=5))
    assert response["runs"] == [
        {
            "model": "gen",
            "window": "2026-11-01T00:00:00+00:00/2026-11-01T01:00:00+00:00",
            "status": "ok",
            "drifted": ["num_1"],
            "report_id": "gen~20261101T0000_20261101T0100",
        }
    ]
    assert store.exists("reports/model=gen/dt=2026-11-01/gen~20261101T0000_20261101T0100.html")
    explicit = run_event(
        job, {"model": "gen", "window": "2026-11-01T01:00/2026-11-01T02:00"}, START
    )
    assert explicit["runs"][0]["status"] == "no_data"
